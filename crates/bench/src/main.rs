//! `cargo run --release -p todo-bench` (or `scripts/bench.sh`): starts the release `todo backend` on
//! SQLite and on PostgreSQL, seeds users with 100 and 100,000 tasks, and prints req/s, p50/p99 latency
//! and the server's peak RSS for list and create at 1, 16 and 64 connections, next to the same storage
//! calls made in a loop without HTTP (the floor). Set `BENCH_SECONDS` to change each run's length.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use todo_domain::{CreateTask, ListQuery, RawListQuery};
use todo_storage::{Store, StoreOptions};
use todo_testkit::{free_port, PgServer};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::sync::Mutex;

type Conn = Mutex<SendRequest<Full<Bytes>>>;

/// One keep-alive HTTP/1.1 connection per worker: a lean client, so the figures are the server's.
async fn connect(addr: &str, n: usize) -> Vec<Conn> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        conns.push(Mutex::new(send));
    }
    conns
}

const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";
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

struct Stats {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

fn summarise(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Stats {
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Stats {
        rps: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
    }
}

/// Runs `work` from `concurrency` workers for `duration`, timing each call.
async fn drive<F, Fut>(concurrency: usize, duration: Duration, work: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let work = Arc::new(work);
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let work = work.clone();
            tokio::spawn(async move {
                let (mut lat, mut errors, mut i) = (Vec::new(), 0, 0);
                while start.elapsed() < duration {
                    let t = Instant::now();
                    if work(w, w * 1_000_000 + i).await {
                        lat.push(t.elapsed())
                    } else {
                        errors += 1
                    }
                    i += 1;
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (lat, e) = w.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    summarise(all, errors, start.elapsed())
}

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

/// Bulk-loads `n` tasks for `user` straight into the table (seeding is not what is measured).
async fn seed(url: &str, user: &str, n: usize) {
    let now = chrono::Utc::now().timestamp_millis();
    let rows = |from: usize, to: usize| -> String {
        (from..to)
            .map(|i| {
                format!(
                    "('{user}', 'seeded task {i}', NULL, {}, {}, '[\"bench\"]', {}, {}, {}, 'seeded task {i}', 'seeded task {i}')",
                    i % 3 == 0,
                    1 + i % 3,
                    now + i as i64 * 60_000,
                    now - (n - i) as i64,
                    now - (n - i) as i64
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let insert = |from, to| {
        format!("INSERT INTO tasks (user_id, title, description, completed, priority, tags, due_at, created_at, updated_at, title_key, search_text) VALUES {}", rows(from, to))
    };
    // Same statements on both drivers; only the connection type differs.
    // Afterwards, settle the database as a long-running one would be, so the measurements do not race
    // background work the bulk load set off (autovacuum; an unfolded WAL).
    macro_rules! load {
        ($conn:ty, $settle:expr) => {{
            use sqlx::Connection;
            let mut c = <$conn>::connect(url).await.unwrap();
            for from in (0..n).step_by(1000) {
                sqlx::query(&insert(from, (from + 1000).min(n)))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            for statement in $settle {
                sqlx::query(statement).execute(&mut c).await.unwrap();
            }
        }};
    }
    if url.starts_with("sqlite") {
        load!(
            sqlx::SqliteConnection,
            ["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"]
        )
    } else {
        load!(sqlx::PgConnection, ["VACUUM ANALYZE tasks"])
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn todo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().join("todo");
    assert!(
        bin.exists(),
        "build it first: cargo build --release -p todo ({} missing)",
        bin.display()
    );
    bin
}

struct Backend {
    child: Child,
    addr: String,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `todo backend` and returns it with the time from spawn to a 200 on `/ready`.
async fn start_backend(url: &str, dir: &Path) -> (Backend, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(todo_binary())
        .arg("backend")
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("BETTER_AUTH_SECRET", SECRET)
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{base}/ready")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "backend never became ready"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let addr = format!("127.0.0.1:{port}");
    (Backend { child, addr }, started.elapsed())
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
    let migrate = Command::new(todo_binary())
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("LOG_LEVEL", "warn")
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(migrate.success());
    seed(&url, "100", 100).await;
    seed(&url, "100k", 100_000).await;

    let (backend, ready_in) = start_backend(&url, dir.path()).await;
    let pid = backend.child.id();
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
                        let mut conn = conns[w].lock().await;
                        if conn.ready().await.is_err() {
                            return false;
                        }
                        match conn.send_request(req).await {
                            Ok(r) => r.status().is_success() && r.into_body().collect().await.is_ok(),
                            Err(_) => false,
                        }
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
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let duration = Duration::from_secs_f64(seconds);
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
