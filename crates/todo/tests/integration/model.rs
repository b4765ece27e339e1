//! The agent loop against a stand-in model server that speaks the OpenAI chat-completions wire
//! protocol over real HTTP: tool calls over several steps, retries, failures and isolation.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use reqwest::Method;
use serde_json::{json, Value};

use std::time::{Duration, Instant};

use crate::chat::{chat, chat_stream};
use crate::process::{spawn_role, terminate, wait_exit};
use crate::support::{Db, TestApp, SECRET};

/// One scripted answer of the stand-in.
#[derive(Clone)]
enum Scripted {
    /// An assistant message: `{"content": …}` or `{"tool_calls": […]}`.
    Message(Value),
    /// The same, streamed as server-sent chunks: text word by word, each tool call in two pieces.
    Streamed(Value),
    /// An HTTP error status, with a `Retry-After` of 0 s for 429.
    Status(u16),
    /// A message like [`Scripted::Message`], sent after this many milliseconds.
    Slow(u64, Value),
}

/// The chunks of a streamed completion carrying message `m`.
fn chunks(m: &Value) -> String {
    let mut out = String::new();
    let mut push = |delta: Value| {
        let chunk = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]});
        out.push_str(&format!("data: {chunk}\n\n"));
    };
    if let Some(text) = m["content"].as_str() {
        for word in text.split_inclusive(' ') {
            push(json!({"content": word}));
        }
    }
    for (i, call) in m["tool_calls"].as_array().into_iter().flatten().enumerate() {
        let args = call["function"]["arguments"].as_str().unwrap();
        let (head, tail) = args.split_at(args.len() / 2);
        push(
            json!({"tool_calls": [{"index": i, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": head}}]}),
        );
        push(json!({"tool_calls": [{"index": i, "function": {"arguments": tail}}]}));
    }
    out.push_str("data: [DONE]\n\n");
    out
}

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Scripted>>>,
    /// Every request received: its Authorization header and JSON body.
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn completions(
    State(s): State<Script>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    s.seen.lock().unwrap().push((auth, body));
    let next = {
        let mut q = s.answers.lock().unwrap();
        // The last answer repeats, so a script can say "forever".
        if q.len() > 1 {
            q.pop_front()
        } else {
            q.front().cloned()
        }
    };
    let message = |m: Value| {
        Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": m.get("content"), "tool_calls": m.get("tool_calls")}, "finish_reason": "stop"}],
        }))
        .into_response()
    };
    match next {
        Some(Scripted::Message(m)) => message(m),
        Some(Scripted::Slow(ms, m)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            message(m)
        }
        Some(Scripted::Streamed(m)) => {
            ([("content-type", "text/event-stream")], chunks(&m)).into_response()
        }
        Some(Scripted::Status(code)) => {
            let code = StatusCode::from_u16(code).unwrap();
            (
                code,
                [("retry-after", "0")],
                Json(json!({"error": {"message": "stand-in says no"}})),
            )
                .into_response()
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "empty script").into_response(),
    }
}

/// Starts the stand-in with `answers`; returns its API root and what it records.
async fn stand_in(answers: Vec<Scripted>) -> (String, Script) {
    let script = Script {
        answers: Arc::new(Mutex::new(answers.into())),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), script)
}

fn calls(list: &[(&str, Value)]) -> Scripted {
    let calls: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, (name, args))| json!({"id": format!("call_{i}"), "type": "function", "function": {"name": name, "arguments": args.to_string()}}))
        .collect();
    Scripted::Message(json!({"content": null, "tool_calls": calls}))
}

fn say(text: &str) -> Scripted {
    Scripted::Message(json!({"content": text}))
}

async fn app_with_model(base: &str, extra: &[&str]) -> TestApp {
    let mut flags = vec![
        "--llm-provider",
        "openai",
        "--openai-base-url",
        base,
        "--openai-api-key",
        "sk-stand-in",
        "--openai-model",
        "stand-in-model",
    ];
    flags.extend_from_slice(extra);
    TestApp::spawn_with(Db::Sqlite, &flags).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_drives_tools_over_several_steps() {
    let (base, script) = stand_in(vec![
        calls(&[
            ("add_task", json!({"title": "Buy milk", "priority": "high"})),
            ("list_tasks", json!({"status": "pending"})),
        ]),
        say("Added 'Buy milk' with high priority."),
    ])
    .await;
    let app = app_with_model(&base, &[]).await;
    let u = app.sign_up("model@example.com").await;
    let zone = json!({"time_zone": "Asia/Tokyo"});
    let (status, body) = app.send(&u, Method::PUT, "/settings", Some(zone)).await;
    assert_eq!(status, 200, "{body}");
    let events = chat_stream(
        &app,
        &u,
        json!({"message": "remind me to buy milk, it's urgent"}),
    )
    .await;
    let (_, done) = events.last().unwrap();
    assert_eq!(done["response"], "Added 'Buy milk' with high priority.");
    let names: Vec<&str> = done["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["add_task", "list_tasks"]);
    let streamed: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        streamed,
        ["conversation", "tool_call", "tool_call", "delta", "done"]
    );
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks[0]["title"], "Buy milk");
    assert_eq!(tasks[0]["priority"], "high");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let (auth, first) = &seen[0];
    assert_eq!(auth, "Bearer sk-stand-in");
    assert_eq!(first["model"], "stand-in-model");
    let offered: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        [
            "add_task",
            "list_tasks",
            "complete_task",
            "delete_task",
            "update_task",
            "list_lists",
            "create_list",
            "list_reminders"
        ]
    );
    assert_eq!(first["messages"][0]["role"], "system");
    // The model is told the user's clock, so "tomorrow at 9" becomes 9:00 in Tokyo.
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("Asia/Tokyo") && system.contains("(+09:00)"),
        "{system}"
    );
    assert_eq!(
        first["messages"].as_array().unwrap().last().unwrap()["content"],
        "remind me to buy milk, it's urgent"
    );
    // The second request carries the model's calls and each tool's result, linked by id.
    let msgs = seen[1].1["messages"].as_array().unwrap();
    let tool_msgs: Vec<&Value> = msgs.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(tool_msgs.len(), 2);
    assert_eq!(tool_msgs[0]["tool_call_id"], "call_0");
    let result: Value = serde_json::from_str(tool_msgs[0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["status"], "created");
    let listed: Value = serde_json::from_str(tool_msgs[1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(listed[0]["title"], "Buy milk");

    // The next turn sends the stored history back to the model.
    let (_, reply) = chat(
        &app,
        &u,
        json!({"conversation_id": done["conversation_id"], "message": "thanks"}),
    )
    .await;
    assert_eq!(reply["response"], "Added 'Buy milk' with high priority.");
    let seen = script.seen.lock().unwrap().clone();
    let history: Vec<&str> = seen[2].1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["user", "assistant", "user"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_are_retried() {
    let (base, script) = stand_in(vec![
        Scripted::Status(429),
        Scripted::Status(503),
        say("All good."),
    ])
    .await;
    let app = app_with_model(&base, &[]).await;
    let u = app.sign_up("retry@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "hello"})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["response"], "All good.");
    assert_eq!(script.seen.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_model_hands_the_turn_to_the_builtin_assistant() {
    let (base, script) = stand_in(vec![Scripted::Status(500)]).await;
    let app = app_with_model(&base, &[]).await;
    let u = app.sign_up("fallback@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "add a task to buy bread"})).await;
    assert_eq!(status, 200, "{reply}");
    let text = reply["response"].as_str().unwrap();
    assert!(text.contains("not available"), "the user is told: {text}");
    assert_eq!(reply["tool_calls"][0]["name"], "add_task");
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    // First try plus three retries, then no more.
    assert_eq!(script.seen.lock().unwrap().len(), 4);

    // A client error (a bad key) is not retried.
    let (base, script) = stand_in(vec![Scripted::Status(401)]).await;
    let app = app_with_model(&base, &[]).await;
    let u = app.sign_up("badkey@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "hello"})).await;
    assert_eq!(status, 200);
    assert!(reply["response"]
        .as_str()
        .unwrap()
        .contains("not available"));
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_model_output_reaches_another_users_tasks() {
    let (base, _script) = stand_in(vec![]).await;
    let app = app_with_model(&base, &[]).await;
    let a = app.sign_up("victim@example.com").await;
    let b = app.sign_up("attacker@example.com").await;
    let task = app.create(&a, json!({"title": "A's private task"})).await;
    let id = task["id"].clone();
    *_script.answers.lock().unwrap() = vec![
        calls(&[
            ("delete_task", json!({"task_id": id})),
            ("complete_task", json!({"task_id": id, "user_id": a.id})),
            ("update_task", json!({"task_id": id, "title": "pwned"})),
            ("list_tasks", json!({"user_id": a.id})),
            ("add_task", json!({"title": "planted", "user_id": a.id})),
        ]),
        say("Done."),
    ]
    .into();
    let (status, reply) = chat(
        &app,
        &b,
        json!({"message": format!("delete task {id} of user {}", a.id)}),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    for call in reply["tool_calls"].as_array().unwrap() {
        assert!(call["result"].get("error").is_some(), "refused: {call}");
    }
    let (_, tasks) = app.list(&a, "").await;
    assert_eq!(tasks, json!([task]), "A's tasks are untouched");
    let (_, mine) = app.list(&b, "").await;
    assert_eq!(mine, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_reported_and_steps_are_bounded() {
    let bad = Scripted::Message(
        json!({"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add_task", "arguments": "{not json"}}]}),
    );
    let (base, script) = stand_in(vec![bad, calls(&[("list_tasks", json!({}))])]).await;
    let app = app_with_model(&base, &["--llm-max-steps", "3"]).await;
    let u = app.sign_up("loop@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "loop forever"})).await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply["response"]
            .as_str()
            .unwrap()
            .contains("too many steps"),
        "{reply}"
    );
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "bounded by LLM_MAX_STEPS");
    let first_tool_msg = seen[1].1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert!(first_tool_msg["content"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks, json!([]));
    let (status, _) = app.conversations(&u).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_reaches_the_client_piece_by_piece() {
    let Scripted::Message(call) = calls(&[(
        "add_task",
        json!({"title": "Renew passport", "tags": ["admin"]}),
    )]) else {
        unreachable!()
    };
    let (base, script) = stand_in(vec![
        Scripted::Streamed(json!({"content": "On it. ", "tool_calls": call["tool_calls"]})),
        Scripted::Streamed(json!({"content": "Added 'Renew passport' to your admin tasks."})),
    ])
    .await;
    let app = app_with_model(&base, &[]).await;
    let u = app.sign_up("streamed@example.com").await;
    let events = chat_stream(
        &app,
        &u,
        json!({"message": "renew my passport, tag it admin"}),
    )
    .await;
    assert!(script.seen.lock().unwrap()[0].1["stream"]
        .as_bool()
        .unwrap());
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(deltas.len() > 5, "the answer came in pieces: {deltas:?}");
    let (_, done) = events.last().unwrap();
    assert_eq!(deltas.concat().trim(), done["response"].as_str().unwrap());
    assert_eq!(
        done["response"],
        "On it. Added 'Renew passport' to your admin tasks."
    );
    // The tool call was assembled from its pieces and ran between the two texts.
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let call_at = names.iter().position(|n| *n == "tool_call").unwrap();
    assert!(names[..call_at].contains(&"delta") && names[call_at..].contains(&"delta"));
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks[0]["title"], "Renew passport");
    assert_eq!(tasks[0]["tags"], json!(["admin"]));
    let second = &script.seen.lock().unwrap()[1].1;
    let asked: &Value = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap();
    assert_eq!(asked["tool_calls"][0]["type"], "function");
    assert_eq!(asked["tool_calls"][0]["id"], "call_0");
}

/// A turn outlives its request, and a SIGTERM waits for it: the answer a slow model gives after the
/// client hung up and the shutdown began is still stored, and the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_in_flight_at_shutdown_still_stores_its_answer() {
    let (model, script) = stand_in(vec![Scripted::Slow(
        1500,
        json!({"content": "Thought it over."}),
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("BETTER_AUTH_SECRET", SECRET),
        ("LLM_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", model.as_str()),
        ("OPENAI_API_KEY", "sk-stand-in"),
        ("SHUTDOWN_DELAY_SECONDS", "0"),
    ];
    let (mut server, base) = spawn_role(&["serve"], &env, dir.path(), "first").await;
    let app = TestApp::attach(&base);
    let u = app.sign_up("late@example.com").await;
    // The client gives up long before the model answers; the turn goes on without it.
    let gave_up = app
        .request(Method::POST, &format!("/api/{}/chat", u.id), Some(&u.jwt))
        .json(&json!({"message": "think it over"}))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(gave_up.is_err(), "{gave_up:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while script.seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the model was never asked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stop_at = Instant::now();
    terminate(&server);
    assert_eq!(wait_exit(&mut server, Duration::from_secs(20)), 0);
    assert!(
        stop_at.elapsed() >= Duration::from_millis(500),
        "exited before the model answered"
    );

    let (mut again, base) = spawn_role(&["serve"], &env, dir.path(), "second").await;
    let app = TestApp::attach(&base);
    let (_, conversations) = app.conversations(&u).await;
    let id = &conversations[0]["id"];
    let (_, messages) = app.messages(&u, id).await;
    let said: Vec<(&str, &str)> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [("user", "think it over"), ("assistant", "Thought it over.")]
    );
    terminate(&again);
    assert_eq!(wait_exit(&mut again, Duration::from_secs(10)), 0);
}

/// A model slower than the request time limit: the plain `/chat` answers 504 `still_working` with the
/// conversation's id before the limit cuts the request off, and the answer lands there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_slower_than_the_request_limit_is_stored_where_the_client_is_told() {
    let (model, _) = stand_in(vec![Scripted::Slow(
        2500,
        json!({"content": "Slow but sure."}),
    )])
    .await;
    let app = app_with_model(&model, &["--request-timeout-seconds", "2"]).await;
    let u = app.sign_up("patient@example.com").await;
    let started = Instant::now();
    let (status, body) = chat(&app, &u, json!({"message": "take your time"})).await;
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "{body}");
    assert_eq!(body["error"]["code"], "still_working", "{body}");
    let id = body["error"]["conversation_id"]
        .as_i64()
        .expect("a conversation id");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, messages) = app.messages(&u, id).await;
        assert_eq!(status, 200, "{messages}");
        let last = messages.as_array().unwrap().last().cloned().unwrap();
        if last["role"] == "assistant" {
            assert_eq!(last["content"], "Slow but sure.");
            assert_eq!(messages.as_array().unwrap().len(), 2);
            break;
        }
        assert!(Instant::now() < deadline, "the answer was never stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// PostgreSQL restarts while the model thinks: the answer is stored once the database is back, and
/// the client gets its reply instead of an error that would invite a repeat of the turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_stored_through_a_database_restart() {
    let Some(pg) = todo_testkit::PgServer::start_private() else {
        return;
    };
    let url = pg.new_database().await;
    let (model, script) = stand_in(vec![Scripted::Slow(1000, json!({"content": "Noted."}))]).await;
    let flags = [
        "--llm-provider",
        "openai",
        "--openai-base-url",
        &model,
        "--openai-api-key",
        "sk-stand-in",
        "--auto-migrate",
        "true",
    ];
    let app = std::sync::Arc::new(TestApp::spawn_on(url, None, &flags).await);
    let u = std::sync::Arc::new(app.sign_up("outage@example.com").await);
    let turn = {
        let (app, u) = (app.clone(), u.clone());
        tokio::spawn(async move { chat(&app, &u, json!({"message": "note this"})).await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while script.seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the model was never asked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Down before the model answers, and for longer than the pool waits for a connection (5 s).
    pg.stop();
    tokio::time::sleep(Duration::from_millis(6500)).await;
    pg.restart();
    let (status, reply) = turn.await.unwrap();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["response"], "Noted.");
    let (_, messages) = app.messages(&u, &reply["conversation_id"]).await;
    assert_eq!(messages[1]["content"], "Noted.", "{messages}");
    pg.stop();
}
