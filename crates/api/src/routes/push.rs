//! `/api/{user_id}/push/…`: the server's VAPID public key and the user's Web Push subscriptions (the
//! browsers and installed apps that receive their reminders).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use todo_domain::{PushEndpoint, PushRenewalInput, PushSubscription, PushSubscriptionInput};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody, PathParams};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public_key))
        .routes(routes!(list_subscriptions, subscribe, unsubscribe))
        .routes(routes!(renew))
}

#[derive(Debug, Serialize, ToSchema)]
struct PublicKey {
    /// The VAPID public key (an uncompressed P-256 point, base64url): the `applicationServerKey`
    /// of `pushManager.subscribe`.
    public_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct Subscriptions {
    subscriptions: Vec<PushSubscription>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Renewed {
    subscription: PushSubscription,
    /// Whether the caller's subscription at `old_endpoint` was removed (`false` when there was none:
    /// already expired, or never the caller's).
    replaced: bool,
}

/// The key browsers subscribe with.
#[utoipa::path(get, path = "/api/{user_id}/push/key", tag = "push", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = PublicKey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn public_key(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<PublicKey>, ApiError> {
    caller.owns(&user_id)?;
    let key = state.push().vapid.key().await.map_err(|e| {
        tracing::warn!(error = %e, "VAPID key unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the push key is not available yet; try again shortly",
        )
    })?;
    Ok(Json(PublicKey {
        public_key: key.public_key(),
    }))
}

/// The devices that receive the caller's push notifications.
#[utoipa::path(get, path = "/api/{user_id}/push/subscriptions", tag = "push", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = Subscriptions), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Subscriptions>, ApiError> {
    caller.owns(&user_id)?;
    let subscriptions = state.store().push_subscriptions(caller.id()).await?;
    Ok(Json(Subscriptions { subscriptions }))
}

/// Store the browser's `PushSubscription` (its JSON): 201 when new, 200 when the endpoint was known.
#[utoipa::path(post, path = "/api/{user_id}/push/subscriptions", tag = "push", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = PushSubscriptionInput,
    responses((status = 201, body = PushSubscription), (status = 200, body = PushSubscription),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<PushSubscriptionInput>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let subscription = body.validate(state.push().allow_insecure)?;
    let (saved, created) = state
        .store()
        .save_push_subscription(caller.id(), &subscription)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)).into_response())
}

/// Stop sending to a device: `{"endpoint": "…"}`. 204, or 404 when it was not subscribed.
#[utoipa::path(delete, path = "/api/{user_id}/push/subscriptions", tag = "push", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = PushEndpoint,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<PushEndpoint>,
) -> Result<StatusCode, ApiError> {
    caller.owns(&user_id)?;
    let endpoint = body.endpoint.trim();
    if endpoint.is_empty() {
        return Err(ApiError::field("endpoint", "must not be empty"));
    }
    if state
        .store()
        .delete_push_subscription(caller.id(), endpoint)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("push subscription"))
    }
}

/// The browser replaced a subscription (`pushsubscriptionchange`): `{"old_endpoint", "subscription"}`.
/// In one step the caller's subscription at `old_endpoint` is removed (another user's is left alone)
/// and the new one stored, as `POST …/push/subscriptions` stores it.
#[utoipa::path(post, path = "/api/{user_id}/push/subscriptions/renew", tag = "push", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = PushRenewalInput,
    responses((status = 200, body = Renewed), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn renew(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<PushRenewalInput>,
) -> Result<Json<Renewed>, ApiError> {
    caller.owns(&user_id)?;
    let renewal = body.validate(state.push().allow_insecure)?;
    let (subscription, replaced) = state
        .store()
        .renew_push_subscription(
            caller.id(),
            renewal.old_endpoint.as_deref(),
            &renewal.subscription,
        )
        .await?;
    Ok(Json(Renewed {
        subscription,
        replaced,
    }))
}
