//! The installable app and Web Push on this device: the service worker (`/sw.js`, which shows pushed
//! reminders and opens their task), the web app manifest, and `/settings/push`, where a browser
//! subscribes or unsubscribes. Subscribing needs JavaScript (the browser makes the subscription); the
//! page says so without it, and everything else in the app keeps working.

use std::sync::LazyLock;

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::assets;
use crate::auth::SignedIn;
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::Web;

const PAGE: &str = "/settings/push";

/// The pages and calls under `/settings/push` (behind the CSRF check).
pub fn routes() -> Router<Web> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/push/subscription", post(subscribe))
        .route("/settings/push/unsubscribe", post(unsubscribe))
        .route("/settings/push/renew", get(renewal).post(renew))
}

/// The service worker, with the icon's hashed URL filled in.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    include_str!("../assets/sw.js").replace("__ICON__", assets::url("icon-192.png"))
});

/// `/sw.js`: served from the root so its scope is the whole app. Browsers check it for updates on
/// navigation; `no-cache` makes them revalidate rather than keep an old copy for a day.
pub async fn service_worker() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER.as_str(),
    )
        .into_response()
}

/// `/manifest.webmanifest`: what a phone needs to put the app on its home screen.
pub async fn manifest() -> Response {
    let body = json!({
        "name": "Todo",
        "short_name": "Todo",
        "description": "Your tasks, and an assistant you can talk to.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#4f46e5",
        "icons": [
            {"src": assets::url("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": assets::url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": assets::url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    });
    (
        [
            (CONTENT_TYPE, "application/manifest+json"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "push.html")]
struct PushPage {
    layout: Layout,
    public_key: String,
    devices: usize,
}

async fn page(
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
) -> Result<Response, ApiError> {
    let public_key = tasks.push_key().await?;
    let devices = tasks.push_devices().await?;
    let page = PushPage {
        layout: Layout::new("Notifications on this device", csrf.0, Some(user)),
        public_key,
        devices,
    };
    Ok(render(&page))
}

/// The answer to the page's script: 204, the API's 422 document, or a bare status.
fn answer(result: Result<(), ApiError>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(ApiError::Invalid(body)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
        Err(ApiError::Unauthorized { .. }) => StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Stores this browser's subscription (`PushSubscription.toJSON()`, posted by the page's script).
async fn subscribe(SignedIn { tasks, .. }: SignedIn, Json(subscription): Json<Value>) -> Response {
    answer(tasks.subscribe_push(subscription).await)
}

#[derive(Deserialize)]
struct Endpoint {
    endpoint: String,
}

async fn unsubscribe(SignedIn { tasks, .. }: SignedIn, Json(body): Json<Endpoint>) -> Response {
    answer(tasks.unsubscribe_push(&body.endpoint).await)
}

/// What the service worker needs to renew a subscription the browser replaced: the key to subscribe
/// with, and this session's CSRF token for the post (a worker has no page to read it from). Readable by
/// this origin only, as every page that embeds the token is.
async fn renewal(
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { tasks, .. }: SignedIn,
) -> Result<Json<Value>, ApiError> {
    let key = tasks.push_key().await?;
    Ok(Json(json!({ "key": key, "csrf": csrf.0 })))
}

/// The service worker's swap (`{"old_endpoint", "subscription"}`), checked like the page's posts.
async fn renew(SignedIn { tasks, .. }: SignedIn, Json(body): Json<Value>) -> Response {
    answer(tasks.renew_push(body).await)
}
