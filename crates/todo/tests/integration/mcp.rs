//! The MCP server driven by an independent client, the official Python SDK, over Streamable HTTP
//! (inside `todo serve` and as the `todo mcp` role) and over stdio; and the backend's agent reaching
//! its tools through a separate `todo mcp` process.

use std::path::PathBuf;
use std::process::Stdio;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::chat::chat;
use crate::process::{spawn_role, terminate};
use crate::support::{Db, TestApp, SECRET};

/// The tools offered: the original five first, unchanged, then the lists' two and the reminders'.
const TOOLS: [&str; 8] = [
    "add_task",
    "list_tasks",
    "complete_task",
    "delete_task",
    "update_task",
    "list_lists",
    "create_list",
    "list_reminders",
];

/// The Python with the official MCP SDK: `MCP_PYTHON`, else the venv `.ci/run` installs. Outside CI a
/// machine without it skips these tests; under `CI=true` that is a failure.
fn python() -> Option<PathBuf> {
    let path = std::env::var_os("MCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tools/venv-mcp/bin/python"));
    let ok = std::process::Command::new(&path)
        .args(["-c", "import mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but no Python MCP SDK at {}: run .ci/run or set MCP_PYTHON",
        path.display()
    );
    ok.then_some(path)
}

/// Runs the SDK client with `args` and the plan of tool calls; returns its JSON report.
async fn client(python: &PathBuf, args: &[&str], plan: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mcp_client.py");
    let mut child = tokio::process::Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(plan.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("MCP client finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or_else(|_| {
        panic!(
            "client output: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Every tool, then the errors a client can cause, against the MCP endpoint at `url` as `token`.
async fn exercise(python: &PathBuf, url: &str, token: &str, mode: &str) -> Value {
    let plan = json!([
        {"tool": "add_task", "args": {"title": "Buy milk", "priority": "high", "tags": ["#Home"]}},
        {"tool": "add_task", "args": {"title": "Write report", "description": "Q3"}},
        {"tool": "list_tasks", "args": {"status": "pending"}},
        {"tool": "update_task", "args": {"task_id": 2, "title": "Write the Q3 report"}},
        {"tool": "complete_task", "args": {"task_id": 1}},
        {"tool": "list_tasks", "args": {"status": "completed"}},
        {"tool": "delete_task", "args": {"task_id": 2}},
        {"tool": "complete_task", "args": {"task_id": 999}},
        {"tool": "add_task", "args": {"title": "  "}},
        {"tool": "add_task", "args": {"title": "x", "user_id": "someone-else"}},
        {"tool": "update_task", "args": {"task_id": "abc", "title": "y"}},
        {"tool": "create_list", "args": {"name": "Groceries", "colour": "green"}},
        {"tool": "add_task", "args": {"title": "Oat milk", "list": "groceries", "recurrence": "FREQ=WEEKLY;BYDAY=SA"}},
        {"tool": "add_task", "args": {"title": "Barista edition", "parent_id": 3}},
        {"tool": "list_lists", "args": {}},
        {"tool": "list_tasks", "args": {"list": "Groceries", "include_subtasks": true}},
        {"tool": "update_task", "args": {"task_id": 3, "list": "Inbox"}},
        {"tool": "add_task", "args": {"title": "x", "list": "Nowhere"}},
        {"tool": "update_task", "args": {"task_id": 3, "recurrence": "hourly"}},
    ]);
    client(
        python,
        &["--url", url, "--token", token, "--mode", mode],
        plan,
    )
    .await
}

fn assert_exercised(report: &Value) {
    assert!(report.get("error").is_none(), "{report}");
    let tools: Vec<&str> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for t in TOOLS {
        assert!(tools.contains(&t), "{t} missing from {tools:?}");
    }
    let calls = report["calls"].as_array().unwrap();
    let ok = |i: usize| {
        assert!(
            !calls[i]["is_error"].as_bool().unwrap(),
            "call {i}: {}",
            calls[i]
        );
        &calls[i]
    };
    let err = |i: usize, needle: &str| {
        assert!(
            calls[i]["is_error"].as_bool().unwrap(),
            "call {i} should fail: {}",
            calls[i]
        );
        let text = calls[i]["text"].as_str().unwrap();
        assert!(text.contains(needle), "call {i}: {text:?} lacks {needle:?}");
    };
    let first = ok(0)["structured"].clone();
    assert_eq!(first["status"], "created");
    assert_eq!(first["title"], "Buy milk");
    let id1 = first["task_id"].as_i64().unwrap();
    let id2 = ok(1)["structured"]["task_id"].as_i64().unwrap();
    assert_eq!((id1, id2), (1, 2), "fresh database");
    let pending: Value = serde_json::from_str(ok(2)["text"].as_str().unwrap()).unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 2);
    assert_eq!(pending[1]["tags"], json!(["home"]));
    assert_eq!(
        ok(3)["structured"],
        json!({"task_id": 2, "status": "updated", "title": "Write the Q3 report"})
    );
    assert_eq!(
        ok(4)["structured"],
        json!({"task_id": 1, "status": "completed", "title": "Buy milk"})
    );
    let done: Value = serde_json::from_str(ok(5)["text"].as_str().unwrap()).unwrap();
    assert_eq!(done.as_array().unwrap().len(), 1);
    assert_eq!(done[0]["completed"], true);
    assert_eq!(ok(6)["structured"]["status"], "deleted");
    err(7, "task 999 was not found");
    err(8, "title");
    err(9, "user_id");
    err(10, "task_id");
    // Lists by name or id, subtasks and recurrence rules.
    assert_eq!(ok(11)["structured"]["status"], "created");
    assert_eq!(ok(12)["structured"]["task_id"], 3);
    assert_eq!(ok(13)["structured"]["status"], "created");
    let lists: Value = serde_json::from_str(ok(14)["text"].as_str().unwrap()).unwrap();
    assert_eq!(lists[1]["name"], "Groceries");
    assert_eq!(
        (
            lists[1]["total_tasks"].as_i64(),
            lists[0]["inbox"].as_bool()
        ),
        (Some(2), Some(true))
    );
    let groceries: Value = serde_json::from_str(ok(15)["text"].as_str().unwrap()).unwrap();
    let titles: Vec<&str> = groceries
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{groceries}");
    assert!(titles.contains(&"Barista edition"), "{groceries}");
    assert_eq!(ok(16)["structured"]["status"], "updated");
    err(17, "no list named");
    err(18, "recurrence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_uses_every_tool_inside_todo_serve() {
    let Some(python) = python() else { return };
    for mode in ["legacy", "auto"] {
        let app = TestApp::spawn(Db::Sqlite).await.unwrap();
        let u = app.sign_up("mcp@example.com").await;
        let report = exercise(&python, &app.url("/mcp"), &u.jwt, mode).await;
        assert_exercised(&report);
        // The tools acted on the caller's own tasks, as the REST API shows them.
        let (_, tasks) = app.list(&u, "status=all").await;
        let top: Vec<(&str, bool)> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["title"].as_str().unwrap(),
                    t["completed"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(top, [("Oat milk", false), ("Buy milk", true)], "{tasks}");
        assert_eq!(
            tasks[0]["subtask_count"], 1,
            "the subtask moved with its parent"
        );
        assert_eq!(tasks[0]["recurrence"], "FREQ=WEEKLY;BYDAY=SA");
        // Without a token the session never starts.
        let refused = client(
            &python,
            &["--url", &app.url("/mcp"), "--mode", mode],
            json!([]),
        )
        .await;
        assert!(refused.get("error").is_some(), "{refused}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_refuses_foreign_hosts_and_missing_tokens() {
    // A bare Service name is accepted once configured (issue 14: no longer by default).
    let app = TestApp::spawn_with(Db::Sqlite, &["--mcp-allowed-hosts", "todo-mcp"])
        .await
        .unwrap();
    let u = app.sign_up("hosts@example.com").await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |host: &str, token: Option<&str>| {
        let mut r = app
            .request(Method::POST, "/mcp", token)
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .json(&init);
        if token.is_none() {
            r = r.header("x-no-token", "1");
        }
        r.send()
    };
    let r = post("evil.example.com", Some(&u.jwt)).await.unwrap();
    assert_eq!(r.status(), 421);
    assert!(r.text().await.unwrap().contains("MCP_ALLOWED_HOSTS"));
    for host in [
        "todo-mcp:8001",
        "todo-mcp.todo.svc.cluster.local",
        "localhost:3000",
    ] {
        let r = post(host, Some(&u.jwt)).await.unwrap();
        assert_eq!(r.status(), 200, "{host}");
        let r = post(host, None).await.unwrap();
        assert_eq!(r.status(), 401, "{host}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
    }
    let r = post("todo-mcp", Some("not-a-jwt")).await.unwrap();
    assert_eq!(r.status(), 401);
}

/// `todo mcp` as its own process and `todo backend` reaching it through `MCP_SERVER_URL`: the chat's
/// tool calls travel over MCP as the caller, and the SDK client uses the same server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_agent_reaches_tools_through_todo_mcp() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("todo.db").display());
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
    ];
    let (mut mcp, mcp_url) = spawn_role(&["mcp"], &env, dir.path(), "mcp").await;
    let mcp_env = [("MCP_SERVER_URL", mcp_url.as_str())];
    let all: Vec<(&str, &str)> = env.iter().chain(mcp_env.iter()).copied().collect();
    let (mut backend, backend_url) = spawn_role(&["backend"], &all, dir.path(), "backend").await;

    let app = TestApp::attach(&backend_url);
    let u = app.sign_up("remote@example.com").await;
    let (status, reply) = chat(&app, &u, json!({"message": "add a task to buy stamps"})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["tool_calls"][0]["result"]["status"], "created",
        "{reply}"
    );
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks[0]["title"], "Buy stamps");
    let log = std::fs::read_to_string(dir.path().join("mcp.log")).unwrap();
    assert!(
        log.contains("\"route\":\"/mcp\""),
        "the tool call went through todo mcp: {log}"
    );

    if let Some(python) = python {
        let report = client(
            &python,
            &["--url", &format!("{mcp_url}/mcp"), "--token", &u.jwt],
            json!([{"tool": "list_tasks", "args": {}}]),
        )
        .await;
        assert_eq!(report["tools"], json!(TOOLS), "{report}");
        let listed: Value =
            serde_json::from_str(report["calls"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(listed[0]["title"], "Buy stamps");
    }
    terminate(&backend);
    terminate(&mcp);
    let _ = (backend.wait(), mcp.wait());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_over_stdio() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("todo.db").display());
    // A user of the app (signed up through `todo serve`) then uses a desktop MCP client on the same file.
    let app = TestApp::spawn_on(db.clone(), None, &[]).await;
    let u = app.sign_up("desk@example.com").await;
    let bin = env!("CARGO_BIN_EXE_todo");
    let by_email = [
        "--stdio",
        bin,
        "mcp",
        "--stdio",
        "--database-url",
        &db,
        "--user",
        "Desk@Example.com",
    ];
    let report = client(
        &python,
        &by_email,
        json!([
            {"tool": "add_task", "args": {"title": "From the desktop"}},
            {"tool": "list_tasks", "args": {}},
            {"tool": "delete_task", "args": {"task_id": 42}},
        ]),
    )
    .await;
    assert!(report.get("error").is_none(), "{report}");
    assert_eq!(report["tools"], json!(TOOLS));
    assert_eq!(report["calls"][0]["structured"]["status"], "created");
    assert!(report["calls"][2]["is_error"].as_bool().unwrap());
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(
        tasks[0]["title"], "From the desktop",
        "stdio acted as the named user"
    );

    // A token works too and names the same user; a bad one stops the process with a clear line.
    let by_token = [
        "--stdio",
        bin,
        "mcp",
        "--stdio",
        "--database-url",
        &db,
        "--better-auth-secret",
        SECRET,
        "--token",
        &u.jwt,
    ];
    let report = client(
        &python,
        &by_token,
        json!([{"tool": "list_tasks", "args": {}}]),
    )
    .await;
    let listed: Value = serde_json::from_str(report["calls"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{report}");
    let out = std::process::Command::new(bin)
        .args([
            "mcp",
            "--stdio",
            "--database-url",
            &db,
            "--better-auth-secret",
            SECRET,
            "--token",
            "nope",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MCP_TOKEN"));
}
