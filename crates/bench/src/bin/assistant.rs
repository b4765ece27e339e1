//! `scripts/bench-assistant.sh` (or `cargo run --release -p todo-bench --bin todo-bench-assistant`): the
//! assistant under load, on SQLite and on PostgreSQL, with the release `todo` processes.
//!
//! 1. MCP tool calls: raw JSON-RPC `tools/call` POSTs to `/mcp` of `todo mcp` and of `todo serve`, as a
//!    user signed up through the API, for `add_task` and for `list_tasks` (a user with 100 tasks).
//! 2. Chat turns (`POST /api/{user}/chat`) on `todo backend`: with the built-in assistant, and with a
//!    stand-in OpenAI-compatible model in this process that answers at once (a tool call `add_task`,
//!    then words: two model round trips and one tool call per turn), its tools in-process or behind a
//!    separate `todo mcp`. The stand-in times its own handling of each turn, so the backend's overhead
//!    is the turn's latency minus that.
//! 3. Many chats at once with the stand-in: turns/s, p99, errors and the backend's peak RSS.
//!
//! Each connection continues its own conversation (the history the agent reads is bounded at 20
//! messages). `BENCH_SECONDS` sets each run's length (default 3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Method;
use serde_json::{json, Value};
use tempfile::TempDir;
use todo_bench::{
    connect, drive, migrate, run_length, seed, send, sign_up, start_server, summarise, Server,
    Stats, User,
};
use todo_testkit::PgServer;

const MCP_CONCURRENCY: [usize; 2] = [1, 16];
const CHAT_CONCURRENCY: [usize; 2] = [1, 16];
const SUSTAINED: [usize; 2] = [50, 200];
/// The stand-in model's final answer, which a turn must come back with.
const FINAL_ANSWER: &str = "Done: it is on your list.";

// ---------------------------------------------------------------------------------------------------
// The stand-in model

/// An OpenAI-compatible chat-completions server that answers at once: a call to `add_task` (titled
/// with the user's message) when the conversation's last message is not a tool result, else words.
/// It records the time it spent on each turn, keyed by the turn's user message.
#[derive(Clone, Default)]
struct StandIn {
    spent: Arc<Mutex<HashMap<String, Duration>>>,
}

impl StandIn {
    async fn start(&self) -> String {
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(completions))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/v1")
    }

    /// The time spent on the turn whose user message was `message` (forgotten afterwards).
    fn take(&self, message: &str) -> Option<Duration> {
        self.spent.lock().unwrap().remove(message)
    }
}

/// From the request's head to the answer's bytes: reading and parsing the body, answering, encoding.
async fn completions(State(s): State<StandIn>, req: Request) -> Response {
    let start = Instant::now();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let turn = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let answered = messages.last().is_some_and(|m| m["role"] == "tool");
    let (message, finish) = if answered {
        (
            json!({"role": "assistant", "content": FINAL_ANSWER}),
            "stop",
        )
    } else {
        let call = json!({"id": "call_1", "type": "function",
            "function": {"name": "add_task", "arguments": json!({"title": turn}).to_string()}});
        (
            json!({"role": "assistant", "content": null, "tool_calls": [call]}),
            "tool_calls",
        )
    };
    let out = serde_json::to_vec(&json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "model": "stand-in",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }))
    .unwrap();
    let resp = Response::builder()
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(out))
        .unwrap();
    *s.spent.lock().unwrap().entry(turn).or_default() += start.elapsed();
    resp
}

// ---------------------------------------------------------------------------------------------------
// MCP tool calls

/// The JSON-RPC answer of an MCP POST, whether sent as JSON or as one server-sent event.
fn rpc_answer(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok().or_else(|| {
        let text = std::str::from_utf8(body).ok()?;
        let data = text.lines().find_map(|l| l.strip_prefix("data:"))?;
        serde_json::from_str(data.trim()).ok()
    })
}

/// `tools/call` of `tool` on `server`'s `/mcp` as `jwt`; the tool's result on success.
async fn call_tool(
    conn: &todo_bench::Conn,
    jwt: &str,
    id: usize,
    tool: &str,
    args: Value,
) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": args}});
    let req = hyper::Request::builder()
        .method(Method::POST)
        .uri("/mcp")
        .header(HOST, "127.0.0.1")
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .header("mcp-protocol-version", "2025-06-18")
        .header(AUTHORIZATION, format!("Bearer {jwt}"))
        .body(Full::from(body.to_string()))
        .unwrap();
    let (status, body) = send(conn, req).await?;
    if status != 200 {
        return None;
    }
    let result = rpc_answer(&body)?.get("result")?.clone();
    (result["isError"] != true).then_some(result)
}

#[derive(Clone, Copy)]
enum Tool {
    Add,
    List,
}

async fn bench_mcp(server: &Server, user: &User, tool: Tool, c: usize, d: Duration) -> Stats {
    let conns = Arc::new(connect(&server.addr, c).await);
    let jwt: Arc<str> = user.jwt.clone().into();
    drive(c, d, move |w, i| {
        let (conns, jwt) = (conns.clone(), jwt.clone());
        async move {
            let (name, args) = match tool {
                Tool::Add => ("add_task", json!({"title": format!("mcp task {i}")})),
                Tool::List => ("list_tasks", json!({"status": "all"})),
            };
            call_tool(&conns[w], &jwt, i, name, args).await.is_some()
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------------
// Chat turns

/// What a turn's figures are, beside its latency: the stand-in's share and the rest.
struct Turns {
    stats: Stats,
    /// Time inside the stand-in per turn (p50), when a stand-in answered.
    model_p50_ms: Option<f64>,
    /// Latency minus the stand-in's time, per turn.
    overhead: Stats,
}

/// `c` connections sending chat turns to `backend` for `d`, each continuing its own conversation.
async fn bench_chat(
    backend: &Server,
    user: &User,
    stand_in: Option<&StandIn>,
    label: &str,
    c: usize,
    d: Duration,
) -> Turns {
    let conns = Arc::new(connect(&backend.addr, c).await);
    let conversations: Arc<Vec<AtomicI64>> = Arc::new((0..c).map(|_| AtomicI64::new(0)).collect());
    let split = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let path: Arc<str> = format!("/api/{}/chat", user.id).into();
    let auth: Arc<str> = format!("Bearer {}", user.jwt).into();
    let has_model = stand_in.is_some();
    let (stand_in, label) = (stand_in.cloned(), label.to_owned());
    let recorded = split.clone();
    let stats = drive(c, d, move |w, i| {
        let (conns, conversations, split) =
            (conns.clone(), conversations.clone(), recorded.clone());
        let (path, auth, stand_in) = (path.clone(), auth.clone(), stand_in.clone());
        // Unique per turn, so the stand-in's time can be matched to it.
        let message = match stand_in {
            Some(_) => format!("{label}, {c} connections, turn {i}"),
            None => "add a task to buy milk".to_owned(),
        };
        async move {
            let conversation = conversations[w].load(Ordering::Relaxed);
            let body = match conversation {
                0 => json!({"message": message}),
                id => json!({"message": message, "conversation_id": id}),
            };
            let req = hyper::Request::builder()
                .method(Method::POST)
                .uri(&*path)
                .header(HOST, "127.0.0.1")
                .header(CONTENT_TYPE, "application/json")
                .header(AUTHORIZATION, &*auth)
                .body(Full::<Bytes>::from(body.to_string()))
                .unwrap();
            let start = Instant::now();
            let Some((status, body)) = send(&conns[w], req).await else {
                return false;
            };
            let latency = start.elapsed();
            let Ok(reply) = serde_json::from_slice::<Value>(&body) else {
                return false;
            };
            let call = &reply["tool_calls"][0];
            let added = call["name"] == "add_task" && call["result"]["status"] == "created";
            let answered = stand_in.is_none() || reply["response"] == FINAL_ANSWER;
            if status != 200 || !added || !answered {
                return false;
            }
            if conversation == 0 {
                conversations[w].store(
                    reply["conversation_id"].as_i64().unwrap_or(0),
                    Ordering::Relaxed,
                );
            }
            let model = match &stand_in {
                Some(s) => match s.take(&message) {
                    Some(t) => t,
                    None => return false,
                },
                None => Duration::ZERO,
            };
            let mut split = split.lock().unwrap();
            split.0.push(model);
            split.1.push(latency.saturating_sub(model));
            true
        }
    })
    .await;
    let (model, overhead) = std::mem::take(&mut *split.lock().unwrap());
    let elapsed = Duration::from_secs(1); // throughput is not read from these two
    Turns {
        model_p50_ms: has_model.then(|| summarise(model, 0, elapsed).p50_ms),
        overhead: summarise(overhead, 0, elapsed),
        stats,
    }
}

// ---------------------------------------------------------------------------------------------------
// The run

fn errors(n: usize) -> String {
    if n > 0 {
        format!("  ERRORS {n}")
    } else {
        String::new()
    }
}

fn chat_header(title: &str) {
    println!("\n{title}");
    println!(
        "{:<8} {:<30} {:>3}  {:>8} {:>8} {:>8} {:>10} {:>9} {:>9} {:>8}",
        "db",
        "assistant",
        "c",
        "turns/s",
        "p50 ms",
        "p99 ms",
        "model p50",
        "ovh p50",
        "ovh p99",
        "peak MiB"
    );
}

fn chat_row(kind: &str, label: &str, c: usize, t: &Turns, peak_mib: f64) {
    let model = t
        .model_p50_ms
        .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2}"));
    println!(
        "{kind:<8} {label:<30} {c:>3}  {:>8.1} {:>8.2} {:>8.2} {model:>10} {:>9.2} {:>9.2} {peak_mib:>8.1}{}",
        t.stats.rps,
        t.stats.p50_ms,
        t.stats.p99_ms,
        t.overhead.p50_ms,
        t.overhead.p99_ms,
        errors(t.stats.errors)
    );
}

/// `todo backend` on `url` with `env` added.
async fn backend(url: &str, dir: &TempDir, env: &[(&str, &str)]) -> Server {
    start_server("backend", url, dir.path(), env).await.0
}

async fn bench_database(kind: &str, url: String, d: Duration, stand_in: &StandIn, model: &str) {
    let dir = tempfile::tempdir().unwrap();
    migrate(&url, dir.path());
    let (serve, serve_ready) = start_server("serve", &url, dir.path(), &[]).await;
    let base = serve.base_url();
    let lister = sign_up(&base, "lister@bench.example").await;
    let writer = sign_up(&base, "writer@bench.example").await;
    let chatter = sign_up(&base, "chatter@bench.example").await;
    seed(&url, &lister.id, 100).await;
    let (mcp, mcp_ready) = start_server("mcp", &url, dir.path(), &[]).await;

    // The calls measured below do what they should: list_tasks sees the 100 tasks.
    let probe = connect(&mcp.addr, 1).await;
    let listed = call_tool(
        &probe[0],
        &lister.jwt,
        0,
        "list_tasks",
        json!({"status": "all"}),
    )
    .await
    .expect("list_tasks over MCP");
    let text = listed["content"][0]["text"].as_str().unwrap_or("null");
    let n = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0);
    assert_eq!(n, 100, "list_tasks over MCP: {listed}");
    drop(probe);
    println!(
        "\n{kind}: todo serve ready in {:.0} ms, todo mcp in {:.0} ms ({:.1} MiB RSS at rest)",
        serve_ready.as_secs_f64() * 1e3,
        mcp_ready.as_secs_f64() * 1e3,
        todo_bench::rss_kib(mcp.pid(), "VmRSS:") as f64 / 1024.0
    );

    println!("\nMCP tools/call over HTTP (stateless JSON-RPC POST /mcp, bearer JWT)");
    println!(
        "{:<8} {:<12} {:<24} {:>3}  {:>8} {:>8} {:>8} {:>8}",
        "db", "server", "tool", "c", "calls/s", "p50 ms", "p99 ms", "peak MiB"
    );
    for (name, server) in [("todo mcp", &mcp), ("todo serve", &serve)] {
        for (tool, label) in [
            (Tool::Add, "add_task"),
            (Tool::List, "list_tasks (100 tasks)"),
        ] {
            for c in MCP_CONCURRENCY {
                let user = match tool {
                    Tool::Add => &writer,
                    Tool::List => &lister,
                };
                let s = bench_mcp(server, user, tool, c, d).await;
                println!(
                    "{kind:<8} {name:<12} {label:<24} {c:>3}  {:>8.0} {:>8.2} {:>8.2} {:>8.1}{}",
                    s.rps,
                    s.p50_ms,
                    s.p99_ms,
                    server.peak_mib(),
                    errors(s.errors)
                );
            }
        }
    }
    drop(serve);

    let mcp_url = mcp.base_url();
    let with_model = [
        ("LLM_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", model),
        ("OPENAI_API_KEY", "sk-bench"),
        ("OPENAI_MODEL", "stand-in"),
    ];
    let mut over_mcp = with_model.to_vec();
    over_mcp.push(("MCP_SERVER_URL", mcp_url.as_str()));
    chat_header("Chat turns, POST /api/{user}/chat on todo backend (ovh = latency - time inside the stand-in model)");
    // (label, environment, whether the turn calls the stand-in model)
    type Setup<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
    let setups: [Setup; 3] = [
        ("built-in assistant", &[("LLM_PROVIDER", "builtin")], false),
        ("stand-in model, local tools", &with_model, true),
        ("stand-in model, tools via mcp", &over_mcp, true),
    ];
    for (label, env, uses_model) in setups {
        let server = backend(&url, &dir, env).await;
        for c in CHAT_CONCURRENCY {
            let t = bench_chat(
                &server,
                &chatter,
                uses_model.then_some(stand_in),
                label,
                c,
                d,
            )
            .await;
            chat_row(kind, label, c, &t, server.peak_mib());
        }
    }

    chat_header("Concurrent chats sustained (stand-in model, local tools; a fresh todo backend)");
    let server = backend(&url, &dir, &with_model).await;
    for c in SUSTAINED {
        let t = bench_chat(&server, &chatter, Some(stand_in), "sustained", c, d).await;
        chat_row(
            kind,
            "stand-in model, local tools",
            c,
            &t,
            server.peak_mib(),
        );
    }
}

#[tokio::main]
async fn main() {
    let (seconds, d) = run_length(3.0);
    println!(
        "{seconds} s per run; release `todo` processes over loopback, driven by one keep-alive connection per worker (c)"
    );
    let stand_in = StandIn::default();
    let model = stand_in.start().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_database("sqlite", sqlite, d, &stand_in, &model).await;
    match PgServer::shared() {
        Some(pg) => bench_database("postgres", pg.new_database().await, d, &stand_in, &model).await,
        None => println!("\npostgres: skipped (no PostgreSQL found; set TEST_DATABASE_URL)"),
    }
}
