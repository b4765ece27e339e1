//! JWT verification edge cases, against the real server with a real JWKS endpoint served over HTTP.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{hs256, Db, TestApp};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn status_for(app: &TestApp, sub: &str, token: &str) -> u16 {
    app.call(Method::GET, &format!("/api/{sub}/tasks"), Some(token), None)
        .await
        .0
}

#[tokio::test]
async fn hs256_tokens_are_checked_strictly() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    assert_eq!(status_for(&app, "u1", &hs256("u1", json!({}))).await, 200);
    // `id` stands in for a missing `sub`.
    let by_id = jsonwebtoken::encode(
        &Header::default(),
        &json!({"id": "u2", "exp": now() + 60}),
        &EncodingKey::from_secret(crate::support::SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(status_for(&app, "u2", &by_id).await, 200);

    let (status, body) = app
        .call(
            Method::GET,
            "/api/u1/tasks",
            Some(&hs256("u1", json!({"exp": now() - 3600}))),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (401, Some("token expired"))
    );
    let no_exp = jsonwebtoken::encode(
        &Header::default(),
        &json!({"sub": "u1"}),
        &EncodingKey::from_secret(crate::support::SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(status_for(&app, "u1", &no_exp).await, 401);
    let wrong_key = jsonwebtoken::encode(
        &Header::default(),
        &json!({"sub": "u1", "exp": now() + 60}),
        &EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .unwrap();
    assert_eq!(status_for(&app, "u1", &wrong_key).await, 401);
    assert_eq!(
        status_for(&app, "u1", &hs256("u1", json!({"nbf": now() + 3600}))).await,
        401
    );

    // alg "none": a valid payload with the signature stripped.
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": "u1", "exp": now() + 60}).to_string());
    for alg in ["none", "None", "NONE"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
        assert_eq!(
            status_for(&app, "u1", &format!("{header}.{payload}.")).await,
            401,
            "{alg}"
        );
    }
    // Tampering with the payload of a valid token breaks it.
    let good = hs256("u1", json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(json!({"sub": "u1", "exp": now() + 99999}).to_string()),
        parts[2]
    );
    assert_eq!(status_for(&app, "u1", &forged).await, 401);
    // Asymmetric algorithms need a JWKS, which this server does not have.
    let rs_header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256"}).to_string());
    assert_eq!(
        status_for(&app, "u1", &format!("{rs_header}.{payload}.c2ln")).await,
        401
    );
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let app = TestApp::spawn_with(
        Db::Sqlite,
        &[
            "--better-auth-issuer",
            "https://auth.example",
            "--better-auth-audience",
            "todo-api",
        ],
    )
    .await
    .unwrap();
    let ok = hs256(
        "u1",
        json!({"iss": "https://auth.example", "aud": "todo-api"}),
    );
    assert_eq!(status_for(&app, "u1", &ok).await, 200);
    assert_eq!(
        status_for(
            &app,
            "u1",
            &hs256(
                "u1",
                json!({"iss": "https://evil.example", "aud": "todo-api"})
            )
        )
        .await,
        401
    );
    assert_eq!(
        status_for(&app, "u1", &hs256("u1", json!({"aud": "todo-api"}))).await,
        401,
        "iss is required"
    );
    assert_eq!(
        status_for(
            &app,
            "u1",
            &hs256("u1", json!({"iss": "https://auth.example", "aud": "other"}))
        )
        .await,
        401
    );
    // Tokens the server issues itself carry the configured issuer and audience.
    let u = app.sign_up("iss@example.com").await;
    assert_eq!(status_for(&app, &u.id, &u.jwt).await, 200);
}

struct KeyPair {
    kid: Option<&'static str>,
    signing: SigningKey,
}

impl KeyPair {
    fn new(kid: Option<&'static str>) -> Self {
        KeyPair {
            kid,
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    fn jwk(&self) -> Value {
        let mut jwk = json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes())});
        if let Some(kid) = self.kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    fn sign(&self, sub: &str, kid: Option<&str>) -> String {
        let der = self.signing.to_pkcs8_der().unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            &json!({"sub": sub, "exp": now() + 300}),
            &EncodingKey::from_ed_der(der.as_bytes()),
        )
        .unwrap()
    }
}

/// A stand-in for an external Better Auth server's `/api/auth/jwks`, whose key set the test can swap.
async fn jwks_server(keys: Arc<Mutex<Value>>) -> String {
    let app = axum::Router::new().route(
        "/api/auth/jwks",
        axum::routing::get(move || {
            let keys = keys.clone();
            async move { axum::Json(keys.lock().unwrap().clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn jwks_tokens_verify_with_kidless_keys_and_key_rotation() {
    let kidless = KeyPair::new(None);
    let keys = Arc::new(Mutex::new(json!({"keys": [kidless.jwk()]})));
    let auth_base = jwks_server(keys.clone()).await;
    // The seeds' in-cluster setting: the auth server's base URL, JWKS under /api/auth/jwks.
    let app = TestApp::spawn_with(Db::Sqlite, &["--backend-better-auth-url", &auth_base])
        .await
        .unwrap();

    // A single-key JWKS and a token without `kid` (as Better Auth can issue).
    assert_eq!(
        status_for(&app, "ext-1", &kidless.sign("ext-1", None)).await,
        200
    );
    // HS256 with the shared secret keeps working beside the JWKS.
    assert_eq!(
        status_for(&app, "ext-1", &hs256("ext-1", json!({}))).await,
        200
    );
    // A key that is not in the set fails, with or without kid.
    let stranger = KeyPair::new(Some("k-stranger"));
    assert_eq!(
        status_for(&app, "ext-1", &stranger.sign("ext-1", None)).await,
        401
    );
    assert_eq!(
        status_for(&app, "ext-1", &stranger.sign("ext-1", Some("k-stranger"))).await,
        401
    );
    // Algorithm confusion: an HS256 token keyed with the public key bytes is not accepted.
    let public = kidless.signing.verifying_key().to_bytes();
    let confused = jsonwebtoken::encode(
        &Header::default(),
        &json!({"sub": "ext-1", "exp": now() + 60}),
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    assert_eq!(status_for(&app, "ext-1", &confused).await, 401);

    // Rotation: the issuer publishes two new keys with kids and drops the old one.
    let k1 = KeyPair::new(Some("k1"));
    let k2 = KeyPair::new(Some("k2"));
    *keys.lock().unwrap() = json!({"keys": [k1.jwk(), k2.jwk()]});
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // past the refetch cooldown
    assert_eq!(
        status_for(&app, "ext-2", &k2.sign("ext-2", Some("k2"))).await,
        200,
        "unknown kid triggers a refetch"
    );
    assert_eq!(
        status_for(&app, "ext-2", &k1.sign("ext-2", Some("k1"))).await,
        200
    );
    // With two keys, a kid-less token is ambiguous and refused; a kid naming the wrong key fails.
    assert_eq!(
        status_for(&app, "ext-2", &k1.sign("ext-2", None)).await,
        401
    );
    assert_eq!(
        status_for(&app, "ext-2", &k1.sign("ext-2", Some("k2"))).await,
        401
    );
    // The caller is still only ever the token's subject.
    assert_eq!(
        status_for(&app, "ext-1", &k1.sign("ext-2", Some("k1"))).await,
        403
    );
}

#[tokio::test]
async fn unreachable_jwks_refuses_tokens_but_not_the_server() {
    let dead = format!("http://127.0.0.1:{}/jwks", todo_testkit::free_port());
    let app = TestApp::spawn_with(Db::Sqlite, &["--better-auth-jwks-url", &dead])
        .await
        .unwrap();
    let k = KeyPair::new(Some("k"));
    let (status, body) = app
        .call(
            Method::GET,
            "/api/x/tasks",
            Some(&k.sign("x", Some("k"))),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(status_for(&app, "x", &hs256("x", json!({}))).await, 200);
}

/// RS256 and ES256 keys from a JWKS (fixed test keys in tests/fixtures), each verifying only its own
/// algorithm.
#[tokio::test]
async fn jwks_rs256_and_es256_keys_verify_only_their_algorithm() {
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let rsa_jwk: Value = serde_json::from_slice(&fixture("rs256.jwk.json")).unwrap();
    let ec_jwk: Value = serde_json::from_slice(&fixture("es256.jwk.json")).unwrap();
    let keys = Arc::new(Mutex::new(json!({"keys": [rsa_jwk, ec_jwk]})));
    let base = jwks_server(keys).await;
    let app = TestApp::spawn_with(
        Db::Sqlite,
        &["--better-auth-jwks-url", &format!("{base}/api/auth/jwks")],
    )
    .await
    .unwrap();
    let rsa = EncodingKey::from_rsa_pem(&fixture("rs256.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(&fixture("es256.pem")).unwrap();
    let sign = |alg: Algorithm, kid: &str, key: &EncodingKey| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &json!({"sub": "ext", "exp": now() + 300}), key).unwrap()
    };
    assert_eq!(
        status_for(&app, "ext", &sign(Algorithm::RS256, "rsa-1", &rsa)).await,
        200
    );
    assert_eq!(
        status_for(&app, "ext", &sign(Algorithm::ES256, "ec-1", &ec)).await,
        200
    );
    // A kid naming a key of another type is refused, whatever the signature.
    assert_eq!(
        status_for(&app, "ext", &sign(Algorithm::ES256, "rsa-1", &ec)).await,
        401
    );
    assert_eq!(
        status_for(&app, "ext", &sign(Algorithm::RS256, "ec-1", &rsa)).await,
        401
    );
    // The classic confusion: HS256 keyed with the public key material.
    let n = rsa_jwk["n"].as_str().unwrap().as_bytes();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &json!({"sub": "ext", "exp": now() + 60}),
        &EncodingKey::from_secret(n),
    )
    .unwrap();
    assert_eq!(status_for(&app, "ext", &confused).await, 401);
    // Algorithms outside the allowed set are refused outright.
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some("rsa-1".into());
    let rs512 =
        jsonwebtoken::encode(&header, &json!({"sub": "ext", "exp": now() + 60}), &rsa).unwrap();
    assert_eq!(status_for(&app, "ext", &rs512).await, 401);
}
