//! `/api/{user_id}/notifications`: what the user was told in the app, marking it read, and a live
//! stream of the unread count (server-sent events).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use todo_domain::Notification;
use todo_storage::ChangeKind;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{bearer, Caller, JsonBody, PathParams};
use crate::AppState;

/// Most notifications one page holds.
const MAX_PAGE: u32 = 100;
/// How often a stream looks at the count itself, in case a change went by unseen (a lagging receiver,
/// a replica's listener reconnecting).
const STREAM_RECHECK: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(stream_unread))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// 1–100, default 20.
    limit: Option<u32>,
    /// An id from the previous page: the page continues with older ones.
    before: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Notifications {
    /// Newest first.
    notifications: Vec<Notification>,
    unread: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
struct MarkRead {
    /// These notifications…
    #[serde(default)]
    ids: Option<Vec<i64>>,
    /// …or every one.
    #[serde(default)]
    all: bool,
}

#[derive(Debug, Serialize, ToSchema)]
struct Unread {
    unread: i64,
}

/// The caller's notifications, newest first, and how many are unread.
#[utoipa::path(get, path = "/api/{user_id}/notifications", tag = "notifications", security(("bearer" = [])),
    params(("user_id" = String, Path), Page),
    responses((status = 200, body = Notifications), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Notifications>, ApiError> {
    caller.owns(&user_id)?;
    let Query(page) = page.map_err(|e| ApiError::field("query", &e.body_text()))?;
    let limit = page.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1–100"));
    }
    let (notifications, unread) = state
        .store()
        .notifications(caller.id(), limit, page.before)
        .await?;
    Ok(Json(Notifications {
        notifications,
        unread,
    }))
}

/// Mark notifications read: `{"ids": [..]}` or `{"all": true}`.
#[utoipa::path(post, path = "/api/{user_id}/notifications/read", tag = "notifications", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = MarkRead,
    responses((status = 200, body = Unread), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<MarkRead>,
) -> Result<Json<Unread>, ApiError> {
    caller.owns(&user_id)?;
    let ids = match (body.ids, body.all) {
        (Some(_), true) | (None, false) => {
            return Err(ApiError::field("ids", "give `ids` or `\"all\": true`"))
        }
        (Some(ids), false) if ids.len() > 1000 => {
            return Err(ApiError::field("ids", "at most 1000 at once"))
        }
        (ids, _) => ids,
    };
    let unread = state
        .store()
        .mark_notifications_read(caller.id(), ids.as_deref())
        .await?;
    Ok(Json(Unread { unread }))
}

/// Who reads the stream: the bearer token's user, or without one the session cookie's, because a
/// browser's `EventSource` cannot send a header. Only the count is read, and the cookie is
/// `SameSite=Lax`, so another site's page cannot open the stream as the user.
async fn stream_reader(state: &AppState, parts: &mut Parts) -> Result<String, ApiError> {
    if bearer(parts).is_some() {
        let caller = Caller::from_request_parts(parts, state).await?;
        return Ok(caller.id().to_owned());
    }
    match super::auth::current_session(state, parts).await? {
        Some(session) => Ok(session.user.id),
        None => Err(ApiError::unauthorized("sign in first")),
    }
}

/// Server-sent events: an `unread` event with the count now and whenever it changes. Authorised by
/// a bearer token or the session cookie.
#[utoipa::path(get, path = "/api/{user_id}/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, description = "`text/event-stream` of `unread` events (data: the count)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn stream_unread(
    State(state): State<AppState>,
    PathParams(user_id): PathParams<String>,
    mut parts: Parts,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let user = stream_reader(&state, &mut parts).await?;
    if user != user_id {
        return Err(ApiError::forbidden());
    }
    // Subscribed before the first count, so a change in between is not missed.
    let told = state.store().changes();
    let first = state.store().unread_notifications(&user).await?;
    let events = stream::unfold(
        (state, user, told, None::<i64>, first),
        |(state, user, mut told, sent, mut count)| async move {
            loop {
                if sent != Some(count) {
                    let event = Event::default().event("unread").data(count.to_string());
                    return Some((Ok(event), (state, user, told, Some(count), count)));
                }
                // Wait for the user's notifications to change (here or, on PostgreSQL, on another
                // replica), or recheck now and then in case a change was missed.
                let wait = async {
                    loop {
                        match told.recv().await {
                            Ok(c) if c.user_id == user && c.kind == ChangeKind::Notifications => {
                                return
                            }
                            Ok(_) => continue,
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                            Err(_) => std::future::pending::<()>().await,
                        }
                    }
                };
                let _ = tokio::time::timeout(STREAM_RECHECK, wait).await;
                count = state.store().unread_notifications(&user).await.ok()?;
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
