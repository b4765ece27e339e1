use axum::extract::State;
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use todo_auth::{
    hash_password, hash_session_token, new_id, new_session_token, origin_is_host, session_cookie,
    verify_password,
};
use todo_domain::{SignIn, SignUp, User};
use todo_storage::StorageError;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{bearer, JsonBody};
use crate::{throttle, AppState};

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
async fn start_session(state: &AppState, user: User, parts: &Parts) -> Result<Response, ApiError> {
    let token = new_session_token();
    let ttl = state.settings().session_ttl;
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(|s| s.chars().take(500).collect::<String>());
    let ip = state.settings().trusted_proxies.client_of(parts);
    let session_id = new_id();
    state
        .store()
        .create_session(
            &session_id,
            &user.id,
            &hash_session_token(&token),
            expires_at,
            (!ip.is_unspecified()).then(|| ip.to_string()).as_deref(),
            user_agent.as_deref(),
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
    let secure = state.settings().secure_cookies;
    let name = session_cookie(secure);
    let secure = if secure { "; Secure" } else { "" };
    let c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&c).expect("cookie is ASCII")
}

/// Where a request's session token came from.
enum SessionToken {
    Bearer(SecretString),
    /// A cookie, which a browser attaches to requests other sites make too.
    Cookie(SecretString),
}

impl SessionToken {
    fn secret(&self) -> &SecretString {
        match self {
            SessionToken::Bearer(t) | SessionToken::Cookie(t) => t,
        }
    }
}

/// The session token from `Authorization: Bearer` or the cookie.
fn session_token(state: &AppState, parts: &Parts) -> Option<SessionToken> {
    if let Some(t) = bearer(parts) {
        return Some(SessionToken::Bearer(t.into()));
    }
    let name = session_cookie(state.settings().secure_cookies);
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| SessionToken::Cookie(v.into()))
        })
}

pub(crate) async fn current_session(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<todo_storage::SessionUser>, ApiError> {
    let Some(token) = session_token(state, parts) else {
        return Ok(None);
    };
    Ok(state
        .store()
        .session_user(&hash_session_token(token.secret()))
        .await?)
}

/// Register with email and password; signs the new user in.
#[utoipa::path(post, path = "/api/auth/sign-up/email", tag = "auth", request_body = SignUp,
    responses((status = 200, body = SignedIn, description = "Signed up and in; also sets the session cookie"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "Email already registered"), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "Too many attempts; see Retry-After"), (status = 503, body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<SignUp>,
) -> Result<Response, ApiError> {
    let _attempt = admit(&state, &parts)?;
    let creds = body.validate()?;
    refuse_locked(&state, &creds.email).await?;
    let password = body.password;
    let hash = state
        .password_work(move || hash_password(&password))
        .await?;
    let id = new_id();
    let user = match state.store().create_user(&id, &creds, &hash).await {
        Err(StorageError::Conflict) => {
            // Probing which emails are registered counts against the account like a wrong password.
            record_failure(&state, &creds.email).await?;
            return Err(ApiError {
                fields: [("email".into(), "is already registered".into())].into(),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "an account with this email already exists",
                )
            });
        }
        other => other?,
    };
    start_session(&state, user, &parts).await
}

/// 429 when the client's address has too many sign-in and sign-up attempts running, or has used up
/// its attempts for now; otherwise the attempt, held until the answer.
pub(crate) fn admit(state: &AppState, parts: &Parts) -> Result<throttle::Running, ApiError> {
    let client = state.settings().trusted_proxies.client_of(parts);
    state.throttle().admit(client)
}

/// 429 while `account` is locked after failed sign-ins; what is known of its failures otherwise.
async fn refuse_locked(
    state: &AppState,
    account: &str,
) -> Result<Option<todo_storage::FailedSignIns>, ApiError> {
    let failed = state.store().failed_sign_ins(account).await?;
    match failed {
        Some(f) if f.locked_until > Utc::now() => Err(throttle::account_locked(f.locked_until)),
        other => Ok(other),
    }
}

async fn record_failure(state: &AppState, account: &str) -> Result<(), ApiError> {
    let limits = state.throttle().limits().clone();
    state
        .store()
        .record_sign_in_failure(account, move |n| limits.lock_after(n))
        .await?;
    Ok(())
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/auth/sign-in/email", tag = "auth", request_body = SignIn,
    responses((status = 200, body = SignedIn, description = "Signed in; also sets the session cookie"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "Too many attempts; see Retry-After"), (status = 503, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let _attempt = admit(&state, &parts)?;
    let email = body.email();
    let failed = match &email {
        Some(email) => refuse_locked(&state, email).await?,
        None => None,
    };
    let found = match &email {
        Some(email) => state.store().user_by_email(email).await?,
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
    match (user.filter(|_| ok), email) {
        (Some(user), Some(email)) => {
            if failed.is_some() {
                state.store().clear_sign_in_failures(&email).await?;
            }
            start_session(&state, user, &parts).await
        }
        (_, email) => {
            if let Some(email) = email {
                record_failure(&state, &email).await?;
            }
            Err(ApiError::unauthorized("invalid email or password"))
        }
    }
}

/// End the current session. With the cookie (not a bearer token), only from this site's own pages
/// or an allowed origin: another site cannot sign a user out.
#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth",
    responses((status = 200, description = "`{\"success\": true}`; clears the cookie"), (status = 403, body = ErrorBody)))]
async fn sign_out(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    let token = session_token(&state, &parts);
    if matches!(token, Some(SessionToken::Cookie(_))) && !same_origin(&state, &parts) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "sign-out with the session cookie must come from this site (Origin)",
        ));
    }
    if let Some(token) = token {
        let ended = state
            .store()
            .delete_session(&hash_session_token(token.secret()))
            .await?;
        if let Some(sid) = ended {
            state.live_sessions().ended(&sid);
        }
    }
    Ok((
        [(SET_COOKIE, cookie(&state, "", 0))],
        Json(json!({"success": true})),
    )
        .into_response())
}

/// Whether a browser request comes from this host or an allowed origin. Browsers send `Origin` on
/// every POST; a client that sends none is not a browser another site could drive.
fn same_origin(state: &AppState, parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| origin_is_host(origin, h))
        || state.settings().cors_origins.iter().any(|o| o == origin)
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
        token: state
            .auth()
            .issue(&u.id, &session.session_id, &u.email, &u.name),
    }))
}

/// Public signing keys. Tokens are HS256 (a shared secret), so the set is empty.
#[utoipa::path(get, path = "/api/auth/jwks", tag = "auth", responses((status = 200, description = "A JSON Web Key Set")))]
async fn jwks() -> Json<serde_json::Value> {
    Json(json!({ "keys": [] }))
}
