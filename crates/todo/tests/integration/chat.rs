//! The chat endpoint and conversations, with the built-in assistant, on both databases: a turn's
//! effects, its stored history, streaming, validation, isolation and many concurrent chats.

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{TestApp, TestUser};

on_both_databases!(
    a_turn_acts_and_is_remembered,
    the_stream_reports_each_step,
    chat_mistakes_are_client_errors,
    conversations_are_private,
    prompts_cannot_reach_another_users_tasks,
    fifty_concurrent_chats_all_succeed,
);

pub async fn chat(app: &TestApp, u: &TestUser, body: Value) -> (u16, Value) {
    let path = format!("/api/{}/chat", u.id);
    app.call(Method::POST, &path, Some(&u.jwt), Some(body))
        .await
}

/// The events of a streamed turn, in order: (event name, data).
pub async fn chat_stream(app: &TestApp, u: &TestUser, body: Value) -> Vec<(String, Value)> {
    let r = app
        .request(
            Method::POST,
            &format!("/api/{}/chat/stream", u.id),
            Some(&u.jwt),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = r.text().await.unwrap();
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(d).unwrap());
                }
            }
            Some((name?, data?))
        })
        .collect()
}

async fn a_turn_acts_and_is_remembered(app: TestApp) {
    let u = app.sign_up("chat@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "Add a task to buy milk"})).await;
    assert_eq!(status, 200, "{reply}");
    let conversation = reply["conversation_id"].as_i64().unwrap();
    assert!(
        reply["response"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("milk"),
        "{reply}"
    );
    let calls = reply["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{reply}");
    assert_eq!(calls[0]["name"], "add_task");
    assert_eq!(calls[0]["result"]["status"], "created");
    let task_id = calls[0]["result"]["task_id"].clone();

    // The tool really acted on the caller's tasks.
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    assert_eq!(tasks[0]["id"], task_id);

    // The same conversation continues; both turns are stored with their tool calls.
    let (status, second) = chat(
        &app,
        &u,
        json!({"conversation_id": conversation, "message": "add a task to call mom"}),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["conversation_id"], conversation);

    let (status, list) = app.conversations(&u).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["title"], "Add a task to buy milk");

    let (status, messages) = app.messages(&u, &conversation).await;
    assert_eq!(status, 200);
    let roles: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert_eq!(messages[0]["content"], "Add a task to buy milk");
    assert_eq!(messages[0]["tool_calls"], Value::Null);
    assert_eq!(messages[1]["tool_calls"][0]["name"], "add_task");

    // Deleting the conversation keeps the tasks it made.
    let path = format!("/api/{}/conversations/{conversation}", u.id);
    let (status, _) = app.call(Method::DELETE, &path, Some(&u.jwt), None).await;
    assert_eq!(status, 204);
    let (status, _) = app.call(Method::DELETE, &path, Some(&u.jwt), None).await;
    assert_eq!(status, 404);
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks.as_array().unwrap().len(), 2);
}

async fn the_stream_reports_each_step(app: TestApp) {
    let u = app.sign_up("stream@example.com").await;
    let events = chat_stream(
        &app,
        &u,
        json!({"message": "add a task to water the plants"}),
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"conversation"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let call_at = names
        .iter()
        .position(|n| *n == "tool_call")
        .expect("a tool_call event");
    let delta_at = names
        .iter()
        .position(|n| *n == "delta")
        .expect("a delta event");
    assert!(call_at < names.len() - 1 && delta_at < names.len() - 1);
    assert_eq!(events[call_at].1["name"], "add_task");
    let (_, done) = events.last().unwrap();
    let streamed: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, done["response"].as_str().unwrap());
    assert_eq!(done["conversation_id"], events[0].1["conversation_id"]);
    // What streamed was stored.
    let (_, messages) = app.messages(&u, &done["conversation_id"]).await;
    assert_eq!(messages[1]["content"], done["response"]);
}

async fn chat_mistakes_are_client_errors(app: TestApp) {
    let u = app.sign_up("mistakes@example.com").await;
    let path = format!("/api/{}/chat", u.id);
    let stream = format!("/api/{}/chat/stream", u.id);
    let long = "x".repeat(4001);
    let cases: Vec<(Value, u16, Option<&str>)> = vec![
        (json!({"message": ""}), 422, Some("message")),
        (json!({"message": "   "}), 422, Some("message")),
        (json!({"message": long}), 422, Some("message")),
        (json!({"message": "hi\u{0007}"}), 422, Some("message")),
        (json!({"message": 5}), 422, Some("message")),
        (json!({}), 422, Some("message")),
        (
            json!({"message": "hi", "conversation_id": 0}),
            422,
            Some("conversation_id"),
        ),
        (
            json!({"message": "hi", "conversation_id": "x"}),
            422,
            Some("conversation_id"),
        ),
        (
            json!({"message": "hi", "conversation_id": 999999}),
            404,
            None,
        ),
    ];
    for route in [&path, &stream] {
        for (body, status, field) in &cases {
            let (got, err) = app
                .call(Method::POST, route, Some(&u.jwt), Some(body.clone()))
                .await;
            assert_eq!(got, *status, "{route} {body}: {err}");
            if let Some(f) = field {
                assert!(err["error"]["fields"].get(f).is_some(), "{body}: {err}");
            }
        }
        let (got, _) = app
            .call(Method::POST, route, None, Some(json!({"message": "hi"})))
            .await;
        assert_eq!(got, 401);
    }
    let bad_limit = format!("/api/{}/conversations?limit=0", u.id);
    let (got, err) = app.call(Method::GET, &bad_limit, Some(&u.jwt), None).await;
    assert_eq!(got, 422, "{err}");
    // Nothing above started a conversation.
    let (_, list) = app.conversations(&u).await;
    assert_eq!(list, json!([]));
}

async fn conversations_are_private(app: TestApp) {
    let a = app.sign_up("owner@example.com").await;
    let b = app.sign_up("other@example.com").await;
    let (_, reply) = chat(&app, &a, json!({"message": "add a task to secret plan"})).await;
    let conversation = reply["conversation_id"].clone();
    // B can neither use A's path nor reach A's conversation from B's own path.
    let (status, _) = chat(&app, &b, json!({"message": "hi"})).await;
    assert_eq!(status, 200);
    let forbidden = format!("/api/{}/chat", a.id);
    let (status, _) = app
        .call(
            Method::POST,
            &forbidden,
            Some(&b.jwt),
            Some(json!({"message": "hi"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = chat(
        &app,
        &b,
        json!({"conversation_id": conversation, "message": "hi"}),
    )
    .await;
    assert_eq!(status, 404);
    for (method, path) in [
        (
            Method::GET,
            format!("/api/{}/conversations/{conversation}/messages", b.id),
        ),
        (
            Method::DELETE,
            format!("/api/{}/conversations/{conversation}", b.id),
        ),
    ] {
        let (status, _) = app.call(method, &path, Some(&b.jwt), None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, list) = app.conversations(&b).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_ne!(list[0]["id"], conversation);
    let (_, messages) = app.messages(&a, &conversation).await;
    assert_eq!(messages.as_array().unwrap().len(), 2);
}

async fn fifty_concurrent_chats_all_succeed(app: TestApp) {
    let u = app.sign_up("busy@example.com").await;
    let app = std::sync::Arc::new(app);
    let u = std::sync::Arc::new(u);
    let turns: Vec<_> = (0..50)
        .map(|i| {
            let (app, u) = (app.clone(), u.clone());
            tokio::spawn(async move {
                chat(
                    &app,
                    &u,
                    json!({"message": format!("add a task to item {i}")}),
                )
                .await
            })
        })
        .collect();
    for t in turns {
        let (status, reply) = t.await.unwrap();
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["tool_calls"][0]["result"]["status"], "created");
    }
    let (_, tasks) = app.list(&u, "limit=200").await;
    assert_eq!(tasks.as_array().unwrap().len(), 50);
    let (_, list) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations?limit=200", u.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 50);
}

async fn prompts_cannot_reach_another_users_tasks(app: TestApp) {
    let a = app.sign_up("alice@example.com").await;
    let b = app.sign_up("mallory@example.com").await;
    let task = app.create(&a, json!({"title": "Quarterly report"})).await;
    let id = &task["id"];
    let mut conversation = Value::Null;
    for message in [
        format!("delete task {id}"),
        format!("mark task {id} as complete"),
        format!("rename task {id} to 'pwned'"),
        format!("delete task {id} for user {}", a.id),
        "delete the quarterly report".to_owned(),
        "yes".to_owned(),
        "show me all my tasks".to_owned(),
    ] {
        let mut body = json!({ "message": message });
        if !conversation.is_null() {
            body["conversation_id"] = conversation.clone();
        }
        let (status, reply) = chat(&app, &b, body).await;
        assert_eq!(status, 200, "{message}: {reply}");
        conversation = reply["conversation_id"].clone();
        assert!(
            !reply.to_string().contains("Quarterly"),
            "{message} leaked: {reply}"
        );
    }
    let (_, tasks) = app.list(&a, "").await;
    assert_eq!(tasks, json!([task]), "A's task is untouched");
}
