//! `scripts/bench-import.sh` (or `cargo run --release -p todo-bench --bin todo-bench-import`): how long
//! `POST /api/{user}/import` takes for 10,000 tasks in 50 lists, four in ten of them subtasks (down to
//! the fourth level), with tags, due dates and recurrences. It starts the release `todo backend` on
//! SQLite (and on a throwaway PostgreSQL when there is one), imports the export document and the same
//! tasks as a Todoist CSV into a fresh user per run, and prints the median, fastest and slowest of
//! `BENCH_RUNS` runs (default 5) of each, and of a dry run of the document. A last case imports the
//! document with reminders on a third of its tasks for a user with a webhook taking `task.created`,
//! so the import also writes 10,000 webhook messages.

use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use todo_bench::{migrate, sign_up, start_server};
use todo_domain::{Colour, Priority, Recurrence, ReminderInput, RepeatFrom};
use todo_testkit::PgServer;
use todo_transfer::{Export, ExportList, ExportTask};

const TASKS: usize = 10_000;
const LISTS: usize = 50;

/// Task `i`'s parent among the tasks before it: in each group of ten, the first has three subtasks,
/// the first of those two, and the first of those one more (the fourth level); the last three are alone.
fn parent(i: usize) -> Option<usize> {
    let group = i - i % 10;
    match i % 10 {
        1..=3 => Some(group),
        4 | 5 => Some(group + 1),
        6 => Some(group + 4),
        _ => None,
    }
}

fn document() -> Export {
    let lists = (0..LISTS)
        .map(|l| ExportList {
            name: format!("List {l}"),
            colour: Colour::ALL[l % Colour::ALL.len()],
            position: Some(l as i64 + 1),
            archived: false,
            inbox: false,
        })
        .collect();
    let now = chrono::Utc::now();
    let tasks = (0..TASKS)
        .map(|i| ExportTask {
            reference: Some(i as u64 + 1),
            parent: parent(i).map(|p| p as u64 + 1),
            list: Some(format!("List {}", (i / 10) % LISTS)),
            title: format!("Task {i}: review the figures"),
            description: (i % 2 == 0).then(|| format!("Notes on task {i}")),
            completed: i % 4 == 0,
            priority: Priority::ALL[i % 3],
            tags: vec!["work".into(), format!("t{}", i % 7)],
            due_at: (i % 3 == 0).then(|| now + chrono::Duration::hours(i as i64)),
            recurrence: (i % 10 == 7).then_some(Recurrence::WEEKLY),
            repeat_from: RepeatFrom::Due,
            reminders: Vec::new(),
            series_start: None,
            occurrence: 1,
            next_created: false,
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect();
    Export {
        format: todo_transfer::FORMAT.into(),
        version: todo_transfer::VERSION,
        exported_at: now,
        lists,
        tasks,
        conversations: None,
    }
}

/// The document with reminders: 30 minutes before on each task with a due date, and an absolute one
/// (half of them in the past, so stored as done) on every tenth.
fn with_reminders(mut doc: Export) -> Export {
    let now = chrono::Utc::now();
    for (i, t) in doc.tasks.iter_mut().enumerate() {
        if t.due_at.is_some() {
            t.reminders.push(ReminderInput {
                before: Some("PT30M".into()),
                ..Default::default()
            });
        }
        if i % 10 == 0 {
            let at = now + chrono::Duration::days(if i % 20 == 0 { -1 } else { 1 });
            t.reminders.push(ReminderInput {
                at: Some(at.to_rfc3339()),
                ..Default::default()
            });
        }
    }
    doc
}

/// The same tasks as Todoist's CSV template: a section per list, INDENT for subtasks, DATE strings.
fn todoist_csv() -> String {
    let mut csv = String::from(
        "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE\n",
    );
    let level = |mut i: usize| {
        let mut l = 1;
        while let Some(p) = parent(i) {
            l += 1;
            i = p;
        }
        l
    };
    for (block, chunk) in (0..TASKS)
        .collect::<Vec<_>>()
        .chunks(TASKS / LISTS)
        .enumerate()
    {
        csv.push_str(&format!("section,List {block},,,,,,,,\n"));
        for &i in chunk {
            let date = match i % 10 {
                7 => "every monday at 9am",
                0 => "Jan 15 2027 5pm",
                _ => "",
            };
            csv.push_str(&format!(
                "task,Task {i}: review the figures @work,Notes on task {i},{},{},Me,,{date},en,Europe/Berlin\n",
                1 + i % 4,
                level(i)
            ));
        }
    }
    csv
}

/// An import to time.
struct Case<'a> {
    label: &'a str,
    query: &'a str,
    content_type: &'a str,
    body: &'a str,
    expected: u16,
    /// The user has a webhook taking `task.created`.
    webhook: bool,
}

/// Seconds of one `POST …/import` into a fresh user.
async fn import_once(base: &str, n: usize, case: &Case<'_>) -> f64 {
    let user = sign_up(
        base,
        &format!("import-{n}-{}@example.com", std::process::id()),
    )
    .await;
    let client = todo_testkit::http_client()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    let hooks = format!("{base}/api/{}/webhooks", user.id);
    let mut hook = None;
    if case.webhook {
        // A closed port: the scheduler's attempts fail at once (and the webhook goes before they pile up).
        let created: serde_json::Value = client
            .post(&hooks)
            .bearer_auth(&user.jwt)
            .json(
                &serde_json::json!({"url": "http://127.0.0.1:9/hook", "events": ["task.created"]}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        hook = Some(created["id"].as_i64().expect("a webhook"));
    }
    let started = Instant::now();
    let r = client
        .post(format!("{base}/api/{}/import{}", user.id, case.query))
        .bearer_auth(&user.jwt)
        .header(CONTENT_TYPE, case.content_type)
        .body(case.body.to_owned())
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let status = r.status().as_u16();
    let summary: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, case.expected, "{summary}");
    assert_eq!(summary["tasks"].as_u64(), Some(TASKS as u64), "{summary}");
    if let Some(id) = hook {
        let gone = client
            .delete(format!("{hooks}/{id}"))
            .bearer_auth(&user.jwt)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status().as_u16(), 204);
    }
    elapsed
}

async fn bench_database(kind: &str, url: &str, runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    migrate(url, dir.path());
    let (server, _) = start_server(
        "backend",
        url,
        dir.path(),
        // Each run signs a fresh user up from this one address.
        &[
            ("REQUEST_TIMEOUT_SECONDS", "300"),
            ("AUTH_RATE_LIMIT_BURST", "1000"),
            ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let base = server.base_url();
    let doc = serde_json::to_string(&document()).unwrap();
    let reminded = serde_json::to_string(&with_reminders(document())).unwrap();
    let csv = todoist_csv();
    println!(
        "\n{kind}: seconds per import of {TASKS} tasks in {LISTS} lists ({} KiB document, {} KiB CSV)",
        doc.len() / 1024,
        csv.len() / 1024
    );
    println!(
        "{:<28} {:>8} {:>8} {:>8}",
        "case", "median", "fastest", "slowest"
    );
    let json = "application/json";
    let cases = [
        Case {
            label: "export document",
            query: "",
            content_type: json,
            body: &doc,
            expected: 201,
            webhook: false,
        },
        Case {
            label: "export document, dry run",
            query: "?dry_run=true",
            content_type: json,
            body: &doc,
            expected: 200,
            webhook: false,
        },
        Case {
            label: "Todoist CSV",
            query: "",
            content_type: "text/csv",
            body: &csv,
            expected: 201,
            webhook: false,
        },
        Case {
            label: "reminders and a webhook",
            query: "",
            content_type: json,
            body: &reminded,
            expected: 201,
            webhook: true,
        },
    ];
    let mut n = 0;
    for case in &cases {
        let mut seconds = Vec::with_capacity(runs);
        for _ in 0..runs {
            n += 1;
            seconds.push(import_once(&base, n, case).await);
        }
        seconds.sort_by(f64::total_cmp);
        println!(
            "{:<28} {:>8.3} {:>8.3} {:>8.3}",
            case.label,
            seconds[runs / 2],
            seconds[0],
            seconds[runs - 1]
        );
    }
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(5);
    println!("{runs} runs per case, each into a fresh user, through HTTP");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("import.db").display());
    bench_database("sqlite", &sqlite, runs).await;
    match PgServer::shared() {
        Some(pg) => bench_database("postgres", &pg.new_database().await, runs).await,
        None => println!("postgres: skipped (no PostgreSQL found; set TEST_DATABASE_URL)"),
    }
}
