//! Sign-up, sign-in, sessions and the JWT exchange, on both databases.

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::TestApp;

on_both_databases!(session_flow, sign_up_and_sign_in_errors);

async fn session_flow(app: TestApp) {
    let r = app
        .client
        .post(app.url("/api/auth/sign-up/email"))
        .json(&json!({"email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("better-auth.session_token=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (
            body["user"]["email"].as_str(),
            body["user"]["name"].as_str()
        ),
        (Some("ada@example.com"), Some("Ada"))
    );
    assert!(body["user"].get("password_hash").is_none() && !body.to_string().contains("argon2"));
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();

    // The cookie alone carries the session.
    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let session_by_cookie = || async {
        let r = app
            .client
            .get(app.url("/api/auth/get-session"))
            .header("cookie", &session_cookie);
        r.send().await.unwrap().json::<Value>().await.unwrap()
    };
    let s = session_by_cookie().await;
    assert_eq!(s["user"]["id"], user_id.as_str());
    assert!(s["session"]["expiresAt"].is_string());

    // Sign in again (any case of the email) and exchange the session for a JWT that works on the API.
    let (status, signed) = app
        .call(
            Method::POST,
            "/api/auth/sign-in/email",
            None,
            Some(json!({"email": "ADA@example.COM", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, 200);
    let session = signed["token"].as_str().unwrap().to_owned();
    let (status, jwt) = app
        .call(Method::GET, "/api/auth/token", Some(&session), None)
        .await;
    assert_eq!(status, 200);
    let jwt = jwt["token"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{user_id}/tasks"),
            Some(&jwt),
            Some(json!({"title": "from jwt"})),
        )
        .await;
    assert_eq!(status, 201);

    let (_, keys) = app.call(Method::GET, "/api/auth/jwks", None, None).await;
    assert_eq!(keys, json!({"keys": []}));

    // Sign-out ends only that session.
    let (status, out) = app
        .call(Method::POST, "/api/auth/sign-out", Some(&session), None)
        .await;
    assert_eq!((status, out), (200, json!({"success": true})));
    assert_eq!(
        app.call(Method::GET, "/api/auth/get-session", Some(&session), None)
            .await,
        (200, Value::Null)
    );
    assert_eq!(
        app.call(Method::GET, "/api/auth/token", Some(&session), None)
            .await
            .0,
        401
    );
    assert_eq!(
        session_by_cookie().await["user"]["id"],
        user_id.as_str(),
        "the first session lives on"
    );
}

async fn sign_up_and_sign_in_errors(app: TestApp) {
    let up = |body: Value| app.call(Method::POST, "/api/auth/sign-up/email", None, Some(body));
    let (status, e) = up(json!({"email": "not-an-email", "password": "short"})).await;
    assert_eq!(status, 422);
    assert!(
        e["error"]["fields"]["email"].is_string() && e["error"]["fields"]["password"].is_string(),
        "{e}"
    );
    let (status, e) = up(json!({"password": "long enough password"})).await;
    assert_eq!(
        (status, e["error"]["fields"]["email"].is_string()),
        (422, true),
        "{e}"
    );

    assert_eq!(
        up(json!({"email": "dup@example.com", "password": "long enough password"}))
            .await
            .0,
        200
    );
    let (status, e) =
        up(json!({"email": " DUP@example.com", "password": "another password"})).await;
    assert_eq!(
        (status, e["error"]["fields"]["email"].is_string()),
        (409, true),
        "{e}"
    );

    let sign_in = |email: &str, password: &str| {
        app.call(
            Method::POST,
            "/api/auth/sign-in/email",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    let (status, wrong_pw) = sign_in("dup@example.com", "wrong password").await;
    let (status2, no_user) = sign_in("nobody@example.com", "long enough password").await;
    assert_eq!((status, status2), (401, 401));
    assert_eq!(
        wrong_pw, no_user,
        "the answer does not reveal whether the account exists"
    );
    let (status, nul) = sign_in("dup\u{0}@example.com", "long enough password").await;
    assert_eq!((status, nul), (401, no_user.clone()));
    let (status, e) = up(
        json!({"email": "nul@example.com", "password": "long enough password", "name": "a\u{0}"}),
    )
    .await;
    assert_eq!(
        (status, e["error"]["fields"]["name"].is_string()),
        (422, true),
        "{e}"
    );

    assert_eq!(
        app.call(Method::GET, "/api/auth/get-session", Some("forged"), None)
            .await,
        (200, Value::Null)
    );
    assert_eq!(
        app.call(Method::GET, "/api/auth/token", None, None).await.0,
        401
    );
}
