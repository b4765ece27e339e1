//! Reminders through REST on both databases: the `reminders` field of tasks in the user's time zone,
//! refusals that name the field and change nothing, and the unread stream opened with the session
//! cookie (as the web app's `EventSource` opens it).

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{TestApp, TestUser};

on_both_databases!(
    reminders_are_set_in_the_users_zone_and_refused_by_field,
    the_unread_stream_opens_with_the_session_cookie,
);

async fn task_count(app: &TestApp, u: &TestUser) -> usize {
    let (status, tasks) = app.list(u, "status=all").await;
    assert_eq!(status, 200, "{tasks}");
    tasks.as_array().unwrap().len()
}

async fn reminders_are_set_in_the_users_zone_and_refused_by_field(app: TestApp) {
    let u = app.sign_up("reminder-fields@example.com").await;
    let (status, s) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    // Due Tuesday 30 March 2027 17:00 CEST (15:00 UTC); the day before is CEST too.
    let task = app
        .create(
            &u,
            json!({"title": "Write the report", "due_at": "2027-03-30T15:00:00Z", "reminders": [
                {"before": "PT10M"},
                {"before": "P1D", "time": "09:00"},
                {"at": "2027-03-28T08:00:00+02:00"}
            ]}),
        )
        .await;
    let fire: Vec<&str> = task["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fire_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        fire,
        [
            "2027-03-30T14:50:00Z",
            "2027-03-29T07:00:00Z",
            "2027-03-28T06:00:00Z"
        ],
        "{task}"
    );
    assert!(task["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"].is_i64() && r["done"] == false));
    let id = task["id"].clone();

    // Refusals name the field and change nothing.
    let before = task_count(&app, &u).await;
    for (body, field) in [
        (
            json!({"title": "Someday", "reminders": [{"before": "PT10M"}]}),
            "reminders[0].before",
        ),
        (
            json!({"title": "Soon", "due_at": "2027-01-01", "reminders": [{"at": "2027-01-01T08:00:00Z"}, {"before": "soon"}]}),
            "reminders[1].before",
        ),
        (
            json!({"title": "Soon", "due_at": "2027-01-01", "reminders": [{"before": "PT30M", "time": "09:00"}]}),
            "reminders[0].time",
        ),
        (
            json!({"title": "Soon", "reminders": [{"at": "tomorrow"}]}),
            "reminders[0].at",
        ),
    ] {
        let (status, err) = app.send(&u, Method::POST, "/tasks", Some(body)).await;
        assert_eq!(status, 422, "{err}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    assert_eq!(task_count(&app, &u).await, before);
    // Without a due time the relative ones wait (no fire_at); with one again they count from it.
    let (status, undated) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{id}"),
            Some(json!({"due_at": null})),
        )
        .await;
    assert_eq!(status, 200, "{undated}");
    let fire_at: Vec<&Value> = undated["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["fire_at"])
        .collect();
    assert_eq!(
        fire_at,
        [&Value::Null, &Value::Null, &json!("2027-03-28T06:00:00Z")]
    );
    let (status, dated) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{id}"),
            Some(json!({"due_at": "2027-03-30T15:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{dated}");
    assert_eq!(dated["reminders"], task["reminders"]);

    // Sending the list replaces it; [] removes them all.
    let (status, one) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{id}"),
            Some(json!({"reminders": [{"before": "PT1H"}]})),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["reminders"].as_array().unwrap().len(), 1);
    assert_eq!(one["reminders"][0]["before"], "PT1H");
    assert_eq!(one["reminders"][0]["fire_at"], "2027-03-30T14:00:00Z");
    let (status, none) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{id}"),
            Some(json!({"reminders": []})),
        )
        .await;
    assert_eq!(status, 200, "{none}");
    assert_eq!(none["reminders"], json!([]));
}

/// The first event of the unread stream opened with `cookie` (or nothing, or with `bearer`), or
/// the refusal's status.
async fn first_event(
    app: &TestApp,
    user_id: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
) -> Result<String, u16> {
    let mut r = app.request(
        Method::GET,
        &format!("/api/{user_id}/notifications/stream"),
        bearer,
    );
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let response = r.send().await.unwrap();
    if response.status() != 200 {
        return Err(response.status().as_u16());
    }
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    let mut response = response;
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("the first event arrives")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    Ok(text)
}

async fn the_unread_stream_opens_with_the_session_cookie(app: TestApp) {
    let u = app.sign_up("stream-cookie@example.com").await;
    let other = app.sign_up("stream-cookie-other@example.com").await;
    let cookie = format!("{}={}", todo_auth::session_cookie(false), u.session);
    let event = first_event(&app, &u.id, Some(&cookie), None).await.unwrap();
    assert!(event.contains("event: unread\ndata: 0\n"), "{event}");
    // Without credentials, or for someone else, nothing is streamed.
    assert_eq!(first_event(&app, &u.id, None, None).await, Err(401));
    assert_eq!(
        first_event(&app, &other.id, Some(&cookie), None).await,
        Err(403)
    );
    // A bearer token still opens it, and wins over a cookie.
    let event = first_event(&app, &u.id, None, Some(&u.jwt)).await.unwrap();
    assert!(event.contains("event: unread\ndata: 0\n"), "{event}");
    assert_eq!(
        first_event(&app, &u.id, Some(&cookie), Some("not-a-token")).await,
        Err(401)
    );
    let stale = format!("{}=not-a-session", todo_auth::session_cookie(false));
    assert_eq!(first_event(&app, &u.id, Some(&stale), None).await, Err(401));
}
