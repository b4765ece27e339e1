//! `/api/{user_id}/webhooks`: the caller's webhook endpoints, their delivery log, and a test event.
//! Sending is the scheduler's (crates/notify); these only register, list and queue.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use todo_domain::{CreateWebhook, Webhook, MAX_WEBHOOKS};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody, PathParams};
use crate::AppState;

/// Random bytes in a signing secret (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 32;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(test_webhook))
}

/// A new webhook, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
struct Created {
    #[serde(flatten)]
    webhook: Webhook,
    /// `whsec_` and the base64 of the key that signs every delivery (HMAC-SHA256, Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=")]
    secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct Queued {
    /// The `webhook-id` the test message is sent with.
    message_id: String,
}

fn webhook_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::field("id", "must be a webhook id"))
}

fn new_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The caller's webhooks with their most recent deliveries and attempts (never their secrets).
#[utoipa::path(get, path = "/api/{user_id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = [Webhook]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    caller.owns(&user_id)?;
    Ok(Json(state.store().webhooks(caller.id()).await?))
}

/// Register a webhook for some events; the answer carries its signing secret, shown only here.
#[utoipa::path(post, path = "/api/{user_id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = CreateWebhook,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid URL or events, or the user has 10 webhooks", body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<CreateWebhook>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let new = body.validate(state.settings().webhook_allow_private)?;
    let secret = new_secret();
    let Some(webhook) = state
        .store()
        .create_webhook(caller.id(), &new, &secret)
        .await?
    else {
        return Err(ApiError::field(
            "url",
            &format!("at most {MAX_WEBHOOKS} webhooks; delete one first"),
        ));
    };
    Ok((StatusCode::CREATED, Json(Created { webhook, secret })).into_response())
}

/// Delete a webhook; messages not yet sent to it are dropped.
#[utoipa::path(delete, path = "/api/{user_id}/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.owns(&user_id)?;
    if state
        .store()
        .delete_webhook(caller.id(), webhook_id(&id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("webhook"))
    }
}

/// Send a `webhook.test` event to the webhook now (through the outbox, signed and retried like any other).
#[utoipa::path(post, path = "/api/{user_id}/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)),
    responses((status = 202, body = Queued), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn test_webhook(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let queued = state
        .store()
        .queue_test_event(caller.id(), webhook_id(&id)?)
        .await?;
    match queued {
        Some(message_id) => Ok((StatusCode::ACCEPTED, Json(Queued { message_id })).into_response()),
        None => Err(ApiError::not_found("webhook")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use todo_domain::Event;

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let key = STANDARD.decode(a.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), SECRET_BYTES);
        // The event a test sends exists and is not one users subscribe to.
        assert!(!Event::ALL.contains(&Event::WebhookTest));
    }
}
