//! Runs the built-in assistant's multi-turn corpus (`crates/nlu/tests/conversations.json`) through
//! whole chat turns (`run_turn_at`: history and memory read from the store, the answer and its
//! memory written back) on SQLite and on PostgreSQL, so what the assistant remembers between turns
//! really lives in the stored conversation.
//!
//! A conversation: `name`, `time_zone` (the user's setting, UTC when left out), `lists` (names of
//! lists created first), `setup` (tasks created next,
//! ids 1, 2, … in order, naming a list by `"list"` and a parent by `"parent_id"`; another user's
//! task takes the next id, so new tasks start one after it) and `turns`. A turn:
//! `say`; `calls`, the tool calls it must make, in order, none missing or extra (a name, or
//! `{"name", "arguments"}` with an argument subset); `reply`, words its answer must contain
//! (case-insensitive); and `tasks`, the user's whole task list after the turn, one line per task
//! in id order (see [`line`]). A turn without `tasks` must leave every task exactly as it was:
//! that is how the corpus checks the safety rule (an ambiguous message never changes data). Another
//! user's task, there from the start, must be untouched at the end.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use common::{create_lists, fresh_store, tasks_of, OTHER, USER};
use futures_util::{stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use todo_assistant::chat::run_turn_at;
use todo_assistant::{tools, Assistant, Brain, Toolbox, TurnCaller};
use todo_domain::SettingsPatch;
use todo_storage::{Store, StoreOptions};
use todo_testkit::PgServer;

/// Thursday, 26 November 2026, 10:00 UTC, as in the single-turn corpus.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

#[derive(Deserialize)]
struct Conversation {
    name: String,
    #[serde(default)]
    lists: Vec<String>,
    #[serde(default)]
    setup: Vec<Value>,
    /// The user's time zone setting (UTC when left out).
    time_zone: Option<String>,
    turns: Vec<Turn>,
}

#[derive(Deserialize)]
struct Turn {
    say: String,
    calls: Vec<Value>,
    #[serde(default)]
    reply: Vec<String>,
    tasks: Option<Vec<String>>,
}

/// A task as one line: "3 Pay rent ✓ !high due:2026-11-30T17:00 #home every:weekly ^1 @Work ⏰PT10M",
/// leaving out what is at its default (pending, medium priority, no date, no tags, not repeating,
/// top level, in the Inbox, no reminders); `lists` names the other lists by id.
fn line(t: &Value, lists: &HashMap<i64, String>) -> String {
    let mut s = format!("{} {}", t["id"], t["title"].as_str().unwrap_or_default());
    if t["completed"] == json!(true) {
        s.push_str(" ✓");
    }
    if let Some(p) = t["priority"].as_str().filter(|p| *p != "medium") {
        s.push_str(&format!(" !{p}"));
    }
    if let Some(d) = t["due_at"].as_str() {
        // "2026-11-30" at midnight, else "2026-11-30T17:00".
        let d = d
            .strip_suffix("T00:00:00Z")
            .unwrap_or(&d[..d.len().min(16)]);
        s.push_str(&format!(" due:{d}"));
    }
    for tag in t["tags"].as_array().into_iter().flatten() {
        s.push_str(&format!(" #{}", tag.as_str().unwrap_or_default()));
    }
    if let Some(r) = t["recurrence"].as_str() {
        s.push_str(&format!(" every:{r}"));
    }
    if let Some(p) = t["parent_id"].as_i64() {
        s.push_str(&format!(" ^{p}"));
    }
    if let Some(l) = t["list_id"].as_i64().and_then(|id| lists.get(&id)) {
        s.push_str(&format!(" @{l}"));
    }
    if let Some(d) = t["description"].as_str() {
        s.push_str(&format!(" «{d}»"));
    }
    // "⏰PT10M", "⏰P1D@09:00", "⏰2026-11-27T09:00".
    for r in t["reminders"].as_array().into_iter().flatten() {
        match (r["at"].as_str(), r["before"].as_str()) {
            (Some(at), _) => s.push_str(&format!(" ⏰{}", &at[..at.len().min(16)])),
            (None, Some(before)) => {
                s.push_str(&format!(" ⏰{before}"));
                if let Some(time) = r["time"].as_str() {
                    s.push_str(&format!("@{time}"));
                }
            }
            _ => {}
        }
    }
    s
}

async fn state(store: &Store, user: &str) -> Vec<String> {
    let lists = list_names(store, user).await;
    let mut tasks = tasks_of(store, user).await;
    tasks.sort_by_key(|t| t["id"].as_i64());
    tasks.iter().map(|t| line(t, &lists)).collect()
}

/// The names of `user`'s lists by id.
async fn list_names(store: &Store, user: &str) -> HashMap<i64, String> {
    let v = tools::run(store, user, tools::LIST_LISTS, json!({}))
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|l| l["inbox"] != json!(true))
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn call_matches(expected: &Value, name: &str, arguments: &Value) -> bool {
    match expected {
        Value::String(n) => n == name,
        e => {
            e["name"] == name
                && e.get("arguments").is_none_or(|want| {
                    want.as_object()
                        .unwrap()
                        .iter()
                        .all(|(k, v)| arguments.get(k) == Some(v))
                })
        }
    }
}

async fn run(store: Store, c: Conversation) -> Vec<String> {
    create_lists(&store, USER, &c.lists).await;
    if let Some(tz) = &c.time_zone {
        let patch = SettingsPatch {
            time_zone: Some(tz.parse().unwrap()),
            ..Default::default()
        };
        store.update_settings(USER, patch).await.unwrap();
    }
    for t in &c.setup {
        tools::run(&store, USER, tools::ADD_TASK, t.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: setup {e}", c.name));
    }
    let theirs = json!({"title": "Their rent", "tags": ["home"]});
    tools::run(&store, OTHER, tools::ADD_TASK, theirs)
        .await
        .unwrap();
    let their_state = state(&store, OTHER).await;
    let assistant = Assistant {
        brain: Brain::Builtin,
        toolbox: Toolbox::Local(store.clone()),
    };
    let mut conversation = None;
    let mut failures = Vec::new();
    for (i, turn) in c.turns.iter().enumerate() {
        let before = state(&store, USER).await;
        let caller = TurnCaller {
            user_id: USER,
            token: None,
        };
        let answer = run_turn_at(
            &store,
            &assistant,
            caller,
            conversation.take(),
            &turn.say,
            None,
            now(),
        )
        .await
        .unwrap();
        conversation = store
            .conversation(USER, answer.conversation_id)
            .await
            .unwrap();
        let after = state(&store, USER).await;
        let mut problems = Vec::new();
        let calls: Vec<(&str, &Value)> = answer
            .tool_calls
            .iter()
            .map(|c| (c.name.as_str(), &c.arguments))
            .collect();
        if calls.len() != turn.calls.len()
            || !turn
                .calls
                .iter()
                .zip(&calls)
                .all(|(e, (n, a))| call_matches(e, n, a))
        {
            problems.push(format!(
                "calls {} (expected {})",
                serde_json::to_string(
                    &calls
                        .iter()
                        .map(|(n, a)| json!({"name": n, "arguments": a}))
                        .collect::<Vec<_>>()
                )
                .unwrap(),
                serde_json::to_string(&turn.calls).unwrap()
            ));
        }
        let lower = answer.response.to_lowercase();
        for r in &turn.reply {
            if !lower.contains(&r.to_lowercase()) {
                problems.push(format!("reply lacks {r:?}"));
            }
        }
        let expected = turn.tasks.clone().unwrap_or_else(|| before.clone());
        if after != expected {
            problems.push(format!("tasks {after:?} (expected {expected:?})"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} / turn {} «{}»: {}\n    reply: {}",
                c.name,
                i + 1,
                turn.say,
                problems.join("; "),
                answer.response.replace('\n', "\n           ")
            ));
        }
    }
    if state(&store, OTHER).await != their_state {
        failures.push(format!("{}: another user's task changed", c.name));
    }
    failures
}

fn conversations() -> Vec<Conversation> {
    let text = include_str!("../../nlu/tests/conversations.json");
    let all: Vec<Conversation> = serde_json::from_str(text).expect("conversations.json parses");
    assert!(
        all.len() >= 120,
        "the corpus keeps at least 120 conversations"
    );
    all
}

/// Runs every conversation, each on its own database from `database`, a few at a time.
async fn run_all<F, Fut>(database: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (Option<tempfile::TempDir>, Store)>,
{
    let all = conversations();
    let (count, turns) = (all.len(), all.iter().map(|c| c.turns.len()).sum::<usize>());
    let mut jobs = Vec::new();
    for c in all {
        jobs.push((database().await, c));
    }
    let failures: Vec<String> = stream::iter(jobs)
        .map(|((dir, store), c)| async move {
            let f = run(store, c).await;
            drop(dir);
            f
        })
        .buffered(8)
        .flat_map(stream::iter)
        .collect()
        .await;
    eprintln!(
        "{count} conversations, {turns} turns, {} failing turn(s)",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn conversations_on_sqlite() {
    run_all(|| async {
        let (dir, store) = fresh_store().await;
        (Some(dir), store)
    })
    .await;
}

#[tokio::test]
async fn conversations_on_postgres() {
    let Some(pg) = PgServer::shared() else { return };
    run_all(|| async {
        let store = Store::open(&pg.new_database().await, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        (None, store)
    })
    .await;
}
