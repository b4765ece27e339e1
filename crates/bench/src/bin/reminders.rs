//! `scripts/bench-reminders.sh` (or `cargo run --release -p todo-bench --bin todo-bench-reminders`): how
//! late reminders arrive when `BENCH_REMINDERS` (default 10,000) of them fall due within the same minute,
//! with two release `todo backend` replicas sharing one PostgreSQL database, and what the scheduler costs
//! when there is nothing to do. It prints the delay from each reminder's time to its in-app notification
//! (p50, p99, max), whether any was told twice, and the database transactions per minute of the two
//! idle replicas.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use todo_bench::{migrate, start_server, Server};
use todo_testkit::PgServer;

const USERS: usize = 100;

async fn count(c: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(c).await.unwrap()
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_REMINDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let Some(pg) = PgServer::shared() else {
        eprintln!("no PostgreSQL server binaries here (initdb, pg_ctl); nothing measured");
        return;
    };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    migrate(&url, dir.path());
    let mut c = PgConnection::connect(&url).await.unwrap();

    // The reminders fall due across one minute that starts 15 s from now (time to start the replicas).
    let start = chrono::Utc::now().timestamp_millis() + 15_000;
    let lists: Vec<String> = (0..USERS)
        .map(|u| format!("('bench{u}', 'Inbox', 'inbox', 0, TRUE, 0, 0)"))
        .collect();
    let sql = format!(
        "INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at) VALUES {}",
        lists.join(",")
    );
    sqlx::query(&sql).execute(&mut c).await.unwrap();
    for from in (0..n).step_by(1000) {
        let rows: Vec<String> = (from..(from + 1000).min(n))
            .map(|i| {
                let due = start + (i as i64 * 60_000) / n as i64;
                format!(
                    "('bench{u}', 'Reminder {i}', 'reminder {i}', 'reminder {i}', FALSE, 2, '[]', {due}, 0, 0, \
                     (SELECT id FROM lists WHERE user_id = 'bench{u}'))",
                    u = i % USERS
                )
            })
            .collect();
        let sql = format!(
            "WITH t AS (INSERT INTO tasks (user_id, title, title_key, search_text, completed, priority, tags, \
             due_at, created_at, updated_at, list_id) VALUES {} RETURNING id, user_id, due_at) \
             INSERT INTO reminders (task_id, user_id, before_ms, fire_at, created_at) \
             SELECT id, user_id, 0, due_at, 0 FROM t",
            rows.join(",")
        );
        sqlx::query(&sql).execute(&mut c).await.unwrap();
    }
    sqlx::query("VACUUM ANALYZE").execute(&mut c).await.unwrap();

    let replicas: Vec<Server> = vec![
        start_server("backend", &url, dir.path(), &[]).await.0,
        start_server("backend", &url, dir.path(), &[]).await.0,
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(15 + 60 + 120);
    loop {
        let told = count(&mut c, "SELECT COUNT(*) FROM notifications").await;
        if told as usize >= n {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {told} of {n} reminders told"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut delays: Vec<i64> = sqlx::query_scalar(
        "SELECT created_at - fire_at FROM notifications ORDER BY created_at - fire_at",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    delays.sort_unstable();
    let duplicates = count(
        &mut c,
        "SELECT COUNT(*) - COUNT(DISTINCT reminder_id) FROM notifications",
    )
    .await;
    println!(
        "{n} reminders due within one minute, 2 backend replicas on PostgreSQL: delay to the in-app \
         notification p50 {} ms, p99 {} ms, max {} ms; told twice: {duplicates}",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or_default(),
    );

    // Idle: nothing pending; count the database's transactions over a minute (the two replicas' own,
    // less this connection's two reads).
    let stat = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()";
    sqlx::query("SELECT pg_stat_force_next_flush()")
        .execute(&mut c)
        .await
        .ok();
    let before = count(&mut c, stat).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let after = count(&mut c, stat).await;
    println!(
        "idle scheduler: {} database transactions per minute for the 2 replicas (SCHEDULER_POLL_SECONDS=30)",
        after - before - 2
    );
    drop(replicas);
}
