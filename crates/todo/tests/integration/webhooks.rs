//! Webhooks through the API on both databases: registered with a secret shown once, events delivered
//! by the server's own scheduler to a receiver that verifies every signature, a test event, the
//! delivery log, deletion, and bad input refused naming the field. Then real `todo backend`
//! processes on one PostgreSQL: 1,000 reminders delivered exactly once by two of them, none lost to a
//! `kill -9` of the one holding their leases, and the ones missed during downtime delivered late.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use reqwest::Method;
use serde_json::{json, Value};
use todo_testkit::{PgServer, Receiver, Reply};

use crate::on_both_databases;
use crate::process::spawn_role;
use crate::support::{database, Db, TestApp, TestUser, SECRET};

on_both_databases!(bad_webhooks_are_refused_naming_the_field);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_registered_tested_logged_and_deleted_sqlite() {
    registered_tested_logged_and_deleted(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_registered_tested_logged_and_deleted_postgres() {
    registered_tested_logged_and_deleted(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_a_task_created_event_per_task_sqlite() {
    an_import_is_a_task_created_event_per_task(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_a_task_created_event_per_task_postgres() {
    an_import_is_a_task_created_event_per_task(Db::Postgres).await;
}

async fn create_hook(app: &TestApp, u: &TestUser, url: &str, events: &[&str]) -> (i64, String) {
    let (status, hook) = app
        .send(
            u,
            Method::POST,
            "/webhooks",
            Some(json!({"url": url, "events": events})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    (
        hook["id"].as_i64().unwrap(),
        hook["secret"].as_str().unwrap().to_owned(),
    )
}

async fn registered_tested_logged_and_deleted(db: Db) {
    let Some(app) = TestApp::spawn_with(db, &["--webhook-allow-private", "true"]).await else {
        return;
    };
    let u = app.sign_up("hooks@example.com").await;
    let other = app.sign_up("hooks-other@example.com").await;
    let receiver = Receiver::start().await;
    let (id, secret) =
        create_hook(&app, &u, &receiver.url, &["task.created", "task.completed"]).await;
    let key = secret.strip_prefix("whsec_").expect("a whsec_ secret");
    let key = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key).unwrap();
    assert!((24..=64).contains(&key.len()));
    receiver.set_secret(&secret);

    // Written, then sent at once (the write wakes the scheduler).
    let task = app.create(&u, json!({"title": "Ship it"})).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["type"], "task.created");
    assert_eq!(got[0].body["data"]["task"]["id"], task["id"]);
    assert_eq!(app.toggle(&u, &task["id"]).await.0, 200);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].body["type"], "task.completed");

    let (status, queued) = app
        .send(&u, Method::POST, &format!("/webhooks/{id}/test"), None)
        .await;
    assert_eq!(status, 202, "{queued}");
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got[2].body["type"], "webhook.test");
    assert_eq!(got[2].message_id, queued["message_id"].as_str().unwrap());
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());

    // The log: three messages, each delivered on its first attempt; no secret after creation.
    // (The attempt is recorded just after the receiver answers.)
    let mut hooks = Value::Null;
    for _ in 0..50 {
        let (status, now) = app.send(&u, Method::GET, "/webhooks", None).await;
        assert_eq!(status, 200);
        hooks = now;
        let log = hooks[0]["deliveries"].as_array().unwrap();
        if log.iter().all(|d| d["status"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(hooks[0].get("secret").is_none(), "{hooks}");
    assert_eq!(
        hooks[0]["events"],
        json!(["task.created", "task.completed"])
    );
    let log = hooks[0]["deliveries"].as_array().unwrap();
    assert_eq!(log.len(), 3, "{hooks}");
    assert_eq!(log[0]["message_id"], queued["message_id"]);
    for d in log {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(d["attempts"][0]["status_code"], 200);
    }

    // Someone else's webhooks are not theirs to see or touch.
    let path = format!("/api/{}/webhooks/{id}", u.id);
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&other.jwt), None)
            .await
            .0,
        403
    );
    let (status, none) = app.send(&other, Method::GET, "/webhooks", None).await;
    assert_eq!((status, none), (200, json!([])));

    let gone = format!("/webhooks/{id}");
    assert_eq!(app.send(&u, Method::DELETE, &gone, None).await.0, 204);
    assert_eq!(app.send(&u, Method::DELETE, &gone, None).await.0, 404);
    assert_eq!(
        app.send(&u, Method::GET, "/webhooks", None).await.1,
        json!([])
    );
    app.create(&u, json!({"title": "Unheard"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);
}

async fn bad_webhooks_are_refused_naming_the_field(app: TestApp) {
    let u = app.sign_up("badhooks@example.com").await;
    let long = format!("https://example.com/{}", "a".repeat(2000));
    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/h", "events": ["task.created"]}),
            "url",
        ),
        (
            json!({"url": "http://localhost.:9/h", "events": []}),
            "events",
        ),
        (
            json!({"url": "http://[fd00::1]/h", "events": ["task.created"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/", "events": ["task.created"]}),
            "url",
        ),
        (
            json!({"url": "ftp://example.com/", "events": ["task.created"]}),
            "url",
        ),
        (json!({"url": long, "events": ["task.created"]}), "url"),
        (
            json!({"url": "https://example.com/", "events": ["task.nope"]}),
            "events",
        ),
    ] {
        let (status, e) = app
            .send(&u, Method::POST, "/webhooks", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body} → {e}");
        assert!(e["error"]["fields"].get(field).is_some(), "{body} → {e}");
    }
    let (status, _) = app
        .send(&u, Method::POST, "/webhooks", Some(json!({"url": 5})))
        .await;
    assert!(status == 400 || status == 422, "{status}");
    for i in 0..10 {
        create_hook(
            &app,
            &u,
            &format!("https://example.com/{i}"),
            &["reminder.due"],
        )
        .await;
    }
    let (status, e) = app
        .send(
            &u,
            Method::POST,
            "/webhooks",
            Some(json!({"url": "https://example.com/11", "events": ["reminder.due"]})),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["fields"]["url"].as_str().unwrap().contains("10"),
        "{e}"
    );
    assert_eq!(
        app.send(&u, Method::GET, "/webhooks", None)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(
        app.send(&u, Method::DELETE, "/webhooks/x", None).await.0,
        422
    );
    assert_eq!(
        app.send(&u, Method::POST, "/webhooks/999999/test", None)
            .await
            .0,
        404
    );
}

// ---- Real processes on one PostgreSQL ----

/// A PostgreSQL database with a user, a webhook for `reminder.due` to `receiver`, and the user id.
struct Setup {
    url: String,
    user: String,
}

fn backend_env<'a>(url: &'a str, lease: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("DATABASE_URL", url),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("SCHEDULER_POLL_SECONDS", "1"),
        ("SCHEDULER_LEASE_SECONDS", lease),
    ]
}

async fn setup(base: &str, url: String, receiver: &Receiver) -> Setup {
    let app = TestApp::attach(base);
    let u = app.sign_up("many@example.com").await;
    let (_, secret) = create_hook(&app, &u, &receiver.url, &["reminder.due"]).await;
    receiver.set_secret(&secret);
    Setup { url, user: u.id }
}

/// Inserts `n` tasks of the user with a reminder each at `fire_at_ms`, directly (as fast as 1,000
/// API calls would not be).
async fn reminders(s: &Setup, n: usize, fire_at_ms: i64) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&s.url).await.unwrap();
    let sql = "WITH t AS ( \
         INSERT INTO tasks (user_id, title, title_key, search_text, completed, priority, tags, created_at, updated_at, list_id) \
         SELECT $1, 'r' || g, 'r' || g, 'r' || g, FALSE, 2, '[]', 1, 1, \
           (SELECT id FROM lists WHERE user_id = $1 AND inbox) FROM generate_series(1, $2) g RETURNING id) \
       INSERT INTO reminders (task_id, user_id, at, fire_at, created_at) SELECT id, $1, $3, $3, 1 FROM t";
    sqlx::query(sql)
        .bind(&s.user)
        .bind(n as i32)
        .bind(fire_at_ms)
        .execute(&mut c)
        .await
        .unwrap();
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn kill9(child: &mut std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

struct Reaper(Vec<std::process::Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_backends_deliver_each_of_1000_reminders_exactly_once() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let env = backend_env(&url, "60");
    let (a, base) = spawn_role(&["backend"], &env, dir.path(), "a").await;
    let (b, _) = spawn_role(&["backend"], &env, dir.path(), "b").await;
    let _reap = Reaper(vec![a, b]);
    let s = setup(&base, url.clone(), &receiver).await;
    reminders(&s, 1000, now_ms() + 3000).await;

    receiver.wait_for(1000, Duration::from_secs(90)).await;
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = receiver.received();
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for r in &got {
        *per_id.entry(&r.message_id).or_default() += 1;
        assert_eq!(r.body["type"], "reminder.due");
        assert_eq!(r.body["data"]["late"], false);
    }
    assert_eq!(got.len(), 1000);
    assert_eq!(per_id.len(), 1000);
    let reminder_ids: HashSet<i64> = got
        .iter()
        .map(|r| r.body["data"]["reminder_id"].as_i64().unwrap())
        .collect();
    assert_eq!(reminder_ids.len(), 1000);
    // Both processes did part of the work (each logs what it fired).
    for name in ["a", "b"] {
        let log = std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap();
        assert!(
            log.contains("reminders went off"),
            "backend {name} fired none:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backends_leased_messages_are_delivered_by_another() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    const N: usize = 20;
    const LEASE: u64 = 5;
    let lease = LEASE.to_string();
    let env = backend_env(&url, &lease);
    let (mut a, base) = spawn_role(&["backend"], &env, dir.path(), "a").await;
    let s = setup(&base, url.clone(), &receiver).await;
    // A claims the messages and the receiver holds every request: A dies holding their leases.
    receiver.script(std::iter::repeat_n(Reply::Hold, N));
    reminders(&s, N, now_ms() + 1000).await;
    let held = receiver.wait_for(N, Duration::from_secs(30)).await;
    let claimed_at = held.iter().map(|r| r.at).min().unwrap();
    kill9(&mut a);
    let (b, _) = spawn_role(&["backend"], &env, dir.path(), "b").await;
    let _reap = Reaper(vec![b]);

    let got = receiver.wait_for(2 * N, Duration::from_secs(30)).await;
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    let held_ids: HashSet<&str> = got[..N].iter().map(|r| r.message_id.as_str()).collect();
    let delivered: Vec<_> = got[N..].iter().filter(|r| r.status == 200).collect();
    let delivered_ids: HashSet<&str> = delivered.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(held_ids.len(), N);
    assert_eq!(delivered.len(), N, "each delivered once more");
    assert_eq!(held_ids, delivered_ids, "the same webhook-ids");
    // Not before A's leases ran out.
    for r in &delivered {
        let after = r.at.duration_since(claimed_at).unwrap();
        assert!(
            after >= Duration::from_millis(LEASE * 1000 - 500),
            "{after:?}"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.received().len(), 2 * N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_missed_while_down_are_delivered_late_on_restart() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut env = backend_env(&url, "60");
    env.push(("REMINDER_MAX_LATENESS_SECONDS", "3600"));
    let (mut a, base) = spawn_role(&["backend"], &env, dir.path(), "a").await;
    let s = setup(&base, url.clone(), &receiver).await;
    kill9(&mut a);
    // Fell due while nothing ran: 10 minutes ago (late), and 2 hours ago (past the allowed lateness).
    reminders(&s, 5, now_ms() - 10 * 60_000).await;
    reminders(&s, 3, now_ms() - 2 * 3_600_000).await;
    let since = SystemTime::now();
    let (b, _) = spawn_role(&["backend"], &env, dir.path(), "b").await;
    let _reap = Reaper(vec![b]);
    let got = receiver.wait_for(5, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.received().len(),
        5,
        "the too-late ones are not sent"
    );
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    for r in &got {
        assert!(r.at >= since);
        assert_eq!(r.body["data"]["late"], true, "{}", r.body);
    }
    let log = std::fs::read_to_string(dir.path().join("b.log")).unwrap();
    assert!(log.contains("too late"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_by_default() {
    // An app without WEBHOOK_ALLOW_PRIVATE: a name resolving to loopback passes creation (it is not a
    // literal address) but is refused when sending, after resolution; the receiver hears nothing.
    let Some((url, dir)) = database(Db::Sqlite).await else {
        return;
    };
    let app = TestApp::spawn_on(url, dir, &[]).await;
    let u = app.sign_up("private@example.com").await;
    let receiver = Receiver::start().await;
    let port = receiver.url.rsplit(':').next().unwrap();
    let (_, secret) = create_hook(
        &app,
        &u,
        &format!("http://localhost:{port}"),
        &["task.created"],
    )
    .await;
    receiver.set_secret(&secret);
    app.create(&u, json!({"title": "Probe"})).await;
    let mut log = Value::Null;
    for _ in 0..100 {
        log = app.send(&u, Method::GET, "/webhooks", None).await.1;
        if log[0]["deliveries"][0]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = &log[0]["deliveries"][0];
    assert_eq!(d["status"], "failed", "{log}");
    let error = d["attempts"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("refused"), "{error}");
    assert!(receiver.received().is_empty());
}

async fn an_import_is_a_task_created_event_per_task(db: Db) {
    let Some(app) = TestApp::spawn_with(db, &["--webhook-allow-private", "true"]).await else {
        return;
    };
    let u = app.sign_up("import-hooks@example.com").await;
    let receiver = Receiver::start().await;
    let (_, secret) = create_hook(&app, &u, &receiver.url, &["task.created"]).await;
    receiver.set_secret(&secret);
    // Someone whose webhook takes other events: their import is no message.
    let quiet = app.sign_up("import-quiet@example.com").await;
    let elsewhere = Receiver::start().await;
    create_hook(&app, &quiet, &elsewhere.url, &["task.deleted"]).await;

    let doc = json!({"format": "todo-export", "version": 1, "tasks": [
        {"ref": 1, "title": "Trip", "due_at": "2027-06-01T08:00:00Z", "reminders": [{"before": "P1D"}]},
        {"ref": 2, "parent": 1, "title": "Passport"},
        {"ref": 3, "parent": 1, "title": "Tickets", "completed": true},
        {"ref": 4, "title": "Water the plants", "list": "Home"}]});
    let (status, dry) = app
        .send(&u, Method::POST, "/import?dry_run=true", Some(doc.clone()))
        .await;
    assert_eq!(status, 200, "{dry}");
    let (status, done) = app
        .send(&u, Method::POST, "/import", Some(doc.clone()))
        .await;
    assert_eq!(status, 201, "{done}");
    let (status, done) = app.send(&quiet, Method::POST, "/import", Some(doc)).await;
    assert_eq!(status, 201, "{done}");

    // The import wakes the scheduler: the messages go out at once.
    receiver.wait_for(4, Duration::from_secs(10)).await;
    let (_, tasks) = app.list(&u, "include=subtasks").await;
    let ids: HashMap<&str, &Value> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["title"].as_str().unwrap(), &t["id"]))
        .collect();
    assert_eq!(ids.len(), 4, "{tasks}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 4, "one message per task, none for the dry run");
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    let mut seen = HashSet::new();
    for r in &got {
        assert_eq!(r.body["type"], "task.created", "{}", r.body);
        let task = &r.body["data"]["task"];
        assert_eq!(&task["id"], ids[task["title"].as_str().unwrap()], "{task}");
        assert!(
            seen.insert(r.message_id.clone()),
            "each task is its own message"
        );
    }
    let of = |title: &str| {
        got.iter()
            .map(|r| &r.body["data"]["task"])
            .find(|t| t["title"] == title)
            .unwrap()
    };
    // Each as the API shows it after the import: with its subtask counts and reminders.
    let trip = of("Trip");
    assert_eq!(
        (
            trip["subtask_count"].as_i64(),
            trip["subtasks_done"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(trip["reminders"][0]["before"], "P1D", "{trip}");
    assert_eq!(of("Passport")["parent_id"], *ids["Trip"]);
    assert!(elsewhere.received().is_empty());
}
