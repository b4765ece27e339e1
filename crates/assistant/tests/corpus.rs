//! Runs the public example corpus of the built-in assistant (`crates/nlu/tests/corpus.json`)
//! through `todo_nlu::reply` on the real tools over a real SQLite store, as a chat turn reaches
//! them: each case gets a fresh database, its setup tasks, then one or more messages, with the tool
//! calls, the reply and the stored tasks checked.
//!
//! A case: `lists` (names of lists to create first), `setup` (tasks to create, ids 1, 2, … in
//! order, naming a list by `"list"` and a parent by `"parent_id"`; `"user": "other"` creates one
//! for another user), optional `history`, then `say` with `expect_calls` (name + argument subset, in
//! order, none missing or extra), `expect_reply_contains` / `expect_reply_lacks` (case-insensitive)
//! and `expect_tasks` (`{"id": 3, "deleted": true}` or a subset of the stored task); `then` lists
//! further steps, each seeing the real replies before it as history.

mod common;

use chrono::{DateTime, TimeZone};
use common::{create_lists, fresh_store, tasks_of, OTHER, USER};
use futures_util::{stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use todo_assistant::{tools, PastMessage, Role, Toolbox, TurnTools};
use todo_domain::Tz;

/// Thursday, 26 November 2026, 10:00 UTC, for a user in UTC: every date in the corpus is relative
/// to it.
fn now() -> DateTime<Tz> {
    Tz::UTC.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

#[derive(Deserialize)]
struct Case {
    #[serde(default)]
    lists: Vec<String>,
    #[serde(default)]
    setup: Vec<Value>,
    #[serde(default)]
    history: Vec<PastMessage>,
    #[serde(flatten)]
    first: Step,
    #[serde(default)]
    then: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    say: String,
    expect_calls: Option<Vec<Value>>,
    #[serde(default)]
    expect_reply_contains: Vec<String>,
    #[serde(default)]
    expect_reply_lacks: Vec<String>,
    #[serde(default)]
    expect_tasks: Vec<Value>,
}

/// Whether every field of `expected` is in `actual` with the same value (recursively for objects).
fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| subset(v, av))),
        _ => expected == actual,
    }
}

async fn run_case(index: usize, case: Case) -> Vec<String> {
    let (_dir, store) = fresh_store().await;
    create_lists(&store, USER, &case.lists).await;
    for t in &case.setup {
        let mut t = t.clone();
        let user = match t.as_object_mut().unwrap().remove("user") {
            Some(Value::String(u)) if u == "other" => OTHER,
            _ => USER,
        };
        tools::run(&store, user, tools::ADD_TASK, t)
            .await
            .unwrap_or_else(|e| panic!("case {index}: setup {e}"));
    }
    let toolbox = Toolbox::Local(store.clone());
    let mut history = case.history.clone();
    let mut memory: Option<String> = None;
    let mut failures = Vec::new();
    for step in std::iter::once(case.first).chain(case.then) {
        let label = format!("case {index} «{}»", step.say);
        let mut turn = TurnTools::new(&toolbox, USER);
        let answer =
            todo_nlu::reply(&history, memory.as_deref(), &step.say, &mut turn, now()).await;
        let calls = turn.finish().await;
        let reply = answer.text;
        memory = Some(answer.memory);
        let mut fail = |what: String| {
            failures.push(format!(
                "{label}: {what}\n    reply: {reply}\n    calls: {}",
                serde_json::to_string(
                    &calls
                        .iter()
                        .map(|c| json!({"name": c.name, "arguments": c.arguments}))
                        .collect::<Vec<_>>()
                )
                .unwrap()
            ))
        };
        if let Some(expected) = &step.expect_calls {
            let ok = expected.len() == calls.len()
                && expected.iter().zip(&calls).all(|(e, c)| {
                    e["name"] == c.name.as_str()
                        && subset(e.get("arguments").unwrap_or(&json!({})), &c.arguments)
                });
            if !ok {
                fail(format!(
                    "expected calls {}",
                    serde_json::to_string(expected).unwrap()
                ));
            }
        }
        let lower = reply.to_lowercase();
        for s in &step.expect_reply_contains {
            if !lower.contains(&s.to_lowercase()) {
                fail(format!("reply lacks {s:?}"));
            }
        }
        for s in &step.expect_reply_lacks {
            if lower.contains(&s.to_lowercase()) {
                fail(format!("reply contains {s:?}"));
            }
        }
        for e in &step.expect_tasks {
            let mut e = e.clone();
            let user = match e.as_object_mut().unwrap().remove("user") {
                Some(Value::String(u)) if u == "other" => OTHER,
                _ => USER,
            };
            let tasks = tasks_of(&store, user).await;
            let deleted = e.as_object_mut().unwrap().remove("deleted") == Some(json!(true));
            let found = tasks.iter().find(|t| subset(&e, t));
            match (deleted, found) {
                (true, Some(_)) => fail(format!("task {e} should be gone")),
                (false, None) => fail(format!(
                    "no task matches {e}; tasks: {}",
                    Value::Array(tasks.clone())
                )),
                _ => {}
            }
        }
        history.push(PastMessage {
            role: Role::User,
            content: step.say.clone(),
        });
        history.push(PastMessage {
            role: Role::Assistant,
            content: reply.clone(),
        });
    }
    failures
}

#[tokio::test]
async fn corpus() {
    let text = include_str!("../../nlu/tests/corpus.json");
    let cases: Vec<Case> = serde_json::from_str(text).expect("corpus.json parses");
    assert!(cases.len() >= 80, "the corpus keeps at least 80 cases");
    // Cases run a few at a time, as each mostly waits on its own database's disk syncs; `buffered`
    // keeps their failures in corpus order.
    let failures: Vec<String> = stream::iter(cases.into_iter().enumerate())
        .map(|(i, case)| run_case(i, case))
        .buffered(8)
        .flat_map(stream::iter)
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Odd input never panics a turn, always gets an answer, and changes no data unless it names an
/// action: noise, emoji, only punctuation, huge numbers, very long text, stray quotes.
#[tokio::test]
async fn odd_messages_are_answered_safely() {
    let (_dir, store) = fresh_store().await;
    tools::run(&store, USER, tools::ADD_TASK, json!({"title": "Buy milk"}))
        .await
        .unwrap();
    let toolbox = Toolbox::Local(store.clone());
    let long = "buy milk ".repeat(500);
    let noise = [
        "",
        " ",
        "\n\t",
        "?",
        "...",
        "!!!",
        "#",
        "@@@@",
        "'",
        "\"",
        "“",
        "«»",
        "''",
        "\"\"",
        "🙂",
        "👍👍",
        "🥛 🍞",
        "ñ",
        "日本語のテキスト",
        "مرحبا",
        "\u{200b}",
        "\u{feff}hi",
        "-",
        "--",
        "- 1",
        "#-1",
        "99999999999999999999",
        "task 99999999999999999999",
        "task -1",
        "task 0",
        "task 1.5",
        "the",
        "and",
        "a b c d e f g h",
        "asdf qwer",
        "lol",
        "???!!!",
        "🙂 task",
        "# # #",
        "' '",
        "“”",
        "tomorrow",
        "every",
        "in 99999999999 days",
        "on 99/99/9999",
        "at 25:99",
        "yes",
        "no",
        "the 0th one",
        "the 99999999999999999999th one",
    ];
    let actions = [
        "complete task 99999999999999999999",
        "delete task -1",
        "rename task 0 to x",
        "mark task 1.5 as done",
        "move task 1 to 31 february",
        "add ''",
        "add \"\"",
        "add 🥛",
        "add !!!",
        "remind me in 99999999999 days to breathe",
        &long,
        "add a task called 'unterminated",
        "delete the",
        "complete «",
    ];
    for say in noise.iter().chain(actions.iter()) {
        let mut turn = TurnTools::new(&toolbox, USER);
        let reply = todo_nlu::reply(&[], None, say, &mut turn, now()).await.text;
        let calls = turn.finish().await;
        assert!(!reply.trim().is_empty(), "{say:?}: empty reply");
        if noise.contains(say) {
            let changed: Vec<&str> = calls
                .iter()
                .map(|c| c.name.as_str())
                .filter(|n| *n != tools::LIST_TASKS)
                .collect();
            assert!(changed.is_empty(), "{say:?} changed data: {changed:?}");
        }
    }
    let left = tasks_of(&store, USER).await;
    assert!(left.iter().any(|t| t["title"] == json!("Buy milk")));
}
