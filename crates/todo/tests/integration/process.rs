//! The `todo` binary as operators run it: configuration errors, signals, migrations from several
//! processes, and readiness that follows the database.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::SECRET;
use todo_testkit::{free_port, wait_for, PgServer};

const ENV_TO_CLEAR: &[&str] = &[
    "DATABASE_URL",
    "PORT",
    "HOST",
    "BETTER_AUTH_SECRET",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "AUTO_MIGRATE",
    "BETTER_AUTH_JWKS_URL",
    "BETTER_AUTH_ISSUER",
    "BACKEND_BETTER_AUTH_URL",
    "CORS_ORIGINS",
    "FRONTEND_URL",
    "LLM_PROVIDER",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GEMINI_API_KEY",
    "COHERE_API_KEY",
    "MCP_SERVER_URL",
    "MCP_SERVER_PORT",
    "MCP_ALLOWED_HOSTS",
];

pub(crate) fn todo(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_todo"));
    c.current_dir(dir).stdin(Stdio::null());
    for v in ENV_TO_CLEAR {
        c.env_remove(v);
    }
    c
}

/// Runs `todo` to completion and returns (exit code, stderr).
fn run(mut c: Command) -> (i32, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts a long-running role with its output in `dir/log`.
pub(crate) fn spawn(mut c: Command, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join("log")).unwrap();
    c.stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

pub(crate) async fn get(url: &str) -> Option<(u16, String)> {
    let r = todo_testkit::http_client()
        .build()
        .unwrap()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    Some((r.status().as_u16(), r.text().await.unwrap_or_default()))
}

/// The task list of `user` as the running server answers it.
async fn tasks_of(base: &str, user: &str, token: &str) -> serde_json::Value {
    let r = todo_testkit::http_client()
        .build()
        .unwrap()
        .get(format!("{base}/api/{user}/tasks"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Starts `todo <args>` on a free loopback port with `env`, logging JSON to `dir/<name>.log`, and waits
/// until it is ready. Returns the process and its base URL.
pub(crate) async fn spawn_role(
    args: &[&str],
    env: &[(&str, &str)],
    dir: &Path,
    name: &str,
) -> (Child, String) {
    spawn_role_on(free_port(), args, env, dir, name).await
}

/// [`spawn_role`] on a given port (a restart where a load balancer expects it).
pub(crate) async fn spawn_role_on(
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
    dir: &Path,
    name: &str,
) -> (Child, String) {
    let mut c = todo(dir);
    c.args(args)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .env("LOG_FORMAT", "json");
    for (k, v) in env {
        c.env(k, v);
    }
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let child = c
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(20)).await;
    (child, base)
}

pub(crate) fn terminate(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
}

pub(crate) fn wait_exit(child: &mut Child, within: Duration) -> i32 {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "process did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    // (arguments, environment, what the one line must say)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["backend"],
            vec![("BETTER_AUTH_SECRET", "too-short")],
            "BETTER_AUTH_SECRET must be at least 32 characters",
        ),
        (vec!["backend"], vec![], "BETTER_AUTH_SECRET is required"),
        (
            vec!["serve"],
            vec![("DATABASE_URL", "mysql://db/todo")],
            "DATABASE_URL",
        ),
        (
            vec!["backend"],
            vec![
                ("DATABASE_URL", "postgres://u@h:notaport/db"),
                ("BETTER_AUTH_SECRET", SECRET),
            ],
            "DATABASE_URL",
        ),
        (
            vec!["serve"],
            vec![("PORT", "seventy")],
            "for --port (env PORT)",
        ),
        (vec![], vec![("PORT", "seventy")], "for --port (env PORT)"),
        (
            vec!["mcp"],
            vec![("MCP_SERVER_PORT", "eighty")],
            "for --port (env MCP_SERVER_PORT)",
        ),
        (
            vec!["frontend"],
            vec![("BACKEND_URL", "not a url")],
            "BACKEND_URL",
        ),
        (
            vec!["serve"],
            vec![("LOG_FORMAT", "xml")],
            "for --log-format (env LOG_FORMAT): expected one of json, pretty",
        ),
        (
            vec!["backend"],
            vec![("LLM_PROVIDER", "claude")],
            "(env LLM_PROVIDER): expected one of auto, openai",
        ),
        (vec!["serve"], vec![("PORT", &busy_port)], "HOST/PORT"),
        (
            vec!["serve"],
            vec![("AUTO_MIGRATE", "maybe")],
            "AUTO_MIGRATE",
        ),
        (vec!["serve"], vec![("CORS_ORIGINS", "*")], "CORS_ORIGINS"),
        (
            vec!["serve"],
            vec![("JWT_TTL_SECONDS", "99999999999999")],
            "JWT_TTL_SECONDS",
        ),
        (
            vec!["serve"],
            vec![("AUTO_MIGRATE", "false")],
            "BETTER_AUTH_SECRET is required when AUTO_MIGRATE=false",
        ),
        (
            vec!["serve"],
            vec![("BETTER_AUTH_JWKS_URL", "not a url")],
            "BETTER_AUTH_JWKS_URL",
        ),
        (
            vec!["serve"],
            vec![("DATABASE_URL", "sqlite:///nonexistent-dir/x/todo.db")],
            "DATABASE_URL",
        ),
    ];
    for (args, env, expected) in cases {
        let mut c = todo(dir.path());
        c.args(&args).envs(env.iter().copied());
        let (code, stderr) = run(c);
        assert_ne!(code, 0, "{args:?} {env:?} should fail");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "one line for {env:?}, got:\n{stderr}"
        );
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{env:?}: {stderr}"
        );
        assert!(
            !stderr.contains("panicked")
                && !stderr.contains(SECRET)
                && !stderr.contains("too-short"),
            "{stderr}"
        );
    }
    drop(busy);

    let out = todo(dir.path())
        .args(["backend", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "[env: DATABASE_URL",
        "[env: PORT",
        "[default: 8000]",
        "[env: BETTER_AUTH_SECRET",
        "[env: BETTER_AUTH_JWKS_URL",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[tokio::test]
async fn sigterm_fails_readiness_first_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut c = todo(dir.path());
    c.env("PORT", port.to_string())
        .env("SHUTDOWN_DELAY_SECONDS", "2")
        .env("BETTER_AUTH_SECRET", SECRET);
    let mut child = spawn(c, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(10)).await;
    // An unauthorized request, so there is a request line to inspect.
    get(&format!("{base}/api/someone/tasks")).await;

    terminate(&child);
    wait_for(&format!("{base}/ready"), 503, Duration::from_secs(1)).await;
    assert_eq!(
        get(&format!("{base}/health")).await.map(|r| r.0),
        Some(200),
        "still live while draining"
    );
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);

    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("\"route\":\"/api/{user_id}/tasks\""))
        .expect(&log);
    let entry: serde_json::Value =
        serde_json::from_str(line).expect("JSON logs when not on a terminal");
    assert_eq!(
        (entry["method"].as_str(), entry["status"].as_u64()),
        (Some("GET"), Some(401))
    );
    assert!(
        entry["latency_ms"].is_number()
            && entry["request_id"].as_str().is_some_and(|s| s.len() >= 32),
        "{entry}"
    );
    assert!(
        !log.contains(SECRET) && !log.contains("someone"),
        "no secrets or raw paths in logs"
    );
    // The generated database exists where the process ran, with the healthcheck seeing it gone now.
    assert!(dir.path().join("todo.db").exists());
    let mut hc = todo(dir.path());
    hc.args(["healthcheck", &format!("{base}/health")]);
    assert_ne!(run(hc).0, 0);
}

#[test]
fn healthcheck_reports_by_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut c = todo(dir.path());
    c.env("PORT", port.to_string());
    let mut child = spawn(c, dir.path());
    let url = format!("http://127.0.0.1:{port}/health");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut hc = todo(dir.path());
        hc.args(["healthcheck", &url]);
        if run(hc).0 == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "healthcheck never passed");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut hc = todo(dir.path());
    hc.args(["healthcheck", &format!("http://127.0.0.1:{port}/nowhere")]);
    assert_eq!(run(hc).0, 1);
    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
}

/// HTTPS through the binary's own client (rustls on ring; roots from `SSL_CERT_FILE`, as the image
/// sets it): a server whose CA is trusted answers, an untrusted one is refused in one line, no panic.
#[test]
fn healthcheck_speaks_https_with_the_configured_roots() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .current_dir(d)
            .args(args)
            .output()
            .map(|o| assert!(o.status.success(), "openssl {args:?}: {o:?}"))
    };
    // A CA, and a certificate for localhost signed by it.
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=todo test CA",
    ]);
    if made.is_err() {
        assert!(std::env::var("CI").is_err(), "openssl is needed under CI");
        eprintln!("warning: openssl not found; HTTPS client test skipped");
        return;
    }
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=localhost",
    ])
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ])
    .unwrap();
    let port = free_port();
    let mut server = Command::new("openssl")
        .current_dir(d)
        .args([
            "s_server", "-quiet", "-www", "-cert", "srv.pem", "-key", "srv.key",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://localhost:{port}/");
    let healthcheck = |roots: &Path| {
        let mut hc = todo(d);
        hc.args(["healthcheck", &url]).env("SSL_CERT_FILE", roots);
        run(hc)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let trusted = healthcheck(&d.join("ca.pem"));
    // Its own certificate is not a CA: nothing vouches for the server.
    let untrusted = healthcheck(&d.join("srv.pem"));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(trusted.0, 0, "{}", trusted.1);
    assert_eq!(untrusted.0, 1, "{}", untrusted.1);
    assert!(
        untrusted.1.starts_with("error: healthcheck https://")
            && untrusted.1.lines().count() == 1
            && !untrusted.1.contains("panicked"),
        "{}",
        untrusted.1
    );
}

async fn two_processes_migrate(url: &str, dir: &Path) {
    let children: Vec<Child> = (0..2)
        .map(|_| {
            let mut c = todo(dir);
            c.args(["migrate"])
                .env("DATABASE_URL", url)
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store = todo_storage::Store::open(url, &Default::default()).unwrap();
    assert_eq!(store.schema().await.unwrap(), todo_storage::Schema::Current);
    let mut again = todo(dir);
    again.args(["migrate"]).env("DATABASE_URL", url);
    assert_eq!(run(again).0, 0, "migrating a current schema is a no-op");
}

#[tokio::test]
async fn an_unmigrated_database_is_not_served_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let port = free_port();
    let mut c = todo(dir.path());
    c.args(["backend"])
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &url)
        .env("BETTER_AUTH_SECRET", SECRET);
    let mut child = spawn(c, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/health"), 200, Duration::from_secs(10)).await;
    let (status, reason) = get(&format!("{base}/ready")).await.unwrap();
    assert_eq!(status, 503);
    assert!(reason.contains("todo migrate"), "{reason}");
    let token = crate::support::hs256("early", serde_json::json!({}));
    let client = todo_testkit::http_client().build().unwrap();
    let r = client
        .get(format!("{base}/api/early/tasks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);

    let mut migrate = todo(dir.path());
    migrate.args(["migrate"]).env("DATABASE_URL", &url);
    assert_eq!(run(migrate).0, 0);
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(5)).await;
    let r = client
        .get(format!("{base}/api/early/tasks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
}

#[tokio::test]
async fn migrations_run_concurrently_by_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    two_processes_migrate(
        &format!("sqlite://{}", dir.path().join("m.db").display()),
        dir.path(),
    )
    .await;
    if let Some(pg) = PgServer::shared() {
        two_processes_migrate(&pg.new_database().await, dir.path()).await;
    }
}

#[tokio::test]
async fn readiness_follows_postgres_down_and_up() {
    let Some(pg) = PgServer::start_private() else {
        return;
    };
    let url = pg.new_database().await;
    pg.stop();

    // Started while PostgreSQL is down: alive and unready, not crashing.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut c = todo(dir.path());
    c.args(["backend"])
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &url)
        .env("BETTER_AUTH_SECRET", SECRET)
        .env("AUTO_MIGRATE", "true");
    let mut child = spawn(c, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/health"), 200, Duration::from_secs(10)).await;
    wait_for(&format!("{base}/ready"), 503, Duration::from_secs(10)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the process must not exit because the database is late"
    );

    pg.restart();
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(20)).await;
    let token = crate::support::hs256("pat", serde_json::json!({}));
    let client = todo_testkit::http_client().build().unwrap();
    let r = client
        .post(format!("{base}/api/pat/tasks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "survives"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    pg.stop();
    wait_for(&format!("{base}/ready"), 503, Duration::from_secs(10)).await;
    let r = client
        .get(format!("{base}/api/pat/tasks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "a database outage is 503, not 500");

    pg.restart();
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(20)).await;
    let tasks = tasks_of(&base, "pat", &token).await;
    assert_eq!(tasks[0]["title"], "survives");

    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    pg.stop();
}

/// Hosted PostgreSQL (Neon and the like) is reached with `sslmode=require`: the connection must be
/// encrypted, through rustls.
#[tokio::test]
async fn postgres_with_sslmode_require_is_encrypted() {
    let Some(pg) = PgServer::shared() else { return };
    if !pg.tls {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs openssl for the TLS test"
        );
        eprintln!("warning: the test PostgreSQL has no TLS (openssl missing); skipped");
        return;
    }
    let url = format!("{}?sslmode=require", pg.new_database().await);
    let app = crate::support::TestApp::spawn_on(url.clone(), None, &[]).await;
    let user = app.sign_up("tls@example.com").await;
    app.create(&user, serde_json::json!({"title": "over TLS"}))
        .await;

    // From a plain connection, look at the server's own view of the app's pooled connections.
    use sqlx::Connection;
    let plain = url.replace("sslmode=require", "sslmode=disable");
    let mut conn = sqlx::PgConnection::connect(&plain).await.unwrap();
    let (app_conns, encrypted): (i64, bool) = sqlx::query_as(
        "SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(app_conns > 0, "the app holds connections");
    assert!(encrypted, "every app connection is encrypted");
    let mine: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(!mine, "the check itself tells plain from encrypted");
}

/// A request in flight when SIGTERM arrives still completes; the process then exits 0.
#[tokio::test]
async fn in_flight_requests_finish_during_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut c = todo(dir.path());
    c.env("PORT", port.to_string())
        .env("BETTER_AUTH_SECRET", SECRET);
    let mut child = spawn(c, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(10)).await;

    // Half a request: headers and the start of the body.
    let token = crate::support::hs256("drain", serde_json::json!({}));
    let body = r#"{"title":"finished during shutdown"}"#;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/drain/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    terminate(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "still draining the open request"
    );
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("finished during shutdown"));
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);

    // The acknowledged write is there after a restart.
    let mut c = todo(dir.path());
    c.env("PORT", port.to_string())
        .env("BETTER_AUTH_SECRET", SECRET);
    let mut child = spawn(c, dir.path());
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(10)).await;
    let tasks = tasks_of(&base, "drain", &token).await;
    assert_eq!(tasks[0]["title"], "finished during shutdown");
    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
}

/// Any replica serves any turn: a conversation started on one `todo backend` continues on another
/// sharing the PostgreSQL database, and on a restarted one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_continue_across_backends_and_restarts() {
    let Some(pg) = PgServer::shared() else { return };
    let db = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
    ];
    let (mut one, url_one) = spawn_role(&["backend"], &env, dir.path(), "one").await;
    let (two, url_two) = spawn_role(&["backend"], &env, dir.path(), "two").await;
    let first = crate::support::TestApp::attach(&url_one);
    let second = crate::support::TestApp::attach(&url_two);
    let u = first.sign_up("replicas@example.com").await;

    let (_, reply) = crate::chat::chat(
        &first,
        &u,
        serde_json::json!({"message": "add a task to book flights"}),
    )
    .await;
    let conversation = reply["conversation_id"].clone();
    // The delete asks for confirmation on one replica; the "yes" is understood by the other.
    let ask =
        serde_json::json!({"conversation_id": conversation, "message": "delete the flights task"});
    let (_, question) = crate::chat::chat(&second, &u, ask).await;
    assert!(
        question["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "delete_task"),
        "{question}"
    );
    terminate(&one);
    assert_eq!(wait_exit(&mut one, Duration::from_secs(10)), 0);
    let (restarted, url_three) = spawn_role(&["backend"], &env, dir.path(), "three").await;
    let third = crate::support::TestApp::attach(&url_three);
    let yes = serde_json::json!({"conversation_id": conversation, "message": "yes"});
    let (status, done) = crate::chat::chat(&third, &u, yes).await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "delete_task"),
        "{done}"
    );
    assert_eq!(
        tasks_of(&url_two, &u.id, &u.jwt).await,
        serde_json::json!([])
    );
    let (_, messages) = second.messages(&u, &conversation).await;
    assert_eq!(messages.as_array().unwrap().len(), 6);
    for mut p in [two, restarted] {
        terminate(&p);
        let _ = p.wait();
    }
}
