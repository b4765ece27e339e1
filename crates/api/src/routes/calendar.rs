//! The calendar feed: `/api/{user_id}/calendar-token` makes, shows and revokes the user's secret feed
//! link, and `/calendar/{token}.ics` serves the feed to calendar apps, which send no other credential.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use todo_auth::{hash_session_token, new_session_token};
use todo_transfer::{CalendarLink, CalendarLinkStatus, Feed, FeedKind};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, PathParams};
use crate::AppState;

/// Done tasks stay in the feed this long after they were due.
const DONE_DAYS: i64 = 90;
/// Calendar apps poll; a short private lifetime spares the database and keeps edits prompt.
const CACHE: &str = "private, max-age=300";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(link_status, new_link, revoke_link))
        .routes(routes!(feed))
}

/// Whether the caller has a feed link (the link itself was shown once, when it was made).
#[utoipa::path(get, path = "/api/{user_id}/calendar-token", tag = "calendar", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id")),
    responses((status = 200, body = CalendarLinkStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn link_status(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<CalendarLinkStatus>, ApiError> {
    caller.owns(&user_id)?;
    let created_at = state.store().calendar_token_created(caller.id()).await?;
    Ok(Json(CalendarLinkStatus {
        active: created_at.is_some(),
        created_at,
    }))
}

/// Make a new feed link; the earlier one, if any, stops working. The answer is the only time the
/// link is shown.
#[utoipa::path(post, path = "/api/{user_id}/calendar-token", tag = "calendar", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 201, body = CalendarLink), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn new_link(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    // 256 random bits, URL-safe, stored hashed: the same make as a session token.
    let token = new_session_token();
    let created_at = state
        .store()
        .set_calendar_token(caller.id(), &hash_session_token(&token))
        .await?;
    let url = format!(
        "{}/calendar/{}.ics",
        public_base(&state, &headers),
        token.expose_secret()
    );
    let headers = [(CACHE_CONTROL, "no-store")];
    let link = CalendarLink { url, created_at };
    Ok((StatusCode::CREATED, headers, Json(link)).into_response())
}

/// Revoke the feed link: calendar apps that subscribed to it get 404 from now on.
#[utoipa::path(delete, path = "/api/{user_id}/calendar-token", tag = "calendar", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 204, description = "No link any more (whether or not there was one)"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn revoke_link(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.owns(&user_id)?;
    state.store().revoke_calendar_token(caller.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the feed is made of.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// `todos` (default): VTODO components; `events`: VEVENTs at each due time, for calendar apps that
    /// ignore VTODO (done tasks are left out).
    #[serde(default, rename = "as")]
    #[param(rename = "as")]
    kind: Option<String>,
}

/// The user's tasks with due dates as an iCalendar (RFC 5545) feed, for calendar apps to subscribe to.
/// The token in the path is the credential: an unknown or revoked one is 404, like a missing page.
/// Recurring tasks carry their RRULE in the user's time zone (with its VTIMEZONE); done tasks due in
/// the last 90 days stay as COMPLETED. Cacheable: a strong ETag, `If-None-Match` answers 304.
#[utoipa::path(get, path = "/calendar/{file}", tag = "calendar",
    params(("file" = String, Path, description = "`<token>.ics`"), FeedQuery),
    responses((status = 200, description = "The feed", content_type = "text/calendar"),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, body = ErrorBody), (status = 422, description = "`as` is not todos or events", body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn feed(
    State(state): State<AppState>,
    PathParams(file): PathParams<String>,
    query: Result<Query<FeedQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("calendar");
    let kind = match query.map(|Query(q)| q.kind).unwrap_or_default().as_deref() {
        None | Some("todos") => FeedKind::Todos,
        Some("events") => FeedKind::Events,
        Some(_) => return Err(ApiError::field("as", "must be todos or events")),
    };
    let token = file.strip_suffix(".ics").ok_or_else(not_found)?;
    // Only a token of the shape this server makes is looked up.
    if token.len() != 43 || URL_SAFE_NO_PAD.decode(token).is_err() {
        return Err(not_found());
    }
    let hash = hash_session_token(&SecretString::from(token));
    let store = state.store();
    let user_id = store.calendar_owner(&hash).await?.ok_or_else(not_found)?;
    let settings = store.settings(&user_id).await?;
    let tz = settings.zone();
    let now = Utc::now();
    let tasks = store
        .dated_tasks(&user_id, now - chrono::Duration::days(DONE_DAYS))
        .await?;
    let lists: HashMap<i64, String> = store
        .lists(&user_id)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let base = public_base(&state, &headers);
    let domain = url::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "todo".to_owned());
    let body = Feed {
        kind,
        tasks: &tasks,
        lists: &lists,
        tz,
        uid_domain: &domain,
        now,
    }
    .render();
    let etag = format!(
        "\"{}\"",
        URL_SAFE_NO_PAD.encode(Sha256::digest(body.as_bytes()))
    );
    let etag = HeaderValue::from_str(&etag).expect("base64 is a valid header value");
    let cache = HeaderValue::from_static(CACHE);
    if matches_etag(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag), (CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let content_type = HeaderValue::from_static("text/calendar; charset=utf-8");
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (ETAG, etag),
            (CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response())
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// Where the server is reached from outside: `PUBLIC_URL` (or the UI's origin), else the host the
/// request was sent to (`X-Forwarded-Host`, as the web UI and proxies pass it on, or `Host`). A claimed
/// host shapes only the answer to its own request (a link, the feed's UIDs), so it needs no trust.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    let settings = state.settings();
    if let Some(url) = &settings.public_url {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split(',').next())
            .map(str::trim)
            .filter(|h| !h.is_empty())
    };
    let host = header("x-forwarded-host")
        .or_else(|| header(HOST.as_str()))
        .unwrap_or("localhost");
    let scheme = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        None if settings.secure_cookies => "https",
        None => "http",
    };
    format!("{scheme}://{host}")
}
