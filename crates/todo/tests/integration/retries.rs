//! Retries with an `Idempotency-Key` act once: a client that got no answer (a timeout, or a 503 after
//! the database committed) sends the request again and gets the first answer, on both databases.

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{TestApp, TestUser};

on_both_databases!(retried_task_creation_acts_once, retried_chat_turn_acts_once);

async fn post(
    app: &TestApp,
    u: &TestUser,
    path: &str,
    key: &str,
    body: Value,
) -> (u16, bool, Value) {
    let r = app
        .request(Method::POST, &format!("/api/{}/{path}", u.id), Some(&u.jwt))
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let status = r.status().as_u16();
    (status, replayed, r.json().await.unwrap_or(Value::Null))
}

async fn titles(app: &TestApp, u: &TestUser) -> Vec<String> {
    let (status, tasks) = app.list(u, "?status=all&limit=200").await;
    assert_eq!(status, 200);
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn retried_task_creation_acts_once(app: TestApp) {
    let ada = app.sign_up("ada@example.com").await;
    let body = json!({"title": "Pay rent", "priority": "high"});
    let (status, replayed, first) = post(&app, &ada, "tasks", "key-1", body.clone()).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, replayed, again) = post(&app, &ada, "tasks", "key-1", body.clone()).await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again, first, "a retry gets the first answer");
    assert_eq!(titles(&app, &ada).await, ["Pay rent"]);

    // Retries racing each other still create one task.
    let racing: Vec<_> = (0..8)
        .map(|_| {
            let r = app
                .request(
                    Method::POST,
                    &format!("/api/{}/tasks", ada.id),
                    Some(&ada.jwt),
                )
                .header("idempotency-key", "key-2")
                .json(&json!({"title": "Water plants"}));
            tokio::spawn(async move {
                let r = r.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut ids = Vec::new();
    for r in racing {
        let (status, task) = r.await.unwrap();
        // A retry that arrives while the first is still committing may be told to come back.
        match status {
            201 => ids.push(task["id"].as_i64().unwrap()),
            409 => assert_eq!(task["error"]["code"], "idempotency_key_in_use"),
            other => panic!("a racing retry answered {other}: {task}"),
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "racing retries created {ids:?}");
    assert_eq!(titles(&app, &ada).await.len(), 2);

    // The key names one request: reused for another, it is refused and nothing is created.
    let (status, _, refused) = post(
        &app,
        &ada,
        "tasks",
        "key-1",
        json!({"title": "Something else"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["Idempotency-Key"].is_string(),
        "{refused}"
    );
    assert_eq!(titles(&app, &ada).await.len(), 2);

    // Keys are per user: another user's key-1 is theirs.
    let bob = app.sign_up("bob@example.com").await;
    let (status, replayed, theirs) = post(&app, &bob, "tasks", "key-1", body.clone()).await;
    assert_eq!((status, replayed), (201, false));
    assert_ne!(theirs["id"], first["id"]);

    for bad in ["", "has space", &"k".repeat(256)] {
        let (status, _, refused) = post(&app, &ada, "tasks", bad, body.clone()).await;
        assert_eq!(status, 422, "key {bad:?}: {refused}");
        assert!(refused["error"]["fields"]["Idempotency-Key"].is_string());
    }
    // Without a key every request acts, as always.
    for _ in 0..2 {
        let (status, created) = app
            .call(
                Method::POST,
                &format!("/api/{}/tasks", ada.id),
                Some(&ada.jwt),
                Some(json!({"title": "No key"})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
    }
    assert_eq!(titles(&app, &ada).await.len(), 4);
}

async fn retried_chat_turn_acts_once(app: TestApp) {
    let ada = app.sign_up("ada@example.com").await;
    let body = json!({"message": "add a task to buy milk"});
    let (status, replayed, first) = post(&app, &ada, "chat", "turn-1", body.clone()).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    assert_eq!(first["tool_calls"][0]["name"], "add_task");
    let (status, replayed, again) = post(&app, &ada, "chat", "turn-1", body.clone()).await;
    assert_eq!((status, replayed), (200, true), "{again}");
    assert_eq!(again, first);
    assert_eq!(titles(&app, &ada).await, ["Buy milk"]);
    let (status, conversations) = app.conversations(&ada).await;
    assert_eq!(status, 200);
    assert_eq!(conversations.as_array().unwrap().len(), 1);

    // The same key on the task route is a different request.
    let (status, _, refused) = post(&app, &ada, "tasks", "turn-1", json!({"title": "x"})).await;
    assert_eq!(status, 422, "{refused}");
}
