//! `scripts/bench-list.sh` (or `cargo run --release -p todo-bench --bin todo-bench-list`): how a 20-task
//! page of one user's list scales with the list's size. For 100, 10,000 and 100,000 tasks, each in a
//! database of its own, on SQLite and on PostgreSQL, it prints the median latency of the storage call
//! (no HTTP, one call at a time) for each filter, search and sort, and the largest over smallest ratio;
//! then, on the same database, the task hot path's other calls: reading one task, creating one with and
//! without a due time, toggling and updating one. `BENCH_SECONDS` sets how long each case runs (default
//! 0.5).
//!
//! The tasks look like a long-lived list: the older half completed, half with a description, three tags
//! and words spread so that some searches and filters match a fixed handful of tasks at every size and
//! others a fixed share.

use std::time::Duration;

use todo_bench::{drive, run_length, seed_rows};
use todo_domain::{CreateTask, ListQuery, RawListQuery, UpdateTask};
use todo_storage::{Store, StoreOptions};
use todo_testkit::PgServer;

const SIZES: [usize; 3] = [100, 10_000, 100_000];
/// Every task at every level: the flat page lists had before there were lists.
const FLAT: &str = "all tasks, subtasks included (flat)";
const ONE_LIST: &str = "one list of 50 (top-level tasks)";
const USER: &str = "bench-user";
const VERBS: [&str; 10] = [
    "call", "email", "buy", "fix", "plan", "review", "write", "clean", "book", "pay",
];
const NOUNS: [&str; 10] = [
    "report", "garden", "invoice", "dentist", "car", "budget", "slides", "kitchen", "tickets",
    "rent",
];

/// Whether task `i` of `n` is one of the ten evenly spread tasks of group `group` (0 or 1).
fn one_of_ten(i: usize, n: usize, group: usize) -> bool {
    i % (n / 10) == n / 20 + group
}

/// The SQL tuple of task `i` of `n` (0 is the oldest) in list `list`.
fn task_row(i: usize, n: usize, now: i64, list: i64) -> String {
    let mut title = format!("{} the {} #{i}", VERBS[i % 10], NOUNS[(i / 10) % 10]);
    let mut words = Vec::new();
    if one_of_ten(i, n, 0) {
        words.push("kiwi");
    }
    if i % 100 == 7 {
        words.push("mango");
    }
    if i.is_multiple_of(3) {
        words.push("urgent");
    }
    let description = i.is_multiple_of(2).then(|| {
        format!(
            "notes on the {}: {} lorem ipsum dolor sit amet, consectetur adipiscing elit",
            NOUNS[i % 10],
            words.join(" ")
        )
    });
    // The words of a task without a description go in its title.
    if description.is_none() {
        for w in &words {
            title = format!("{title} {w}");
        }
    }
    let search_text = match &description {
        Some(d) => format!("{title}\n{d}"),
        None => title.clone(),
    };
    let tag = if one_of_ten(i, n, 1) {
        "tax"
    } else if i % 3 == 1 {
        "work"
    } else {
        "home"
    };
    let created = now - (n - i) as i64 * 1000;
    let sql_text = |s: Option<&str>| s.map_or("NULL".to_owned(), |s| format!("'{s}'"));
    format!(
        "('{USER}', '{title}', {}, {}, {}, '[\"{tag}\"]', {}, {created}, {}, '{title}', '{search_text}', {list})",
        sql_text(description.as_deref()),
        i < n / 2,
        if i.is_multiple_of(5) { 3 } else { 1 + i % 2 },
        if i.is_multiple_of(4) {
            "NULL".to_owned()
        } else {
            (now + ((i * 7919) % n) as i64 * 60_000).to_string()
        },
        created + ((i * 104_729) % n) as i64 * 1000,
    )
}

/// The cases measured: a label and the query string as the API takes it; `list` is one of the 50 lists.
fn cases(list: i64) -> Vec<(String, RawListQuery)> {
    let q = |f: &dyn Fn(&mut RawListQuery)| {
        let mut raw = RawListQuery {
            limit: Some("20".into()),
            ..Default::default()
        };
        f(&mut raw);
        raw
    };
    let mut cases = vec![
        ("no filter (top-level tasks)".to_owned(), q(&|_| {})),
        (FLAT.into(), q(&|r| r.include = Some("subtasks".into()))),
        (ONE_LIST.into(), q(&|r| r.list = Some(list.to_string()))),
        (
            "one list, subtasks included".into(),
            q(&|r| {
                r.list = Some(list.to_string());
                r.include = Some("subtasks".into());
            }),
        ),
        (
            "status=pending (newer half)".into(),
            q(&|r| r.status = Some("pending".into())),
        ),
        (
            "status=completed (older half)".into(),
            q(&|r| r.status = Some("completed".into())),
        ),
        (
            "q matching nothing".into(),
            q(&|r| r.q = Some("xylophone".into())),
        ),
        (
            "q matching 10 tasks".into(),
            q(&|r| r.q = Some("Kiwi".into())),
        ),
        (
            "q matching 1 in 100".into(),
            q(&|r| r.q = Some("mango".into())),
        ),
        (
            "q matching 1 in 3".into(),
            q(&|r| r.q = Some("urgent".into())),
        ),
        (
            "q of 2 letters, 10 tasks".into(),
            q(&|r| r.q = Some("iw".into())),
        ),
        (
            "q matching 10, status=pending".into(),
            q(&|r| {
                r.q = Some("kiwi".into());
                r.status = Some("pending".into());
            }),
        ),
        (
            "priority=high (1 in 5)".into(),
            q(&|r| r.priority = Some("high".into())),
        ),
        ("tag on 10 tasks".into(), q(&|r| r.tag = Some("tax".into()))),
        ("tag on 1 in 3".into(), q(&|r| r.tag = Some("work".into()))),
    ];
    for sort in ["created", "updated", "due", "priority", "title"] {
        for order in ["asc", "desc"] {
            let mut raw = q(&|_| {});
            raw.sort = Some(sort.into());
            raw.order = Some(order.into());
            cases.push((format!("sort={sort} {order}"), raw.clone()));
            raw.status = Some("completed".into());
            cases.push((format!("sort={sort} {order}, completed"), raw));
        }
    }
    cases
}

/// The median latency of `raw`'s page in ms.
async fn measure(store: &Store, raw: &RawListQuery, duration: Duration) -> f64 {
    let query = ListQuery::parse(raw).unwrap();
    let store = store.clone();
    let stats = drive(1, duration, move |_, _| {
        let (store, query) = (store.clone(), query.clone());
        async move { store.list_tasks(USER, &query).await.is_ok() }
    })
    .await;
    assert_eq!(stats.errors, 0);
    stats.p50_ms
}

/// The single-task calls measured after the pages, as the API makes them for one request.
#[derive(Clone, Copy)]
enum Write {
    Get,
    Create,
    CreateDue,
    Toggle,
    Update,
}

const WRITES: [(Write, &str); 5] = [
    (Write::Get, "read one task"),
    (Write::Create, "create, no due time"),
    (Write::CreateDue, "create with a due time"),
    (Write::Toggle, "toggle a task with a due time"),
    (Write::Update, "update its title and due time"),
];

/// Call `i` of `write` on `task` (a pending top-level task with a due time).
async fn write_call(store: &Store, write: Write, task: i64, i: usize) -> bool {
    let due = chrono::Utc::now() + chrono::Duration::hours(1 + (i % 100) as i64);
    let create = |body: serde_json::Value| {
        serde_json::from_value::<CreateTask>(body)
            .unwrap()
            .validate()
            .unwrap()
    };
    match write {
        Write::Get => matches!(store.get_task(USER, task).await, Ok(Some(_))),
        Write::Create => {
            let new =
                create(serde_json::json!({"title": format!("new task {i}"), "tags": ["bench"]}));
            store.create_task(USER, new).await.is_ok()
        }
        Write::CreateDue => {
            let new = create(serde_json::json!({
                "title": format!("new task {i}"), "tags": ["bench"], "due_at": due.to_rfc3339()
            }));
            store.create_task(USER, new).await.is_ok()
        }
        Write::Toggle => matches!(store.toggle_task(USER, task, false).await, Ok(Some(_))),
        Write::Update => {
            let patch = serde_json::from_value::<UpdateTask>(serde_json::json!({
                "title": format!("renamed {i}"), "due_at": due.to_rfc3339()
            }))
            .unwrap()
            .validate()
            .unwrap();
            matches!(
                store.update_task(USER, task, patch, false).await,
                Ok(Some(_))
            )
        }
    }
}

/// The median latency of `write`'s calls in ms.
async fn measure_write(store: &Store, write: Write, task: i64, duration: Duration) -> f64 {
    let store = store.clone();
    let stats = drive(1, duration, move |_, i| {
        let store = store.clone();
        async move { write_call(&store, write, task, i).await }
    })
    .await;
    assert_eq!(stats.errors, 0);
    stats.p50_ms
}

/// A cursor to the page in the middle of the pending tasks sorted by `sort`.
async fn middle_cursor(store: &Store, sort: &str, n: usize) -> RawListQuery {
    let mut raw = RawListQuery {
        status: Some("pending".into()),
        sort: Some(sort.into()),
        limit: Some("200".into()),
        ..Default::default()
    };
    for _ in 0..n / 4 / 200 {
        let page = store
            .list_tasks(USER, &ListQuery::parse(&raw).unwrap())
            .await
            .unwrap();
        raw.cursor = Some(page.next_cursor.unwrap().encode());
    }
    raw.limit = Some("20".into());
    raw
}

async fn bench_database(kind: &str, urls: Vec<String>, duration: Duration) {
    let mut table: Vec<(String, Vec<f64>)> =
        cases(0).into_iter().map(|(l, _)| (l, vec![])).collect();
    for sort in ["created", "updated", "due", "priority", "title"] {
        table.push((format!("cursor mid-list, pending, sort={sort}"), vec![]));
    }
    let reads = table.len();
    table.extend(WRITES.iter().map(|(_, l)| (l.to_string(), vec![])));
    for (n, url) in SIZES.into_iter().zip(urls) {
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        seed_rows(&url, USER, n, |i, list| task_row(i, n, now, list)).await;
        let list = store.lists(USER).await.unwrap()[1].id;
        let mut queries: Vec<RawListQuery> = cases(list).into_iter().map(|(_, q)| q).collect();
        for sort in ["created", "updated", "due", "priority", "title"] {
            queries.push(middle_cursor(&store, sort, n).await);
        }
        for (row, raw) in table.iter_mut().zip(&queries) {
            row.1.push(measure(&store, raw, duration).await);
        }
        // The first pending top-level task by due time has one.
        let due_first = RawListQuery {
            status: Some("pending".into()),
            sort: Some("due".into()),
            limit: Some("1".into()),
            ..Default::default()
        };
        let page = store
            .list_tasks(USER, &ListQuery::parse(&due_first).unwrap())
            .await
            .unwrap();
        let task = page.tasks[0].id;
        for (row, (write, _)) in table[reads..].iter_mut().zip(WRITES) {
            row.1
                .push(measure_write(&store, write, task, duration).await);
        }
        store.close().await;
    }
    println!(
        "\n{kind}: median ms of a 20-task page\n{:<40} {:>9} {:>9} {:>9} {:>10}",
        "case", "100", "10,000", "100,000", "max/min"
    );
    let at_largest = |label: &str| table.iter().find(|(l, _)| l == label).map(|(_, ms)| ms[2]);
    if let (Some(list), Some(flat)) = (at_largest(ONE_LIST), at_largest(FLAT)) {
        println!(
            "{kind}: one list's first page / the flat page, 100,000 tasks in 50 lists: {:.2}",
            list / flat
        );
    }
    for (label, ms) in table {
        let (min, max) = ms
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &m| (lo.min(m), hi.max(m)));
        println!(
            "{label:<40} {:>9.3} {:>9.3} {:>9.3} {:>10.2}",
            ms[0],
            ms[1],
            ms[2],
            max / min
        );
    }
}

#[tokio::main]
async fn main() {
    let (seconds, duration) = run_length(0.5);
    println!("{seconds} s per case; storage calls without HTTP, one at a time");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SIZES
        .iter()
        .map(|n| format!("sqlite://{}", dir.path().join(format!("{n}.db")).display()))
        .collect();
    bench_database("sqlite", sqlite, duration).await;
    match PgServer::shared() {
        Some(pg) => {
            let mut urls = Vec::new();
            for _ in SIZES {
                urls.push(pg.new_database().await);
            }
            bench_database("postgres", urls, duration).await
        }
        None => println!("postgres: skipped (no PostgreSQL found; set TEST_DATABASE_URL)"),
    }
}
