//! The MCP server driven by an independent client, the official Python SDK, over Streamable HTTP
//! (inside `todo serve` and as the `todo mcp` role) and over stdio; and the backend's agent reaching
//! its tools through a separate `todo mcp` process.

use std::path::PathBuf;
use std::process::Stdio;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::chat::chat;
use crate::on_both_databases;
use crate::process::{spawn_role, terminate};
use crate::support::{database, Db, TestApp, TestUser, SECRET};

on_both_databases!(
    resources_prompts_and_subscriptions,
    deleting_by_title_or_many_asks_first
);

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
pub(crate) fn python() -> Option<PathBuf> {
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

/// Titles of the tasks in a resource's JSON.
fn titles(v: &Value) -> Vec<&str> {
    v["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("no tasks in {v}"))
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

/// The user lives at UTC+14, where today is often not UTC's today; the tasks are dated from there.
async fn planning_data(app: &TestApp, u: &TestUser) -> (i64, i64, i64) {
    use chrono::{Days, TimeZone, Utc};
    let (status, body) = app
        .send(
            u,
            Method::PUT,
            "/settings",
            Some(json!({"time_zone": "Pacific/Kiritimati"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tz: chrono_tz::Tz = "Pacific/Kiritimati".parse().unwrap();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let at = |days_from_today: i64, hour: u32| {
        let day = if days_from_today < 0 {
            today - Days::new(days_from_today.unsigned_abs())
        } else {
            today + Days::new(days_from_today.unsigned_abs())
        };
        let local = day.and_hms_opt(hour, 0, 0).unwrap();
        tz.from_local_datetime(&local).unwrap().to_rfc3339()
    };
    let task = |title: &str, due: Option<String>, priority: &str| json!({"title": title, "due_at": due, "priority": priority});
    app.create(u, task("Call mum", Some(at(0, 12)), "low"))
        .await;
    let rent = app
        .create(u, task("Pay rent", Some(at(0, 18)), "high"))
        .await;
    app.create(u, task("File taxes", Some(at(-1, 9)), "medium"))
        .await;
    let dentist = app
        .create(u, task("Book dentist", Some(at(3, 9)), "medium"))
        .await;
    let stamps = app.create(u, task("Buy stamps", None, "low")).await;
    assert_eq!(app.toggle(u, &stamps["id"]).await.0, 200);
    let (status, list) = app
        .send(u, Method::POST, "/lists", Some(json!({"name": "Errands"})))
        .await;
    assert_eq!(status, 201, "{list}");
    app.create(u, json!({"title": "Pick up parcel", "list_id": list["id"]}))
        .await;
    (
        rent["id"].as_i64().unwrap(),
        dentist["id"].as_i64().unwrap(),
        list["id"].as_i64().unwrap(),
    )
}

/// Resources and prompts read through the SDK show the user's day in their time zone, and a
/// subscription hears of a change made through the REST API: in a session (`resources/subscribe`)
/// and on MCP 2026-07-28 (`subscriptions/listen`).
async fn resources_prompts_and_subscriptions(app: TestApp) {
    let Some(python) = python() else { return };
    let u = app.sign_up("plans@example.com").await;
    let (rent, dentist, list) = planning_data(&app, &u).await;
    for (mode, via) in [("legacy", "resources/subscribe"), ("auto", "listen")] {
        let toggle = app.url(&format!("/api/{}/tasks/{dentist}/complete", u.id));
        let plan = json!([
            {"resources": true},
            {"read": "todo://tasks/today"},
            {"read": "todo://tasks/overdue"},
            {"read": format!("todo://lists/{list}/tasks")},
            {"read": format!("todo://tasks/{rent}")},
            {"read": "todo://tasks/99999"},
            {"prompts": true},
            {"prompt": "plan_my_day"},
            {"prompt": "weekly_review"},
            {"subscribe": format!("todo://tasks/{dentist}"), "rest": {"method": "PATCH", "url": toggle}},
        ]);
        let report = client(
            &python,
            &["--url", &app.url("/mcp"), "--token", &u.jwt, "--mode", mode],
            plan,
        )
        .await;
        assert!(report.get("error").is_none(), "{report}");
        let steps = report["steps"].as_array().unwrap();
        let uris: Vec<&str> = steps[0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uri"].as_str().unwrap())
            .collect();
        let errands = format!("todo://lists/{list}/tasks");
        for uri in ["todo://tasks/today", "todo://tasks/overdue", &errands] {
            assert!(uris.contains(&uri), "{mode}: {uri} not in {uris:?}");
        }
        let templates: Vec<&str> = steps[0]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["uriTemplate"].as_str().unwrap())
            .collect();
        assert_eq!(templates, ["todo://lists/{id}/tasks", "todo://tasks/{id}"]);

        let today = &steps[1]["json"];
        assert_eq!(today["time_zone"], "Pacific/Kiritimati");
        let mut due_today = titles(today);
        due_today.sort_unstable();
        assert_eq!(due_today, ["Call mum", "Pay rent"], "{mode}: {today}");
        assert_eq!(steps[1]["mime"], "application/json");
        assert_eq!(titles(&steps[2]["json"]), ["File taxes"], "{mode}");
        assert_eq!(titles(&steps[3]["json"]), ["Pick up parcel"], "{mode}");
        assert_eq!(steps[4]["json"]["title"], "Pay rent");
        assert!(
            steps[5]["error"].as_str().unwrap().contains("no resource"),
            "{}",
            steps[5]
        );

        let prompts: Vec<&str> = steps[6]["prompts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(prompts, ["plan_my_day", "weekly_review"]);
        let day = steps[7]["text"].as_str().unwrap();
        assert_eq!(steps[7]["roles"], json!(["user"]));
        let (overdue, due) = day.split_once("Due today").expect(day);
        assert!(overdue.contains("File taxes"), "{day}");
        // By priority: the high one first, though due later.
        let (rent_at, mum_at) = (due.find("Pay rent"), due.find("Call mum"));
        assert!(rent_at.is_some() && rent_at < mum_at, "{day}");
        assert!(!day.contains("Book dentist"), "{day}");
        let week = steps[8]["text"].as_str().unwrap();
        let (done, rest) = week.split_once("Slipped").expect(week);
        let (slipped, next) = rest.split_once("Next").expect(week);
        assert!(done.contains("Buy stamps"), "{week}");
        assert!(slipped.contains("File taxes"), "{week}");
        assert!(next.contains("Pay rent"), "{week}");

        let sub = &steps[9];
        assert_eq!(sub["via"], via, "{sub}");
        assert_eq!(sub["rest_status"], 200, "{sub}");
        assert_eq!(
            sub["updated"], true,
            "{mode}: no update after a REST change: {sub}"
        );
    }
}

/// Deleting by title and acting on several tasks: asked through elicitation when the client offers
/// it (in a session, and as an `input_required` answer on MCP 2026-07-28), else refused until the
/// call says `confirm: true`. Deleting by id still needs no confirmation.
async fn deleting_by_title_or_many_asks_first(app: TestApp) {
    let Some(python) = python() else { return };
    let u = app.sign_up("careful@example.com").await;
    for title in [
        "Water plants",
        "Water plants",
        "Old note",
        "Keep me",
        "Scratch",
    ] {
        app.create(&u, json!({"title": title})).await;
    }
    let by_id = app.create(&u, json!({"title": "By id"})).await;
    let run = |elicit: Option<&'static str>, mode: &'static str, plan: Value| {
        let url = app.url("/mcp");
        let token = u.jwt.clone();
        let python = python.clone();
        async move {
            let mut args = vec!["--url", &url, "--token", &token, "--mode", mode];
            if let Some(answer) = elicit {
                args.extend(["--elicit", answer]);
            }
            let report = client(&python, &args, plan).await;
            assert!(report.get("error").is_none(), "{report}");
            report
        }
    };
    let open_titles = || async {
        let (_, tasks) = app.list(&u, "status=all").await;
        let mut t: Vec<String> = tasks
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| !t["completed"].as_bool().unwrap())
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };

    // A session's client says yes.
    let yes = run(
        Some("accept"),
        "legacy",
        json!([
            {"tool": "delete_task", "args": {"title": "old note"}},
            {"tool": "complete_task", "args": {"title": "Water plants"}},
        ]),
    )
    .await;
    let asked: Vec<&str> = yes["elicited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(asked.len(), 2, "{yes}");
    assert!(
        asked[0].starts_with("Delete task") && asked[0].contains("Old note"),
        "{asked:?}"
    );
    assert!(asked[1].contains("2 tasks titled"), "{asked:?}");
    let calls = &yes["calls"];
    assert_eq!(calls[0]["structured"]["status"], "deleted", "{yes}");
    assert_eq!(calls[0]["structured"]["title"], "Old note");
    assert_eq!(calls[1]["structured"]["status"], "completed", "{yes}");
    assert_eq!(calls[1]["structured"]["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(open_titles().await, ["By id", "Keep me", "Scratch"]);

    // On 2026-07-28 the question comes back as input_required; no, then yes.
    let no = run(
        Some("decline"),
        "auto",
        json!([{"tool": "delete_task", "args": {"title": "Keep me"}}]),
    )
    .await;
    assert_eq!(no["protocol"], "2026-07-28", "{no}");
    assert_eq!(no["elicited"].as_array().unwrap().len(), 1, "{no}");
    assert_eq!(no["calls"][0]["is_error"], true, "{no}");
    assert!(no["calls"][0]["text"]
        .as_str()
        .unwrap()
        .contains("did not confirm"));
    assert_eq!(open_titles().await, ["By id", "Keep me", "Scratch"]);
    let yes = run(
        Some("accept"),
        "auto",
        json!([{"tool": "delete_task", "args": {"title": "Keep me"}}]),
    )
    .await;
    assert_eq!(yes["calls"][0]["structured"]["status"], "deleted", "{yes}");
    assert_eq!(open_titles().await, ["By id", "Scratch"]);

    // A client without elicitation is told to confirm, and then may.
    for mode in ["legacy", "auto"] {
        let report = run(
            None,
            mode,
            json!([{"tool": "delete_task", "args": {"title": "Scratch"}}]),
        )
        .await;
        let refused = &report["calls"][0];
        assert_eq!(refused["is_error"], true, "{report}");
        let text = refused["text"].as_str().unwrap();
        assert!(
            text.contains("\"confirm\": true") && text.contains("Scratch"),
            "{text}"
        );
        assert!(report["elicited"].as_array().unwrap().is_empty());
    }
    assert_eq!(open_titles().await, ["By id", "Scratch"]);
    let report = run(
        None,
        "legacy",
        json!([
            {"tool": "delete_task", "args": {"title": "Scratch", "confirm": true}},
            {"tool": "delete_task", "args": {"task_id": by_id["id"]}},
        ]),
    )
    .await;
    assert_eq!(
        report["calls"][0]["structured"]["status"], "deleted",
        "{report}"
    );
    assert_eq!(
        report["calls"][1]["structured"]["title"], "By id",
        "{report}"
    );
    assert!(open_titles().await.is_empty());
}

/// The MCP Inspector's CLI (what `.ci/run` installs), on `todo mcp --stdio`: every tool comes with
/// annotations and an output schema, and the resources and prompts are listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_lists_annotated_tools_resources_and_prompts() {
    let dir = std::env::var_os("MCP_INSPECTOR_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tools/node-mcp"));
    let installed = dir
        .join("node_modules/@modelcontextprotocol/inspector/package.json")
        .exists();
    assert!(
        installed || std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but no MCP Inspector in {}: run .ci/run or set MCP_INSPECTOR_DIR",
        dir.display()
    );
    if !installed {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", data.path().join("todo.db").display());
    let app = TestApp::spawn_on(db.clone(), None, &[]).await;
    app.sign_up("inspector@example.com").await;
    let inspect = |method: &str| {
        let out = std::process::Command::new("npx")
            .current_dir(&dir)
            .args(["--no-install", "@modelcontextprotocol/inspector", "--cli"])
            .args([env!("CARGO_BIN_EXE_todo"), "mcp", "--stdio"])
            .args(["--database-url", &db, "--user", "inspector@example.com"])
            .args(["--method", method])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{method}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    let listed = inspect("tools/list");
    let tools = listed["tools"].as_array().unwrap();
    assert_eq!(tools.len(), TOOLS.len(), "{listed}");
    for tool in tools {
        let hints = &tool["annotations"];
        assert_eq!(hints["openWorldHint"], false, "{tool}");
        assert!(hints["title"].is_string(), "{tool}");
        assert!(hints["readOnlyHint"].is_boolean(), "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
    }
    let delete = tools.iter().find(|t| t["name"] == "delete_task").unwrap();
    assert_eq!(delete["annotations"]["destructiveHint"], true);
    let resources = inspect("resources/list");
    assert_eq!(
        resources["resources"][0]["uri"], "todo://tasks/today",
        "{resources}"
    );
    let templates = inspect("resources/templates/list");
    assert_eq!(templates["resourceTemplates"].as_array().unwrap().len(), 2);
    let prompts = inspect("prompts/list");
    assert_eq!(prompts["prompts"][0]["name"], "plan_my_day", "{prompts}");
}

/// Two replicas on PostgreSQL: a client subscribed through `todo mcp` hears of a change made through
/// `todo backend`'s REST API (LISTEN/NOTIFY carries it between the processes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_another_replica_reaches_the_subscriber() {
    let Some(python) = python() else { return };
    let Some((db, _)) = database(Db::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
    ];
    let (mut backend, backend_url) = spawn_role(&["backend"], &env, dir.path(), "backend").await;
    let (mut mcp, mcp_url) = spawn_role(&["mcp"], &env, dir.path(), "mcp").await;
    let app = TestApp::attach(&backend_url);
    let u = app.sign_up("replicas@example.com").await;
    let task = app.create(&u, json!({"title": "Renew passport"})).await;
    for mode in ["legacy", "auto"] {
        let uri = format!("todo://tasks/{}", task["id"]);
        let toggle = app.url(&format!("/api/{}/tasks/{}/complete", u.id, task["id"]));
        let report = client(
            &python,
            &[
                "--url",
                &format!("{mcp_url}/mcp"),
                "--token",
                &u.jwt,
                "--mode",
                mode,
            ],
            json!([{"subscribe": uri, "rest": {"method": "PATCH", "url": toggle}}]),
        )
        .await;
        assert_eq!(report["steps"][0]["updated"], true, "{mode}: {report}");
    }
    terminate(&backend);
    terminate(&mcp);
    let _ = (backend.wait(), mcp.wait());
}
