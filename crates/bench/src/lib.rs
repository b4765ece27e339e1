//! What the benchmarks share: the release `todo` processes they start, the lean keep-alive HTTP client
//! that drives them, the timing loop and its summary, bulk seeding and the servers' peak RSS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::Mutex;

pub type Conn = Mutex<SendRequest<Full<Bytes>>>;

/// The JWT secret every process of a benchmark shares.
pub const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

/// One keep-alive HTTP/1.1 connection per worker: a lean client, so the figures are the server's.
pub async fn connect(addr: &str, n: usize) -> Vec<Conn> {
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

/// Sends `req` on `conn` and reads the whole answer; `None` when the connection failed or no answer
/// came within a minute.
pub async fn send(conn: &Conn, req: Request<Full<Bytes>>) -> Option<(StatusCode, Bytes)> {
    let exchange = async {
        let mut conn = conn.lock().await;
        conn.ready().await.ok()?;
        let resp = conn.send_request(req).await.ok()?;
        let status = resp.status();
        let body = resp.into_body().collect().await.ok()?.to_bytes();
        Some((status, body))
    };
    tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .ok()
        .flatten()
}

pub struct Stats {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
}

/// Throughput over `elapsed` and the 50th/99th percentiles of `latencies`.
pub fn summarise(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Stats {
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

/// Runs `work(worker, call number)` from `concurrency` workers for `duration`, timing each call; a call
/// that returns `false` counts as an error.
pub async fn drive<F, Fut>(concurrency: usize, duration: Duration, work: F) -> Stats
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

/// Bulk-loads `n` tasks for `user` straight into the table (seeding is not what is measured).
pub async fn seed(url: &str, user: &str, n: usize) {
    let now = chrono::Utc::now().timestamp_millis();
    seed_rows(url, user, n, |i, list| {
        format!(
            "('{user}', 'seeded task {i}', NULL, {}, {}, '[\"bench\"]', {}, {}, {}, 'seeded task {i}', 'seeded task {i}', {list})",
            i % 3 == 0,
            1 + i % 3,
            now + i as i64 * 60_000,
            now - (n - i) as i64,
            now - (n - i) as i64
        )
    })
    .await
}

/// Lists each seeded user gets: the Inbox and 49 more; task `i` goes in list `i % SEED_LISTS`.
pub const SEED_LISTS: usize = 50;

/// Bulk-loads `n` tasks of `user` in [`SEED_LISTS`] lists, `row(i, list_id)` giving the SQL tuple of
/// [`SEED_COLUMNS`] for task `i`; every fifth run of 50 tasks are subtasks of the run before (same lists).
/// Then it settles the database as a long-running one would be, so the measurements do not race
/// background work the bulk load set off (autovacuum; an unfolded WAL).
pub async fn seed_rows(url: &str, user: &str, n: usize, row: impl Fn(usize, i64) -> String) {
    let lists: Vec<String> = (0..SEED_LISTS)
        .map(|l| {
            let name = if l == 0 {
                "Inbox".to_owned()
            } else {
                format!("List {l}")
            };
            format!(
                "('{user}', '{name}', '{}', {l}, {}, 0, 0)",
                name.to_lowercase(),
                l == 0
            )
        })
        .collect();
    let lists = format!(
        "INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at) VALUES {}",
        lists.join(",")
    );
    let insert = |from: usize, to: usize, ids: &[i64]| {
        let rows: Vec<String> = (from..to).map(|i| row(i, ids[i % SEED_LISTS])).collect();
        format!("INSERT INTO tasks {SEED_COLUMNS} VALUES {}", rows.join(","))
    };
    // Same statements on both drivers; only the connection type differs.
    macro_rules! load {
        ($conn:ty, $settle:expr) => {{
            use sqlx::Connection;
            let mut c = <$conn>::connect(url).await.unwrap();
            sqlx::query(&lists).execute(&mut c).await.unwrap();
            let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM lists WHERE user_id = $1 ORDER BY id")
                .bind(user)
                .fetch_all(&mut c)
                .await
                .unwrap();
            for from in (0..n).step_by(1000) {
                sqlx::query(&insert(from, (from + 1000).min(n), &ids))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            let first: i64 = sqlx::query_scalar("SELECT COALESCE(MIN(id), 0) FROM tasks WHERE user_id = $1")
                .bind(user)
                .fetch_one(&mut c)
                .await
                .unwrap();
            // Task ids follow the insertion order, so `id - 50` is the same list's task one run earlier.
            sqlx::query(
                "UPDATE tasks SET parent_id = id - 50 WHERE user_id = $1 AND (id - $2) / 50 % 5 = 4",
            )
            .bind(user)
            .bind(first)
            .execute(&mut c)
            .await
            .unwrap();
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

/// The columns each tuple of [`seed_rows`] fills, in order.
pub const SEED_COLUMNS: &str = "(user_id, title, description, completed, priority, tags, due_at, created_at, updated_at, title_key, search_text, list_id)";

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:` now, `VmHWM:` at peak).
pub fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The release `todo` next to this benchmark's own executable.
pub fn todo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().join("todo");
    assert!(
        bin.exists(),
        "build it first: cargo build --release -p todo ({} missing)",
        bin.display()
    );
    bin
}

/// Applies the migrations to `url` with `todo migrate`.
pub fn migrate(url: &str, dir: &Path) {
    let migrate = Command::new(todo_binary())
        .arg("migrate")
        .env("DATABASE_URL", url)
        .env("LOG_LEVEL", "warn")
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(migrate.success());
}

/// A running `todo` server process, killed on drop.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:port`
    pub addr: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Peak resident memory so far, in MiB.
    pub fn peak_mib(&self) -> f64 {
        rss_kib(self.pid(), "VmHWM:") as f64 / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `todo <role>` on `url` with `env` added, and returns it with the time from spawn to a 200 on
/// `/ready`.
pub async fn start_server(
    role: &str,
    url: &str,
    dir: &Path,
    env: &[(&str, &str)],
) -> (Server, Duration) {
    let port = todo_testkit::free_port();
    let started = Instant::now();
    let child = Command::new(todo_binary())
        .arg(role)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("BETTER_AUTH_SECRET", SECRET)
        .env("LOG_LEVEL", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = todo_testkit::http_client().build().unwrap();
    loop {
        if let Ok(r) = client.get(format!("{base}/ready")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "todo {role} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let addr = format!("127.0.0.1:{port}");
    (Server { child, addr }, started.elapsed())
}

/// `todo backend` on `url` with the default settings.
pub async fn start_backend(url: &str, dir: &Path) -> (Server, Duration) {
    start_server("backend", url, dir, &[("LOG_LEVEL", "info")]).await
}

pub use todo_testkit::SignedUp as User;

/// Signs `email` up through the API at `base` (`todo serve` or `todo backend`).
pub async fn sign_up(base: &str, email: &str) -> User {
    let client = todo_testkit::http_client().build().unwrap();
    todo_testkit::sign_up(&client, base, email).await
}

/// Reads `BENCH_SECONDS` (else `default` seconds) as each run's length.
pub fn run_length(default: f64) -> (f64, Duration) {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    (seconds, Duration::from_secs_f64(seconds))
}
