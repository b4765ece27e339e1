//! `/api/{user_id}/tokens` (personal access tokens) and `/api/{user_id}/apps` (the OAuth apps the
//! user let in). Only a signed-in person manages them: a token cannot mint or list tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use todo_auth::{hash_session_token, new_bearer_token, new_id, Credential, Scopes};
use todo_storage::{ConnectedApp, NewToken, PersonalToken};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody, PathParams};
use crate::routes::oauth::PERSONAL_PREFIX;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_apps))
        .routes(routes!(revoke_app))
}

/// Most personal tokens one user keeps.
const MAX_TOKENS: usize = 50;
/// The longest a personal token may live.
const MAX_DAYS: u32 = 3660;

/// 403 unless the caller signed in as a person (a session's JWT, or an external auth server's).
fn person(caller: &Caller, user_id: &str) -> Result<(), ApiError> {
    caller.owns(user_id)?;
    if caller.identity.credential != Credential::Jwt {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "tokens and apps are managed by a signed-in person, not with a token",
        ));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, 1–100 characters.
    name: String,
    /// Space-separated: `tasks:read`, `tasks:write` (includes reading), `chat`.
    scopes: String,
    /// Days until it expires (1–3660); none for a token that does not expire.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    id: String,
    name: String,
    scopes: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<PersonalToken> for TokenView {
    fn from(t: PersonalToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    info: TokenView,
    /// The token itself: shown this once, only its hash is kept.
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppView {
    id: String,
    client_name: String,
    scopes: String,
    resource: String,
    created_at: DateTime<Utc>,
}

impl From<ConnectedApp> for AppView {
    fn from(a: ConnectedApp) -> Self {
        AppView {
            id: a.grant_id,
            client_name: a.client_name,
            scopes: a.scopes,
            resource: a.resource,
            created_at: a.created_at,
        }
    }
}

/// The caller's personal access tokens (not the tokens themselves), newest first.
#[utoipa::path(get, path = "/api/{user_id}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    person(&caller, &user_id)?;
    let tokens = state.store().personal_tokens(caller.id()).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Create a personal access token; the answer holds the token, shown only this once.
#[utoipa::path(post, path = "/api/{user_id}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Too many tokens", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<CreateToken>,
) -> Result<Response, ApiError> {
    person(&caller, &user_id)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::field("name", "must be 1–100 characters"));
    }
    let scopes = Scopes::parse(&body.scopes).map_err(|e| ApiError::field("scopes", &e))?;
    if scopes.is_empty() {
        return Err(ApiError::field("scopes", "must name at least one scope"));
    }
    let expires_at = match body.expires_in_days {
        None => None,
        Some(d) if (1..=MAX_DAYS).contains(&d) => Some(Utc::now() + chrono::Days::new(d.into())),
        Some(_) => {
            return Err(ApiError::field(
                "expires_in_days",
                &format!("must be 1–{MAX_DAYS}"),
            ))
        }
    };
    if state.store().personal_tokens(caller.id()).await?.len() >= MAX_TOKENS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_tokens",
            format!("you have {MAX_TOKENS} tokens; revoke one first"),
        ));
    }
    let token: SecretString = new_bearer_token(PERSONAL_PREFIX);
    let (id, hash) = (new_id(), hash_session_token(&token));
    let stored = state
        .store()
        .create_personal_token(
            caller.id(),
            name,
            &scopes.to_string(),
            &NewToken {
                id: &id,
                hash: &hash,
                expires_at,
            },
        )
        .await?;
    let created = CreatedToken {
        info: stored.into(),
        token: token.expose_secret().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Revoke a personal access token; it stops working at once.
#[utoipa::path(delete, path = "/api/{user_id}/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    person(&caller, &user_id)?;
    if state
        .store()
        .revoke_personal_token(caller.id(), &id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token"))
    }
}

/// The apps the caller let in through OAuth, newest first.
#[utoipa::path(get, path = "/api/{user_id}/apps", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = [AppView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_apps(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Vec<AppView>>, ApiError> {
    person(&caller, &user_id)?;
    let apps = state.store().connected_apps(caller.id()).await?;
    Ok(Json(apps.into_iter().map(AppView::from).collect()))
}

/// Disconnect an app: every token it holds stops working at once.
#[utoipa::path(delete, path = "/api/{user_id}/apps/{id}", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn revoke_app(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    person(&caller, &user_id)?;
    if state.store().revoke_grant(caller.id(), &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("app"))
    }
}
