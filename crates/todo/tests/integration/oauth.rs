//! The OAuth 2.1 authorization server and personal access tokens over real HTTP, on both databases:
//! the flow a client goes through, and the attacks it must withstand. The official Python SDK's
//! OAuth client drives the same flow end to end in `sdk_oauth_client_*`.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{split, Db, TestApp, TestUser};

const ISSUER: &str = "https://todo.example";
const MCP: &str = "https://todo.example/mcp";
const API: &str = "https://todo.example/api";
const CALLBACK: &str = "http://127.0.0.1:33418/callback";

async fn spawn(db: Db, extra: &[&str]) -> Option<TestApp> {
    let mut args = vec!["--public-url", ISSUER];
    args.extend_from_slice(extra);
    TestApp::spawn_with(db, &args).await
}

/// A PKCE verifier (unique per call) and its S256 challenge.
fn pkce() -> (String, String) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = format!("{n} {:?}", std::time::SystemTime::now());
    let verifier = URL_SAFE_NO_PAD.encode(Sha256::digest(seed.as_bytes())) + "-._~";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    split(
        app.request(Method::POST, "/api/oauth/register", None)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn client(app: &TestApp) -> String {
    let (status, c) = register(
        app,
        json!({"client_name": "Test client", "redirect_uris": [CALLBACK]}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["client_id"].as_str().unwrap().to_owned()
}

/// What the consent page asks the authorization server (with `decision` once the user answered).
async fn authorize(app: &TestApp, user: &TestUser, params: Value) -> (u16, Value) {
    split(
        app.request(Method::POST, "/api/oauth/authorize", Some(&user.jwt))
            .json(&params)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn params(client_id: &str, challenge: &str, resource: &str) -> Value {
    json!({
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
        "state": "xyz", "code_challenge": challenge, "code_challenge_method": "S256",
        "scope": "tasks:read tasks:write", "resource": resource,
    })
}

/// The query of the URL the browser is sent to, as a map.
fn query(redirect_to: &Value) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(redirect_to.as_str().unwrap()).unwrap();
    assert_eq!(
        format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        CALLBACK
    );
    url.query_pairs().into_owned().collect()
}

/// A code for `resource`, allowed by `user`, and its verifier.
async fn code(app: &TestApp, user: &TestUser, client_id: &str, resource: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let mut p = params(client_id, &challenge, resource);
    p["decision"] = json!("allow");
    let (status, answer) = authorize(app, user, p).await;
    assert_eq!(status, 200, "{answer}");
    let q = query(&answer["redirect_to"]);
    assert_eq!(q["state"], "xyz");
    (q["code"].clone(), verifier)
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let r = app
        .request(Method::POST, "/api/oauth/token", None)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(form))
        .send()
        .await
        .unwrap();
    if r.status() == 200 {
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    split(r).await
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// One JSON-RPC call to `/mcp` with a bearer token: the status, `WWW-Authenticate`, and the body.
async fn mcp(app: &TestApp, token: &str, method: &str, params: Value) -> (u16, String, Value) {
    let r = app
        .request(Method::POST, "/mcp", Some(token))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (status, body) = split(r).await;
    (status, challenge, body)
}

async fn tool_names(app: &TestApp, token: &str) -> Vec<String> {
    let (status, _, body) = mcp(app, token, "tools/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_invalid_token(status: u16, challenge: &str) {
    assert_eq!(status, 401);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(
            r#"resource_metadata="https://todo.example/.well-known/oauth-protected-resource/mcp""#
        ),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

/// Discovery: a 401 from /mcp points at the resource's metadata, which names the issuer, whose
/// metadata names every endpoint and only the safe choices.
async fn discovery_from_the_401(app: TestApp) {
    let r = app
        .request(Method::POST, "/mcp", None)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer resource_metadata="https://todo.example/.well-known/oauth-protected-resource/mcp""#
    );
    let (status, prm) = split(
        app.request(
            Method::GET,
            "/.well-known/oauth-protected-resource/mcp",
            None,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(prm["resource"], MCP);
    assert_eq!(prm["authorization_servers"], json!([ISSUER]));
    let (_, asm) = split(
        app.request(Method::GET, "/.well-known/oauth-authorization-server", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(asm["issuer"], ISSUER);
    assert_eq!(
        asm["authorization_endpoint"],
        format!("{ISSUER}/oauth/authorize")
    );
    assert_eq!(asm["token_endpoint"], format!("{ISSUER}/api/oauth/token"));
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        asm["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
}

/// Registration: public clients only, redirect URIs https or loopback, and other grant types refused.
async fn registration_has_rules(app: TestApp) {
    for bad in [
        json!({"redirect_uris": ["http://evil.example/cb"]}),
        json!({"redirect_uris": ["https://app.example/cb#frag"]}),
        json!({"redirect_uris": ["javascript:alert(1)"]}),
        json!({"redirect_uris": []}),
    ] {
        let (status, e) = register(&app, bad.clone()).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (400, Some("invalid_redirect_uri")),
            "{bad}: {e}"
        );
    }
    for bad in [
        json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_basic"}),
        json!({"redirect_uris": [CALLBACK], "grant_types": ["password"]}),
        json!({"redirect_uris": [CALLBACK], "response_types": ["token"]}),
    ] {
        let (status, e) = register(&app, bad.clone()).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (400, Some("invalid_client_metadata")),
            "{bad}: {e}"
        );
    }
    for ok in [
        "https://claude.ai/api/mcp/auth_callback",
        "http://localhost:6274/oauth/callback",
        "http://[::1]:8080/cb",
    ] {
        let (status, c) = register(&app, json!({"redirect_uris": [ok], "client_name": "Ok"})).await;
        assert_eq!(status, 201, "{ok}: {c}");
        assert_eq!(c["token_endpoint_auth_method"], "none");
    }
    // Ten attempts from one address are its burst (AUTH_RATE_LIMIT_BURST); the next waits.
    let r = app
        .request(Method::POST, "/api/oauth/register", None)
        .json(&json!({"redirect_uris": [CALLBACK]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

/// The attacks on the authorization request: no PKCE or `plain` goes back as an error and no code;
/// a redirect URI not registered exactly is refused without redirecting; denied consent is
/// `access_denied` at the client.
async fn authorization_requests_are_checked(app: TestApp) {
    let u = app.sign_up("authz@example.com").await;
    let client_id = client(&app).await;
    let (_, challenge) = pkce();

    let (status, shown) = authorize(&app, &u, params(&client_id, &challenge, MCP)).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["consent"]["client_name"], "Test client");
    assert_eq!(shown["consent"]["redirect_host"], "127.0.0.1");
    assert_eq!(
        shown["consent"]["scopes"],
        json!(["tasks:read", "tasks:write"])
    );

    let mut missing = params(&client_id, &challenge, MCP);
    missing.as_object_mut().unwrap().remove("code_challenge");
    missing
        .as_object_mut()
        .unwrap()
        .remove("code_challenge_method");
    let mut plain = params(&client_id, &challenge, MCP);
    plain["code_challenge_method"] = json!("plain");
    let mut implicit = params(&client_id, &challenge, MCP);
    implicit["response_type"] = json!("token");
    let mut other_resource = params(&client_id, &challenge, "https://elsewhere.example/mcp");
    other_resource["decision"] = json!("allow");
    for (mut p, error) in [
        (missing, "invalid_request"),
        (plain, "invalid_request"),
        (implicit, "unsupported_response_type"),
        (other_resource, "invalid_target"),
    ] {
        p["decision"] = json!("allow");
        let (status, answer) = authorize(&app, &u, p.clone()).await;
        assert_eq!(status, 200, "{p}: {answer}");
        let q = query(&answer["redirect_to"]);
        assert_eq!(q["error"], error, "{p}");
        assert!(!q.contains_key("code"), "{p}");
        assert_eq!(q["state"], "xyz");
    }

    for uri in [
        "http://127.0.0.1:33418/callback/",
        "http://127.0.0.1:33418/callback?x=1",
        "http://127.0.0.1:33419/callback",
        "https://evil.example/callback",
    ] {
        let mut p = params(&client_id, &challenge, MCP);
        p["redirect_uri"] = json!(uri);
        p["decision"] = json!("allow");
        let (status, e) = authorize(&app, &u, p).await;
        assert_eq!(status, 400, "{uri}: {e}");
        assert!(e.get("redirect_to").is_none(), "{e}");
    }
    let mut unknown = params("no-such-client", &challenge, MCP);
    unknown["decision"] = json!("allow");
    assert_eq!(authorize(&app, &u, unknown).await.0, 400);

    let mut deny = params(&client_id, &challenge, MCP);
    deny["decision"] = json!("deny");
    let (_, answer) = authorize(&app, &u, deny).await;
    let q = query(&answer["redirect_to"]);
    assert_eq!(q["error"], "access_denied");
    assert!(!q.contains_key("code"));
}

/// The token endpoint: PKCE is verified, a code works once and a second use revokes what it
/// issued, tokens are bound to their resource, refresh tokens rotate and a reused one ends the
/// family, revocation works, and other grant types are refused.
async fn tokens_are_bound_rotated_and_revoked(app: TestApp) {
    let u = app.sign_up("tokens@example.com").await;
    let client_id = client(&app).await;

    // A wrong verifier is refused.
    let (c, _) = code(&app, &u, &client_id, MCP).await;
    let (wrong, _) = pkce();
    let (status, e) = exchange(&app, &client_id, &c, &wrong).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );

    // A good exchange; the token works at /mcp only.
    let (c, verifier) = code(&app, &u, &client_id, MCP).await;
    let (status, t) = exchange(&app, &client_id, &c, &verifier).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "tasks:read tasks:write");
    let access = t["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("todo_at_"));
    assert_eq!(tool_names(&app, &access).await.len(), every_tool());
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.id),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(status, 401, "an MCP token is not for the REST API");

    // The code again: refused, and what it issued is revoked.
    let (status, e) = exchange(&app, &client_id, &c, &verifier).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    let (status, challenge, _) = mcp(&app, &access, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&app, &client_id, rt).await.0, 400);

    // Rotation: a refresh answers new tokens; presenting the old refresh token again revokes all.
    let (c, verifier) = code(&app, &u, &client_id, MCP).await;
    let (_, first) = exchange(&app, &client_id, &c, &verifier).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&app, &client_id, rt1).await;
    assert_eq!(status, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    let access2 = second["access_token"].as_str().unwrap();
    assert_eq!(tool_names(&app, access2).await.len(), every_tool());
    // Another client cannot use it.
    let other = client(&app).await;
    assert_eq!(refresh(&app, &other, rt2).await.0, 400);
    let (status, e) = refresh(&app, &client_id, rt1).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    let (status, challenge, _) = mcp(&app, access2, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);
    assert_eq!(
        refresh(&app, &client_id, rt2).await.0,
        400,
        "the family is revoked"
    );

    // A token for the REST API works there and not at /mcp.
    let (c, verifier) = code(&app, &u, &client_id, API).await;
    let (_, rest) = exchange(&app, &client_id, &c, &verifier).await;
    let rest_token = rest["access_token"].as_str().unwrap();
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.id),
            Some(rest_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, challenge, _) = mcp(&app, rest_token, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);

    // RFC 7009: revoking the refresh token ends the access token too.
    let (c, verifier) = code(&app, &u, &client_id, MCP).await;
    let (_, t) = exchange(&app, &client_id, &c, &verifier).await;
    let (access, rt) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    let r = app
        .request(Method::POST, "/api/oauth/revoke", None)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("token", rt),
            ("client_id", client_id.as_str()),
            ("token_type_hint", "refresh_token"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, challenge, _) = mcp(&app, access, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);

    // No password, client-credentials or implicit grants.
    for grant in ["password", "client_credentials", "implicit"] {
        let (status, e) = token(&app, &[("grant_type", grant), ("client_id", &client_id)]).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (400, Some("unsupported_grant_type")),
            "{e}"
        );
    }

    // The Connected apps list shows the live grants and disconnecting ends their tokens.
    let (c, verifier) = code(&app, &u, &client_id, MCP).await;
    let (_, t) = exchange(&app, &client_id, &c, &verifier).await;
    let (status, apps) = app.send(&u, Method::GET, "/apps", None).await;
    assert_eq!(status, 200);
    let apps = apps.as_array().unwrap();
    assert_eq!(apps.len(), 2, "the REST grant and this one: {apps:?}");
    assert_eq!(apps[0]["client_name"], "Test client");
    let id = apps[0]["id"].as_str().unwrap();
    let (status, _) = app
        .send(&u, Method::DELETE, &format!("/apps/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, challenge, _) = mcp(
        &app,
        t["access_token"].as_str().unwrap(),
        "tools/list",
        json!({}),
    )
    .await;
    assert_invalid_token(status, &challenge);
}

/// Personal access tokens: shown once, hashed, scoped; a read-only one cannot write through REST
/// or MCP; revocable; they cannot mint tokens.
async fn personal_access_tokens(app: TestApp) {
    let u = app.sign_up("pat@example.com").await;
    let (status, e) = app
        .send(
            &u,
            Method::POST,
            "/tokens",
            Some(json!({"name": "x", "scopes": "admin"})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["scopes"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, e) = app
        .send(
            &u,
            Method::POST,
            "/tokens",
            Some(json!({"name": "", "scopes": "tasks:read"})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["name"].is_string()),
        (422, true),
        "{e}"
    );

    let (status, read) = app
        .send(
            &u,
            Method::POST,
            "/tokens",
            Some(json!({"name": "Reader", "scopes": "tasks:read", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(status, 201, "{read}");
    let reader = read["token"].as_str().unwrap().to_owned();
    assert!(reader.starts_with("todo_pat_"));
    app.create(&u, json!({"title": "Seen by the reader"})).await;

    let (status, tasks) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.id),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(tasks[0]["title"], "Seen by the reader");
    let r = app
        .request(Method::POST, &format!("/api/{}/tasks", u.id), Some(&reader))
        .json(&json!({"title": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let r = app
        .request(Method::POST, &format!("/api/{}/chat", u.id), Some(&reader))
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "chat needs the chat scope");

    // Over MCP: only the reading tools, and a write refused.
    let mut names = tool_names(&app, &reader).await;
    names.sort();
    assert_eq!(names, ["list_lists", "list_reminders", "list_tasks"]);
    let (status, _, body) = mcp(
        &app,
        &reader,
        "tools/call",
        json!({"name": "add_task", "arguments": {"title": "sneaky"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["isError"], true, "{body}");
    let (_, tasks) = app.list(&u, "").await;
    assert_eq!(tasks.as_array().unwrap().len(), 1, "nothing was written");

    // A token cannot manage tokens.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tokens", u.id),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, 403);

    // A writing token writes; the list shows both with their last use, never the token.
    let (_, write) = app
        .send(
            &u,
            Method::POST,
            "/tokens",
            Some(json!({"name": "Writer", "scopes": "tasks:write"})),
        )
        .await;
    let writer = write["token"].as_str().unwrap();
    let r = app
        .request(Method::POST, &format!("/api/{}/tasks", u.id), Some(writer))
        .json(&json!({"title": "Written"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(tool_names(&app, writer).await.len(), every_tool());
    let (_, list) = app.send(&u, Method::GET, "/tokens", None).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|t| t.get("token").is_none()));
    let reader_row = list.iter().find(|t| t["name"] == "Reader").unwrap();
    assert!(reader_row["last_used_at"].is_string(), "{reader_row}");
    assert!(reader_row["expires_at"].is_string(), "{reader_row}");

    // Revoked: refused at once, with the challenge.
    let id = read["id"].as_str().unwrap();
    let (status, _) = app
        .send(&u, Method::DELETE, &format!("/tokens/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.id),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, challenge, _) = mcp(&app, &reader, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);
    let (status, _) = app
        .send(&u, Method::DELETE, &format!("/tokens/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

/// [`crate::on_both_databases`], with the authorization server on (`PUBLIC_URL`).
macro_rules! with_oauth_on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::spawn(crate::support::Db::Sqlite, &[]).await.unwrap()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = super::spawn(crate::support::Db::Postgres, &[]).await else { return };
                super::$name(app).await;
            })*
        }
    };
}

with_oauth_on_both_databases!(
    discovery_from_the_401,
    registration_has_rules,
    authorization_requests_are_checked,
    tokens_are_bound_rotated_and_revoked,
    personal_access_tokens,
);

/// An expired access token is a 401 with the challenge, never a 200 with an error inside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refused_with_the_challenge() {
    let app = spawn(Db::Sqlite, &["--oauth-access-token-ttl-seconds", "1"])
        .await
        .unwrap();
    let u = app.sign_up("expired@example.com").await;
    let client_id = client(&app).await;
    let (c, verifier) = code(&app, &u, &client_id, MCP).await;
    let (_, t) = exchange(&app, &client_id, &c, &verifier).await;
    assert_eq!(t["expires_in"], 1);
    let access = t["access_token"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, challenge, body) = mcp(&app, access, "tools/list", json!({})).await;
    assert_invalid_token(status, &challenge);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    // The refresh token still works and answers a fresh access token.
    let (status, t2) = refresh(&app, &client_id, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{t2}");
}

/// Registration is capped: past the limit new clients are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_capped() {
    let app = spawn(Db::Sqlite, &["--oauth-max-clients", "2"])
        .await
        .unwrap();
    client(&app).await;
    client(&app).await;
    let (status, e) = register(&app, json!({"redirect_uris": [CALLBACK]})).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (429, Some("temporarily_unavailable")),
        "{e}"
    );
}

/// Without PUBLIC_URL there is no authorization server, and /mcp's challenge stays plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_url_oauth_is_off() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let r = app
        .request(Method::GET, "/.well-known/oauth-authorization-server", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, e) = register(&app, json!({"redirect_uris": [CALLBACK]})).await;
    assert_eq!(status, 404, "{e}");
}

/// Runs the official Python SDK's OAuth client (`tests/clients/oauth_client.py`) against the MCP
/// endpoint at `mcp_url`, signing in as `email`; returns its report.
async fn sdk_oauth_client(python: &std::path::Path, mcp_url: &str, email: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/oauth_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            "--url",
            mcp_url,
            "--email",
            email,
            "--password",
            "correct horse battery",
        ])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), out)
        .await
        .expect("the OAuth client finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or("null"))
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        report.get("error").is_none(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

/// What the SDK client must have done: discovered, registered, been let in through the consent
/// page, called tools, refreshed with rotation, seen its revoked token refused with the challenge,
/// and signed in again.
fn assert_went_end_to_end(report: &Value, mcp_url: &str) {
    assert_eq!(report["registered"], true, "{report}");
    assert_eq!(
        report["consent"]["client"], true,
        "the consent page names the client: {report}"
    );
    assert_eq!(
        report["consent"]["host"], true,
        "and its redirect host: {report}"
    );
    assert_eq!(report["scope"], "tasks:read tasks:write");
    assert_eq!(report["expires_in"], 3600);
    assert_eq!(
        report["tools"].as_array().unwrap().len(),
        every_tool(),
        "{report}"
    );
    let calls = report["calls"].as_array().unwrap();
    assert_eq!(calls[0]["is_error"], false, "{report}");
    assert!(calls[1]["text"]
        .as_str()
        .unwrap()
        .contains("Signed in through OAuth"));
    assert_eq!(report["refreshed"], true, "{report}");
    assert_eq!(report["rotated"], true, "{report}");
    assert_eq!(report["revoke_status"], 200);
    assert_eq!(report["after_revoke"]["status"], 401, "{report}");
    let challenge = report["after_revoke"]["www_authenticate"].as_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let url = url::Url::parse(mcp_url).unwrap();
    let metadata = format!(
        "{}/.well-known/oauth-protected-resource{}",
        url.origin().ascii_serialization(),
        url.path()
    );
    assert!(challenge.contains(&metadata), "{challenge}");
    assert_eq!(
        report["authorizations"], 2,
        "signed in again after revocation: {report}"
    );
    assert_eq!(calls.len(), 4, "{report}");
    assert_eq!(calls[3]["is_error"], false, "{report}");
    let resource = url::form_urlencoded::byte_serialize(mcp_url.as_bytes()).collect::<String>();
    assert!(
        report["authorize_url"]
            .as_str()
            .unwrap()
            .contains(&format!("resource={resource}")),
        "the SDK asked for a token bound to the MCP resource: {report}"
    );
}

/// The SDK's OAuth client end to end against `todo serve` (SQLite), with the issuer at its own URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_oauth_client_against_todo_serve() {
    let Some(python) = crate::mcp::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = todo_testkit::free_port();
    let public = format!("http://127.0.0.1:{port}");
    let db = format!("sqlite://{}", dir.path().join("todo.db").display());
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", crate::support::SECRET),
        ("PUBLIC_URL", public.as_str()),
    ];
    let (mut serve, base) =
        crate::process::spawn_role_on(port, &["serve"], &env, dir.path(), "serve").await;
    let app = TestApp::attach(&base);
    app.sign_up("sdk@example.com").await;
    let mcp_url = format!("{base}/mcp");
    let report = sdk_oauth_client(&python, &mcp_url, "sdk@example.com").await;
    assert_went_end_to_end(&report, &mcp_url);
    crate::process::terminate(&serve);
    let _ = serve.wait();
}

/// The split topology on PostgreSQL: `todo frontend` is the issuer (the consent page holds the
/// session; the metadata and token endpoints are forwarded to `todo backend`), and `todo mcp`
/// is a resource server that checks tokens through the shared database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_oauth_client_against_backend_frontend_and_mcp_on_postgres() {
    let Some(python) = crate::mcp::python() else {
        return;
    };
    let Some((db, _)) = crate::support::database(Db::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (frontend_port, mcp_port) = (todo_testkit::free_port(), todo_testkit::free_port());
    let public = format!("http://127.0.0.1:{frontend_port}");
    let mcp_url = format!("http://127.0.0.1:{mcp_port}/mcp");
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", crate::support::SECRET),
        ("PUBLIC_URL", public.as_str()),
        ("MCP_RESOURCE_URL", mcp_url.as_str()),
        ("AUTO_MIGRATE", "true"),
    ];
    use crate::process::{spawn_role, spawn_role_on, terminate};

    let (mut backend, backend_url) = spawn_role(&["backend"], &env, dir.path(), "backend").await;
    let (mut mcp, _) = spawn_role_on(mcp_port, &["mcp"], &env, dir.path(), "mcp").await;
    let mut frontend = crate::process::todo(dir.path());
    frontend
        .args([
            "frontend",
            "--host",
            "127.0.0.1",
            "--port",
            &frontend_port.to_string(),
        ])
        .env("BACKEND_URL", &backend_url);
    let mut frontend = crate::process::spawn(frontend, dir.path());
    todo_testkit::wait_for(
        &format!("{public}/api/health"),
        200,
        Duration::from_secs(20),
    )
    .await;
    TestApp::attach(&backend_url)
        .sign_up("split@example.com")
        .await;
    let report = sdk_oauth_client(&python, &mcp_url, "split@example.com").await;
    assert_went_end_to_end(&report, &mcp_url);
    let log = std::fs::read_to_string(dir.path().join("mcp.log")).unwrap();
    assert!(
        log.contains(r#""route":"/mcp""#),
        "the tools ran in todo mcp"
    );
    for child in [&backend, &mcp, &frontend] {
        terminate(child);
    }
    let _ = (backend.wait(), mcp.wait(), frontend.wait());
}

/// A database filled through the previous schema (before 20261201000009_oauth) migrates, and its
/// users' data is reachable with a personal access token created afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_schema_migrates_with_its_data() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some((url, dir)) = crate::support::database(db).await else {
            continue;
        };
        let migrator = crate::support::migrations_before(db, "20261201000009").await;
        let list = "INSERT INTO lists (user_id, name, name_key, position, archived, inbox, created_at, updated_at) \
                    VALUES ('old-user', 'Inbox', 'inbox', 0, FALSE, TRUE, 1, 1)";
        let task = "INSERT INTO tasks (user_id, list_id, title, completed, priority, tags, created_at, updated_at, \
                    title_key, search_text) SELECT 'old-user', id, 'From before', FALSE, 2, '[]', 1, 1, \
                    'from before', 'from before' FROM lists WHERE user_id = 'old-user'";
        macro_rules! fill {
            ($pool:expr) => {{
                let pool = $pool;
                migrator.run(&pool).await.unwrap();
                sqlx::query(list).execute(&pool).await.unwrap();
                sqlx::query(task).execute(&pool).await.unwrap();
                pool.close().await;
            }};
        }
        match db {
            Db::Sqlite => fill!(sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap()),
            Db::Postgres => fill!(sqlx::PgPool::connect(&url).await.unwrap()),
        }
        if let Some(dir) = &dir {
            use std::os::unix::fs::PermissionsExt;
            for f in std::fs::read_dir(dir.path()).unwrap() {
                let path = f.unwrap().path();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
        }
        let app = TestApp::spawn_on(url, dir, &["--public-url", ISSUER]).await;
        let old = TestUser {
            id: "old-user".into(),
            session: String::new(),
            jwt: crate::support::hs256("old-user", json!({})),
        };
        let (status, created) = app
            .send(
                &old,
                Method::POST,
                "/tokens",
                Some(json!({"name": "cli", "scopes": "tasks:read"})),
            )
            .await;
        assert_eq!(status, 201, "{db:?}: {created}");
        let pat = created["token"].as_str().unwrap();
        let (status, tasks) = app
            .call(Method::GET, "/api/old-user/tasks", Some(pat), None)
            .await;
        assert_eq!(status, 200, "{db:?}: {tasks}");
        assert_eq!(tasks[0]["title"], "From before", "{db:?}");
        let mut names = tool_names(&app, pat).await;
        names.sort();
        assert_eq!(
            names,
            ["list_lists", "list_reminders", "list_tasks"],
            "{db:?}: read-only over MCP too"
        );
    }
}

/// How many tools a token that may write sees: all of them.
fn every_tool() -> usize {
    todo_assistant::tools::catalog().len()
}
