//! Issue 14's attacks, each against the real server: brute force (per address, per account, across
//! replicas, a flood beside a legitimate sign-in), common passwords, tokens that outlive their
//! session, sign-out from another site, caching of private answers, hostile request ids, JWT header
//! and lifetime tricks, user ids with `/` and `..` in links, MCP Origin and Host, database file modes
//! and `__Host-` cookies.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{database, hs256, split, Db, TestApp, SECRET};

const PASSWORD: &str = "correct horse battery";

/// A sign-in as the client at `from` (an `X-Forwarded-For` the server believes only from a trusted
/// proxy); the status, `Retry-After` and body.
async fn sign_in(
    app: &TestApp,
    from: &str,
    email: &str,
    password: &str,
) -> (u16, Option<u64>, Value) {
    let r = app
        .request(Method::POST, "/api/auth/sign-in/email", None)
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let (status, body) = split(r).await;
    (status, retry, body)
}

/// The acceptance test of the issue: 256 concurrent wrong-password attempts from one address are
/// refused with 429 before any password work, so another user's sign-in meanwhile stays fast.
async fn a_sign_in_flood_leaves_a_legitimate_sign_in_fast(db: Db) {
    let Some(app) = TestApp::spawn_with(db, &["--trusted-proxies", "127.0.0.1"]).await else {
        return;
    };
    app.sign_up("victim@example.com").await;
    app.sign_up("legit@example.com").await;
    let attackers: Vec<_> = (0..256)
        .map(|i| {
            let app_base = app.base.clone();
            let client = app.client.clone();
            tokio::spawn(async move {
                let r = client
                    .post(format!("{app_base}/api/auth/sign-in/email"))
                    .header("x-forwarded-for", "203.0.113.66")
                    .json(&json!({"email": "victim@example.com", "password": format!("guess {i}")}))
                    .send()
                    .await
                    .unwrap();
                let retry = r.headers().contains_key("retry-after");
                (r.status().as_u16(), retry)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, _, body) = sign_in(&app, "198.51.100.20", "legit@example.com", PASSWORD).await;
    let latency = started.elapsed();
    let mut answers = Vec::new();
    for a in attackers {
        answers.push(a.await.unwrap());
    }
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    println!(
        "{db:?}: legitimate sign-in in {} ms during 256 concurrent guesses: {limited} answered 429, {} answered 401",
        latency.as_millis(),
        answers.iter().filter(|(s, _)| *s == 401).count()
    );
    assert_eq!(status, 200, "{body}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert!(answers
        .iter()
        .all(|(s, retry)| *s == 401 || (*s == 429 && *retry)));
    assert!(limited >= 240, "{limited} of 256 limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_flood_on_sqlite() {
    a_sign_in_flood_leaves_a_legitimate_sign_in_fast(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_flood_on_postgres() {
    a_sign_in_flood_leaves_a_legitimate_sign_in_fast(Db::Postgres).await;
}

/// Without trusted proxies, `X-Forwarded-For` is the client's own word: changing it does not buy
/// more attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_does_not_escape_the_per_address_limit() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    for i in 0..10 {
        let (status, _, body) = sign_in(
            &app,
            &format!("192.0.2.{i}"),
            &format!("nobody{i}@example.com"),
            "wrong guess",
        )
        .await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, retry, body) =
        sign_in(&app, "192.0.2.99", "nobody@example.com", "wrong guess").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert!((1..=6).contains(&retry.unwrap()), "{retry:?}");
    // Sign-up draws on the same attempts.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/auth/sign-up/email",
            None,
            Some(json!({"email": "new@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 429);
}

/// Failures lock the account in the shared database: guesses spread over replicas and addresses
/// meet the same growing delay, and even the right password waits it out.
async fn account_locks_hold_across_replicas(db: Db) {
    let Some((url, dir)) = database(db).await else {
        return;
    };
    let proxies = ["--trusted-proxies", "127.0.0.1"];
    let a = TestApp::spawn_on(url.clone(), dir, &proxies).await;
    let b = TestApp::spawn_on(url, None, &proxies).await;
    a.sign_up("target@example.com").await;
    for i in 0..5 {
        let replica = if i % 2 == 0 { &a } else { &b };
        let (status, _, _) = sign_in(
            replica,
            &format!("198.51.100.{i}"),
            "target@example.com",
            "guess",
        )
        .await;
        assert_eq!(status, 401, "free failure {i}");
    }
    // The sixth failure locks the account for a second, the seventh for two.
    let (status, _, _) = sign_in(&a, "198.51.100.50", "target@example.com", "guess").await;
    assert_eq!(status, 401);
    let (status, retry, body) = sign_in(&b, "198.51.100.51", "target@example.com", PASSWORD).await;
    assert_eq!(status, 429, "locked on the other replica too: {body}");
    assert_eq!(retry, Some(1));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, _) = sign_in(&b, "198.51.100.52", "target@example.com", "guess").await;
    assert_eq!(status, 401);
    let (status, retry, _) = sign_in(&a, "198.51.100.53", "target@example.com", PASSWORD).await;
    assert_eq!((status, retry), (429, Some(2)));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, body) = sign_in(&a, "198.51.100.54", "target@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    // A success forgets the failures: the next wrong guess is a free one again.
    let (status, _, _) = sign_in(&b, "198.51.100.55", "target@example.com", "guess").await;
    assert_eq!(status, 401);
    let (status, _, _) = sign_in(&b, "198.51.100.56", "target@example.com", PASSWORD).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_locks_across_replicas_on_sqlite() {
    account_locks_hold_across_replicas(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_locks_across_replicas_on_postgres() {
    account_locks_hold_across_replicas(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commonest_passwords_are_refused() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    for password in ["password", "12345678", "Iloveyou1", "QWERTYUIOP"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/auth/sign-up/email",
                None,
                Some(json!({"email": "common@example.com", "password": password})),
            )
            .await;
        assert_eq!(status, 422, "{password}: {body}");
        assert!(
            body["error"]["fields"]["password"]
                .as_str()
                .unwrap()
                .contains("most common passwords"),
            "{body}"
        );
    }
}

/// Signing out, or losing the account, stops the JWTs of that session at once; tokens without a
/// session (an external issuer's) keep working.
async fn tokens_end_with_their_session(db: Db) {
    let Some((url, dir)) = database(db).await else {
        return;
    };
    let app = TestApp::spawn_on(url.clone(), dir, &[]).await;
    let user = app.sign_up("leaving@example.com").await;
    let (status, _) = app.list(&user, "").await;
    assert_eq!(status, 200);
    let r = app
        .request(Method::POST, "/api/auth/sign-out", Some(&user.session))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .request(
            Method::GET,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let (_, body) = split(r).await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("session has ended"));

    // Deleting the user takes their sessions, and so their tokens, along.
    let other = app.sign_up("deleted@example.com").await;
    assert_eq!(app.list(&other, "").await.0, 200);
    let delete = "DELETE FROM users WHERE id = $1";
    match db {
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(delete)
                .bind(&other.id)
                .execute(&pool)
                .await
                .unwrap();
        }
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(delete)
                .bind(&other.id)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    // The live-session cache trusts a session it saw for at most 2 s.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.list(&other, "").await.0, 401);

    // A token an external issuer made with the shared secret names no session of ours.
    let external = hs256("external-user", json!({}));
    let (status, _) = app
        .call(
            Method::GET,
            "/api/external-user/tasks",
            Some(&external),
            None,
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_end_with_their_session_on_sqlite() {
    tokens_end_with_their_session(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_end_with_their_session_on_postgres() {
    tokens_end_with_their_session(Db::Postgres).await;
}

/// A page on another origin (a sibling subdomain, same site) cannot sign a user out with the cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_by_cookie_needs_this_origin() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let user = app.sign_up("stays@example.com").await;
    let cookie = format!("better-auth.session_token={}", user.session);
    let sign_out = |origin: &str| {
        app.client
            .post(app.url("/api/auth/sign-out"))
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body("x")
            .send()
    };
    let r = sign_out("https://evil.example.com").await.unwrap();
    assert_eq!(r.status(), 403);
    let (status, session) = app
        .call(
            Method::GET,
            "/api/auth/get-session",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(session["user"]["id"], user.id, "still signed in");
    let own = app.base.clone();
    let r = sign_out(&own).await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, session) = app
        .call(
            Method::GET,
            "/api/auth/get-session",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(session, Value::Null);
}

/// Answers with user data are not kept by caches and are not sniffed; nor are the pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_answers_are_no_store_and_nosniff() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let user = app.sign_up("private@example.com").await;
    let tasks = format!("/api/{}/tasks", user.id);
    for (path, token) in [
        ("/api/auth/token", &user.session),
        ("/api/auth/get-session", &user.session),
        (tasks.as_str(), &user.jwt),
        ("/api/nobody/tasks", &"not-a-token".to_owned()),
    ] {
        let r = app
            .request(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let r = app
        .client
        .get(app.url("/"))
        .header(
            "cookie",
            format!("better-auth.session_token={}", user.session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
}

/// A client's request id is echoed and logged only when it is short and plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_request_ids_are_replaced() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let id_for = |sent: String| {
        let r = app
            .client
            .get(app.url("/health"))
            .header("x-request-id", sent);
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["x-request-id"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(id_for("trace-42.a_b:c".into()).await, "trace-42.a_b:c");
    for hostile in [
        "x".repeat(60_000),
        "x".repeat(65),
        "a b".into(),
        "<script>".into(),
    ] {
        let echoed = id_for(hostile.clone()).await;
        assert_ne!(echoed, hostile);
        assert_eq!(echoed.len(), 36, "a generated UUID: {echoed}");
    }
}

/// An HS256 token with the test secret, with `header` as its protected header.
fn signed_with_header(header: Value, claims: Value) -> String {
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let message = format!("{}.{}", encode(&header), encode(&claims));
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
            .unwrap();
    format!("{message}.{signature}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_with_unknown_crit_future_iat_or_long_lives_are_refused() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "jwt-user", "exp": now + 600, "iat": now});
    let plain = signed_with_header(json!({"alg": "HS256", "typ": "JWT"}), claims.clone());
    let path = "/api/jwt-user/tasks";
    assert_eq!(app.call(Method::GET, path, Some(&plain), None).await.0, 200);
    let crit = signed_with_header(
        json!({"alg": "HS256", "typ": "JWT", "crit": ["exp-ext"], "exp-ext": 1}),
        claims,
    );
    for (what, token) in [
        ("crit", crit),
        (
            "future iat",
            hs256("jwt-user", json!({"iat": now + 3600, "exp": now + 4000})),
        ),
        (
            "25 h lifetime",
            hs256("jwt-user", json!({"iat": now, "exp": now + 25 * 3600})),
        ),
        (
            "25 h left without iat",
            hs256("jwt-user", json!({"exp": now + 25 * 3600})),
        ),
    ] {
        let (status, body) = app.call(Method::GET, path, Some(&token), None).await;
        assert_eq!(status, 401, "{what}: {body}");
    }
}

/// Ids from an external issuer may hold `/` and `..`: the next-page link keeps them one segment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_page_links_encode_odd_user_ids() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let id = "a/../b";
    let token = hs256(id, json!({}));
    let path = "/api/a%2F..%2Fb/tasks";
    for title in ["one", "two"] {
        let (status, _) = app
            .call(
                Method::POST,
                path,
                Some(&token),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let r = app
        .request(Method::GET, &format!("{path}?limit=1"), Some(&token))
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with("</api/a%2F%2E%2E%2Fb/tasks?cursor="),
        "{link}"
    );
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let (status, page) = app.call(Method::GET, next, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_checks_origin_and_takes_no_host_on_trust() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let u = app.sign_up("mcp-origin@example.com").await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |host: &str, origin: Option<&str>| {
        let mut r = app
            .request(Method::POST, "/mcp", Some(&u.jwt))
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    for host in ["todo-mcp:8001", "10.1.2.3", "[fd00::1]:8001"] {
        assert_eq!(post(host, None).await.unwrap().status(), 421, "{host}");
    }
    for origin in [
        "https://evil.example.com",
        "null",
        "http://127.0.0.1.evil.example",
    ] {
        let r = post("127.0.0.1", Some(origin)).await.unwrap();
        assert_eq!(r.status(), 403, "{origin}");
    }
    assert_eq!(
        post("127.0.0.1", Some("http://localhost:3000"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(post("127.0.0.1", None).await.unwrap().status(), 200);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_are_private_and_readable_ones_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("todo.db");
    let url = format!("sqlite://{}", db.display());
    let app = TestApp::spawn_on(url.clone(), None, &[]).await;
    app.sign_up("files@example.com").await;
    for name in ["todo.db", "todo.db-wal", "todo.db-shm"] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    drop(app);

    let shared = dir.path().join("shared.db");
    std::fs::write(&shared, b"").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = format!("sqlite://{}", shared.display());
    let serve = |extra: &[&str]| {
        let mut args = vec!["todo", "serve", "--port", "0", "--database-url", &url];
        args.extend_from_slice(extra);
        use clap::Parser;
        let cli = todo::config::Cli::try_parse_from(args).unwrap();
        let Some(todo::config::Command::Serve(serve)) = cli.command else {
            unreachable!()
        };
        serve.into_config().unwrap()
    };
    let refused = match todo::server::Server::bind(serve(&[])).await {
        Err(e) => e.0,
        Ok(_) => panic!("started on a database others can read"),
    };
    assert!(
        refused.contains("can be read or written by other users (mode 644)")
            && refused.contains("chmod 600")
            && refused.contains("ALLOW_READABLE_DATABASE"),
        "{refused}"
    );
    let started = todo::server::Server::bind(serve(&["--allow-readable-database", "true"])).await;
    assert!(started.is_ok(), "the override starts it");
}

/// Over HTTPS every cookie is `__Host-` prefixed and `Secure`: no sibling subdomain can plant one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_carry_the_host_prefix() {
    let app = TestApp::spawn_with(Db::Sqlite, &["--secure-cookies", "true"])
        .await
        .unwrap();
    let r = app
        .request(Method::POST, "/api/auth/sign-up/email", None)
        .json(&json!({"email": "host-prefix@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-better-auth.session_token="),
        "{cookie}"
    );
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    let session = cookie.split(';').next().unwrap().to_owned();
    // The session works under its prefixed name; the unprefixed one is not read.
    let r = app
        .client
        .get(app.url("/api/auth/token"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bare = session.trim_start_matches("__Host-").to_owned();
    let r = app
        .client
        .get(app.url("/api/auth/token"))
        .header("cookie", &bare)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app.client.get(app.url("/sign-in")).send().await.unwrap();
    let csrf = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        csrf.starts_with("__Host-todo.csrf=") && csrf.contains("; Secure"),
        "{csrf}"
    );
}
