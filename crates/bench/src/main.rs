//! `cargo run --release -p todo-bench` (or `scripts/bench.sh`): starts the release `todo backend` on
//! SQLite and on PostgreSQL, seeds users with 100 and 100,000 tasks, and prints req/s, p50/p99 latency
//! and the server's peak RSS for list and create at 1, 16 and 64 connections, next to the same storage
//! calls made in a loop without HTTP (the floor). Set `BENCH_SECONDS` to change each run's length.

use std::sync::Arc;
use std::time::Duration;

use todo_bench::{
    connect, drive, migrate, rss_kib, run_length, seed, send, start_backend, Stats, SECRET,
};
use todo_domain::{CreateTask, ListQuery, RawListQuery};
use todo_storage::{Store, StoreOptions};
use todo_testkit::PgServer;

use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};

const CONCURRENCY: [usize; 3] = [1, 16, 64];

#[derive(Clone, Copy)]
enum Op {
    List { user: &'static str, limit: u32 },
    Create,
}

impl Op {
    fn label(self) -> String {
        match self {
            Op::List { user, limit } => format!("GET list {user:>4} tasks, {limit:>3}/page"),
            Op::Create => "POST create".to_owned(),
        }
    }
}

const OPS: [Op; 5] = [
    Op::List {
        user: "100",
        limit: 20,
    },
    Op::List {
        user: "100k",
        limit: 20,
    },
    Op::List {
        user: "100",
        limit: 200,
    },
    Op::List {
        user: "100k",
        limit: 200,
    },
    Op::Create,
];

fn token(sub: &str) -> String {
    let claims = serde_json::json!({"sub": sub, "exp": chrono::Utc::now().timestamp() + 3600});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn new_task(i: usize) -> todo_domain::NewTask {
    let body = serde_json::json!({"title": format!("benchmark task {i}"), "priority": "medium", "tags": ["bench"]});
    serde_json::from_value::<CreateTask>(body)
        .unwrap()
        .validate()
        .unwrap()
}

fn row(kind: &str, label: &str, c: usize, http: &Stats, raw: &Stats, rss_mib: f64) {
    println!(
        "{kind:<8} {label:<32} {c:>3}  {:>9.0} {:>8.2} {:>8.2} {:>9.0} {:>8.2} {:>8.2} {:>6.0}% {:>8.1}{}",
        http.rps, http.p50_ms, http.p99_ms, raw.rps, raw.p50_ms, raw.p99_ms, 100.0 * http.rps / raw.rps.max(1.0), rss_mib,
        if http.errors + raw.errors > 0 { format!("  errors: http {} raw {}", http.errors, raw.errors) } else { String::new() }
    );
}

async fn bench_database(kind: &str, url: String, duration: Duration) {
    let dir = tempfile::tempdir().unwrap();
    migrate(&url, dir.path());
    seed(&url, "100", 100).await;
    seed(&url, "100k", 100_000).await;

    let (backend, ready_in) = start_backend(&url, dir.path()).await;
    let pid = backend.pid();
    println!(
        "{kind}: start to ready {:.1} ms; RSS at rest {:.1} MiB",
        ready_in.as_secs_f64() * 1e3,
        rss_kib(pid, "VmRSS:") as f64 / 1024.0
    );
    let store = Store::open(&url, &StoreOptions::default()).unwrap();

    for op in OPS {
        for c in CONCURRENCY {
            let http = {
                let (user, path) = match op {
                    Op::List { user, limit } => (user, format!("/api/{user}/tasks?limit={limit}")),
                    Op::Create => ("writer", "/api/writer/tasks".to_owned()),
                };
                let auth = format!("Bearer {}", token(user));
                let conns = Arc::new(connect(&backend.addr, c).await);
                drive(c, duration, move |w, i| {
                    let mut req = Request::builder().uri(path.as_str()).header(HOST, "bench").header(AUTHORIZATION, &auth);
                    let body = match op {
                        Op::List { .. } => Full::default(),
                        Op::Create => {
                            req = req.method(Method::POST).header(CONTENT_TYPE, "application/json");
                            Full::from(format!(r#"{{"title":"benchmark task {i}","priority":"medium","tags":["bench"]}}"#))
                        }
                    };
                    let req = req.body(body).unwrap();
                    let conns = conns.clone();
                    async move {
                        send(&conns[w], req).await.is_some_and(|(status, _)| status.is_success())
                    }
                })
                .await
            };
            let raw = {
                let store = store.clone();
                drive(c, duration, move |_, i| {
                    let store = store.clone();
                    async move {
                        match op {
                            Op::List { user, limit } => {
                                let q = ListQuery::parse(&RawListQuery {
                                    limit: Some(limit.to_string()),
                                    ..Default::default()
                                })
                                .unwrap();
                                store.list_tasks(user, &q).await.is_ok()
                            }
                            Op::Create => {
                                store.create_task("raw-writer", new_task(i)).await.is_ok()
                            }
                        }
                    }
                })
                .await
            };
            row(
                kind,
                &op.label(),
                c,
                &http,
                &raw,
                rss_kib(pid, "VmHWM:") as f64 / 1024.0,
            );
        }
    }
    store.close().await;
}

#[tokio::main]
async fn main() {
    let (seconds, duration) = run_length(3.0);
    println!("{} s per run; HTTP = release `todo backend` over loopback; raw = the same storage calls without HTTP", seconds);
    println!(
        "{:<8} {:<32} {:>3}  {:>9} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7} {:>8}",
        "db",
        "operation",
        "c",
        "http r/s",
        "p50 ms",
        "p99 ms",
        "raw r/s",
        "p50 ms",
        "p99 ms",
        "http/raw",
        "peak MiB"
    );
    let dir = tempfile::tempdir().unwrap();
    bench_database(
        "sqlite",
        format!("sqlite://{}", dir.path().join("bench.db").display()),
        duration,
    )
    .await;
    match PgServer::shared() {
        Some(pg) => bench_database("postgres", pg.new_database().await, duration).await,
        None => println!("postgres: skipped (no PostgreSQL found; set TEST_DATABASE_URL)"),
    }
}
