use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use todo_auth::{
    hash_password, hash_session_token, new_id, new_session_token, verify_password, SESSION_COOKIE,
};
use todo_domain::{SignIn, SignUp, User};
use todo_storage::StorageError;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{bearer, JsonBody};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(get_session))
        .routes(routes!(token))
        .routes(routes!(jwks))
}

#[derive(Serialize, ToSchema)]
struct SignedIn {
    /// Session token: send as `Authorization: Bearer …` to the `/api/auth/*` routes, or use the cookie.
    token: String,
    user: User,
}

#[derive(Serialize, ToSchema)]
struct SessionInfo {
    session: SessionMeta,
    user: User,
}

#[derive(Serialize, ToSchema)]
struct SessionMeta {
    #[serde(rename = "userId")]
    user_id: String,
    #[serde(rename = "expiresAt")]
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
struct Jwt {
    /// A short-lived HS256 JWT whose `sub` is the user id, for the task API.
    token: String,
}

/// Creates a session for `user` and answers with its token and cookie.
async fn start_session(
    state: &AppState,
    user: User,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let token = new_session_token();
    let ttl = state.settings().session_ttl;
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(|s| s.chars().take(500).collect::<String>())
    };
    let ip =
        header("x-forwarded-for").and_then(|v| v.split(',').next().map(|s| s.trim().to_owned()));
    let session_id = new_id();
    state
        .store()
        .create_session(
            &session_id,
            &user.id,
            &hash_session_token(&token),
            expires_at,
            ip.as_deref(),
            header(USER_AGENT.as_str()).as_deref(),
        )
        .await?;
    // The one place the token leaves the server: to the client that signed in.
    let token = token.expose_secret();
    let cookie = cookie(state, token, ttl.as_secs());
    let body = SignedIn {
        token: token.to_owned(),
        user,
    };
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.settings().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&c).expect("cookie is ASCII")
}

/// The session token from the cookie or `Authorization: Bearer`.
fn session_token(parts: &Parts) -> Option<SecretString> {
    if let Some(t) = bearer(parts) {
        return Some(t.into());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == SESSION_COOKIE && !v.is_empty()).then(|| v.into())
        })
}

async fn current_session(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<todo_storage::SessionUser>, ApiError> {
    let Some(token) = session_token(parts) else {
        return Ok(None);
    };
    Ok(state
        .store()
        .session_user(&hash_session_token(&token))
        .await?)
}

/// Register with email and password; signs the new user in.
#[utoipa::path(post, path = "/api/auth/sign-up/email", tag = "auth", request_body = SignUp,
    responses((status = 200, body = SignedIn, description = "Signed up and in; also sets the session cookie"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "Email already registered"), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignUp>,
) -> Result<Response, ApiError> {
    let creds = body.validate()?;
    let password = body.password;
    let hash = state
        .password_work(move || hash_password(&password))
        .await?;
    let id = new_id();
    let user = match state.store().create_user(&id, &creds, &hash).await {
        Err(StorageError::Conflict) => {
            return Err(ApiError {
                fields: [("email".into(), "is already registered".into())].into(),
                ..ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "conflict",
                    "an account with this email already exists",
                )
            })
        }
        other => other?,
    };
    start_session(&state, user, &headers).await
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/auth/sign-in/email", tag = "auth", request_body = SignIn,
    responses((status = 200, body = SignedIn, description = "Signed in; also sets the session cookie"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let found = match body.email() {
        Some(email) => state.store().user_by_email(&email).await?,
        None => None,
    };
    let (user, stored) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, None),
    };
    let password = body.password;
    let ok = state
        .password_work(move || verify_password(&password, stored.as_deref()))
        .await?;
    match user.filter(|_| ok) {
        Some(user) => start_session(&state, user, &headers).await,
        None => Err(ApiError::unauthorized("invalid email or password")),
    }
}

/// End the current session.
#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth",
    responses((status = 200, description = "`{\"success\": true}`; clears the cookie")))]
async fn sign_out(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&parts) {
        state
            .store()
            .delete_session(&hash_session_token(&token))
            .await?;
    }
    Ok((
        [(SET_COOKIE, cookie(&state, "", 0))],
        Json(json!({"success": true})),
    )
        .into_response())
}

/// The current session and its user, or `null` without one (as Better Auth answers).
#[utoipa::path(get, path = "/api/auth/get-session", tag = "auth",
    responses((status = 200, body = Option<SessionInfo>)))]
async fn get_session(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<Json<Option<SessionInfo>>, ApiError> {
    let info = current_session(&state, &parts).await?.map(|s| SessionInfo {
        session: SessionMeta {
            user_id: s.user.id.clone(),
            expires_at: s.expires_at,
        },
        user: s.user,
    });
    Ok(Json(info))
}

/// Exchange the session for a short-lived JWT for the task API.
#[utoipa::path(get, path = "/api/auth/token", tag = "auth",
    responses((status = 200, body = Jwt), (status = 401, body = ErrorBody)))]
async fn token(State(state): State<AppState>, parts: Parts) -> Result<Json<Jwt>, ApiError> {
    let session = current_session(&state, &parts)
        .await?
        .ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let u = session.user;
    Ok(Json(Jwt {
        token: state.auth().issue(&u.id, &u.email, &u.name),
    }))
}

/// Public signing keys. Tokens are HS256 (a shared secret), so the set is empty.
#[utoipa::path(get, path = "/api/auth/jwks", tag = "auth", responses((status = 200, description = "A JSON Web Key Set")))]
async fn jwks() -> Json<serde_json::Value> {
    Json(json!({ "keys": [] }))
}
