//! Reminders through the real server on both databases: set on tasks over REST, fired by the server's own
//! scheduler, told in the app (list, live unread stream, marking read), switched off per user, and missed
//! ones told late after a restart.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{database, Db, TestApp, TestUser};

on_both_databases!(
    reminders_are_set_on_tasks_and_bad_ones_change_nothing,
    a_reminder_goes_off_live_and_only_for_its_owner,
);

fn in_secs(s: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(s)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn notifications(app: &TestApp, u: &TestUser) -> Value {
    let (status, body) = app.send(u, Method::GET, "/notifications", None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls until `u` has `n` notifications (the scheduler runs on its own time).
async fn told(app: &TestApp, u: &TestUser, n: usize) -> Value {
    for _ in 0..100 {
        let body = notifications(app, u).await;
        if body["notifications"].as_array().unwrap().len() >= n {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} was never told {n} times", u.id);
}

async fn reminders_are_set_on_tasks_and_bad_ones_change_nothing(app: TestApp) {
    let u = app.sign_up("remind@example.com").await;
    let due = in_secs(3 * 86_400);
    let at = in_secs(86_400);
    let t = app
        .create(
            &u,
            json!({"title": "Report", "due_at": due, "reminders": [
                {"before": "PT30M"}, {"before": "P1D", "time": "09:00"}, {"at": at}]}),
        )
        .await;
    let r = t["reminders"].as_array().unwrap();
    assert_eq!(r.len(), 3, "{t}");
    assert_eq!(r[0]["before"], "PT30M");
    assert!(r[0]["id"].is_i64() && r[0]["done"] == false, "{t}");
    assert_eq!(
        (r[1]["before"].as_str(), r[1]["time"].as_str()),
        (Some("P1D"), Some("09:00"))
    );
    assert!(r[2]["at"].is_string() && r[2]["fire_at"].is_string(), "{t}");

    // Bad input names the field and changes nothing.
    let path = format!("/tasks/{}", t["id"]);
    for (body, field) in [
        (
            json!({"reminders": [{"before": "soon"}]}),
            "reminders[0].before",
        ),
        (
            json!({"reminders": [{"at": at, "before": "PT5M"}]}),
            "reminders[0]",
        ),
        (
            json!({"reminders": [{"before": "PT5M", "time": "9am"}]}),
            "reminders[0].time",
        ),
        (
            json!({"reminders": [{"before": "P1D", "time": "25:00"}]}),
            "reminders[0].time",
        ),
        (
            json!({"reminders": [{"at": "tomorrow"}]}),
            "reminders[0].at",
        ),
        (
            json!({"reminders": vec![json!({"before": "PT1M"}); 11]}),
            "reminders",
        ),
        (
            json!({"due_at": null, "reminders": [{"before": "PT5M"}]}),
            "reminders[0].before",
        ),
    ] {
        let (status, e) = app.send(&u, Method::PUT, &path, Some(body.clone())).await;
        assert_eq!(
            (status, e["error"]["fields"][field].is_string()),
            (422, true),
            "{body}: {e}"
        );
    }
    let (_, same) = app.send(&u, Method::GET, &path, None).await;
    assert_eq!(same["reminders"], t["reminders"]);
    assert_eq!(same["due_at"], t["due_at"]);
    let undated = json!({"title": "Someday", "reminders": [{"before": "PT5M"}]});
    let (status, e) = app.send(&u, Method::POST, "/tasks", Some(undated)).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(app.list(&u, "").await.1.as_array().unwrap().len(), 1);

    // Sending the list replaces it; the default reminder applies to new tasks with a due time.
    let (status, cleared) = app
        .send(&u, Method::PUT, &path, Some(json!({"reminders": []})))
        .await;
    assert_eq!(
        (status, cleared["reminders"].as_array().unwrap().len()),
        (200, 0),
        "{cleared}"
    );
    let (status, s) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"default_reminder": "PT10M"})),
        )
        .await;
    assert_eq!(
        (status, s["default_reminder"].as_str()),
        (200, Some("PT10M")),
        "{s}"
    );
    let (status, e) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"default_reminder": "P1M"})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["default_reminder"].is_string()),
        (422, true),
        "{e}"
    );
    let d = app
        .create(&u, json!({"title": "Call", "due_at": due}))
        .await;
    assert_eq!(d["reminders"][0]["before"], "PT10M", "{d}");
    let n = app.create(&u, json!({"title": "No due"})).await;
    assert_eq!(n["reminders"], json!([]));
}

async fn a_reminder_goes_off_live_and_only_for_its_owner(app: TestApp) {
    let u = app.sign_up("live@example.com").await;
    let other = app.sign_up("live-other@example.com").await;
    assert_eq!(notifications(&app, &u).await["unread"], 0);

    // The live count: the first event is the count now, the next one comes when the reminder goes off.
    let stream = app
        .request(
            Method::GET,
            &format!("/api/{}/notifications/stream", u.id),
            Some(&u.jwt),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = tokio::spawn(read_events(stream, 2));

    let t = app
        .create(
            &u,
            json!({"title": "Stretch", "due_at": in_secs(3600), "reminders": [{"at": in_secs(1)}]}),
        )
        .await;
    let body = told(&app, &u, 1).await;
    let n = &body["notifications"][0];
    assert_eq!(
        (
            n["title"].as_str(),
            n["task_id"].clone(),
            n["late"].as_bool()
        ),
        (Some("Stretch"), t["id"].clone(), Some(false)),
        "{body}"
    );
    assert_eq!(body["unread"], 1);
    let events = tokio::time::timeout(Duration::from_secs(10), events)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(events, ["0", "1"]);
    let (_, t) = app
        .send(&u, Method::GET, &format!("/tasks/{}", t["id"]), None)
        .await;
    assert_eq!(t["reminders"][0]["done"], true, "{t}");

    // Nobody else is told or can look.
    assert_eq!(notifications(&app, &other).await["unread"], 0);
    let theirs = format!("/api/{}/notifications", u.id);
    let (status, _) = app.call(Method::GET, &theirs, Some(&other.jwt), None).await;
    assert_eq!(status, 403);

    // Marking read.
    let (status, e) = app
        .send(&u, Method::POST, "/notifications/read", Some(json!({})))
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["ids"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, r) = app
        .send(
            &u,
            Method::POST,
            "/notifications/read",
            Some(json!({"all": true})),
        )
        .await;
    assert_eq!((status, r["unread"].as_i64()), (200, Some(0)), "{r}");

    // Switched off, a reminder still goes off (it is done) but is not told in the app.
    let (status, _) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"notify_in_app": false})),
        )
        .await;
    assert_eq!(status, 200);
    let quiet = app
        .create(
            &u,
            json!({"title": "Quiet", "due_at": in_secs(3600), "reminders": [{"at": in_secs(1)}]}),
        )
        .await;
    let path = format!("/tasks/{}", quiet["id"]);
    for _ in 0..100 {
        let (_, q) = app.send(&u, Method::GET, &path, None).await;
        if q["reminders"][0]["done"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, q) = app.send(&u, Method::GET, &path, None).await;
    assert_eq!(q["reminders"][0]["done"], true, "{q}");
    assert_eq!(
        notifications(&app, &u).await["notifications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// The `data` of the first `n` `unread` events of a server-sent event stream.
async fn read_events(mut stream: reqwest::Response, n: usize) -> Vec<String> {
    let mut text = String::new();
    loop {
        let data: Vec<String> = text
            .split("\n\n")
            .filter(|e| e.contains("event: unread"))
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(str::to_owned)
            .collect();
        if data.len() >= n {
            return data[..n].to_vec();
        }
        let chunk = stream
            .chunk()
            .await
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Reminders that fell due while the server was down are told late on start; one older than the allowed
/// lateness (24 h) is dropped.
#[tokio::test]
async fn missed_reminders_are_told_late_after_a_restart() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some((url, dir)) = database(db).await else {
            continue;
        };
        let app = TestApp::spawn_on(url.clone(), None, &[]).await;
        let u = app.sign_up("downtime@example.com").await;
        for title in ["Recent", "Ancient"] {
            app.create(&u, json!({"title": title, "due_at": in_secs(7200), "reminders": [{"at": in_secs(3600)}]}))
                .await;
        }
        drop(app);
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The server stays down past both reminders: as if it had been down for 2 hours and 2 days.
        let shift = "UPDATE reminders SET fire_at = fire_at - CASE WHEN task_id = (SELECT MIN(id) FROM tasks) \
                     THEN 3600000 + 7200000 ELSE 3600000 + 172800000 END";
        match db {
            Db::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(shift).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Db::Postgres => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                sqlx::query(shift).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
        let app = TestApp::spawn_on(url, None, &[]).await;
        let body = told(&app, &u, 1).await;
        let list = body["notifications"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{db:?}: {body}");
        assert_eq!(
            (list[0]["title"].as_str(), list[0]["late"].as_bool()),
            (Some("Recent"), Some(true)),
            "{db:?}"
        );
        let (_, tasks) = app.list(&u, "sort=title").await;
        assert!(
            tasks
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["reminders"][0]["done"] == true),
            "{tasks}"
        );
        drop(dir);
    }
}
