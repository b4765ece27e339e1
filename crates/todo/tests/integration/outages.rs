//! PostgreSQL in trouble, as replicas behind a load balancer meet it: readiness must tell a busy pool from
//! a database that is down, and while the database refuses connections requests must fail at once rather
//! than each waiting out the pool's acquire timeout.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection;
use todo_testkit::PgServer;

use crate::process::{spawn_role, terminate, wait_exit};
use crate::support::{hs256, TestApp, SECRET};

fn backend_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", url.to_owned()),
        ("BETTER_AUTH_SECRET", SECRET.to_owned()),
        ("AUTO_MIGRATE", "true".to_owned()),
        ("DATABASE_MAX_CONNECTIONS", "2".to_owned()),
        ("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "10".to_owned()),
    ]
}

async fn start_backend(url: &str, dir: &std::path::Path) -> (std::process::Child, TestApp) {
    let env = backend_env(url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (child, base) = spawn_role(&["backend"], &env, dir, "backend").await;
    (child, TestApp::attach(&base))
}

#[tokio::test]
async fn readiness_says_busy_not_down_when_requests_hold_every_connection() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, app) = start_backend(&url, dir.path()).await;
    let token = hs256("busy", json!({}));
    let path = "/api/busy/tasks";
    let (status, _) = app
        .call(reqwest::Method::GET, path, Some(&token), None)
        .await;
    assert_eq!(status, 200);

    // Another client holds the table, so every list request waits on its pooled connection.
    let mut blocker = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let waiting: Vec<_> = (0..4)
        .map(|_| {
            let request = app.request(reqwest::Method::GET, path, Some(&token));
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, ready) = app.call(reqwest::Method::GET, "/ready", None, None).await;
    assert_eq!(
        status, 200,
        "a busy pool is no reason to leave the load balancer: {ready}"
    );
    assert_eq!(ready["status"], "busy", "{ready}");

    sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
    for w in waiting {
        assert_eq!(w.await.unwrap(), 200);
    }
    let (status, ready) = app.call(reqwest::Method::GET, "/ready", None, None).await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
}

#[tokio::test]
async fn requests_fail_fast_while_postgres_refuses_connections() {
    let Some(pg) = PgServer::start_private() else {
        return;
    };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, app) = start_backend(&url, dir.path()).await;
    let token = hs256("pat", json!({}));
    let path = "/api/pat/tasks";
    let (status, _) = app
        .call(
            reqwest::Method::POST,
            path,
            Some(&token),
            Some(json!({"title": "kept"})),
        )
        .await;
    assert_eq!(status, 201);

    pg.stop();
    // The first request finds the database gone (it may wait out the acquire timeout)...
    let (status, body) = app
        .call(reqwest::Method::GET, path, Some(&token), None)
        .await;
    assert_eq!(status, 503, "{body}");
    // ...and the ones after it are answered at once, not after the 10 s acquire timeout each.
    for _ in 0..5 {
        let started = Instant::now();
        let (status, body) = app
            .call(reqwest::Method::GET, path, Some(&token), None)
            .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a request waited {:?} on a database known to be down",
            started.elapsed()
        );
    }

    pg.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app
            .call(reqwest::Method::GET, path, Some(&token), None)
            .await;
        if status == 200 {
            assert_eq!(body[0]["title"], "kept");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "requests still fail after PostgreSQL is back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    pg.stop();
}
