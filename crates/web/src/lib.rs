//! The web UI: server-rendered pages (askama), hashed embedded assets and the `frontend` role's
//! `/api/*` proxy, one router for `todo serve` and `todo frontend` (only the [`Backend`] differs).
//! It reaches data only through the backend's HTTP API, typed by todo-domain: never sqlx or todo-api.

mod api;
mod apps;
mod assets;
mod auth;
mod backend;
mod calendar;
mod flash;
mod form_errors;
mod layout;
mod lists;
mod notifications;
mod push;
mod security;
mod settings;
mod tasks;
mod transfer;
mod webhooks;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::json;

pub use backend::Backend;

/// Settings of the UI itself.
#[derive(Clone, Debug, Default)]
pub struct WebSettings {
    /// Mark the UI's own cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Clone)]
struct Web {
    backend: Backend,
    settings: WebSettings,
}

/// The UI's router. With a [`Backend::Local`] API router, every path the UI does not serve goes to
/// that router (`todo serve`); with a [`Backend::Remote`], `/api/*` and the calendar feed (`/calendar/*`) are forwarded to it (`todo frontend`).
pub fn router(backend: Backend, settings: WebSettings) -> Router {
    let web = Web {
        backend: backend.clone(),
        settings: settings.clone(),
    };
    let pages = Router::new()
        .route("/", get(tasks::list::index))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/sign-up", get(auth::sign_up_page).post(auth::sign_up))
        .route("/sign-out", post(auth::sign_out))
        .route("/tasks", post(tasks::create))
        .route("/tasks/restore", post(tasks::restore))
        .route("/tasks/{id}", post(tasks::update))
        .route("/tasks/{id}/toggle", post(tasks::toggle))
        .route("/tasks/{id}/delete", post(tasks::delete))
        .merge(transfer::routes())
        .merge(calendar::routes())
        .merge(webhooks::routes())
        .merge(apps::routes())
        .merge(push::routes())
        .route("/lists", get(lists::page).post(lists::create))
        .route("/lists/{id}", post(lists::update))
        .route("/lists/{id}/move", post(lists::reorder))
        .route("/lists/{id}/archive", post(lists::archive))
        .route("/lists/{id}/delete", post(lists::delete))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/notifications", get(notifications::page))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route(
            "/settings/notifications",
            get(notifications::settings).post(notifications::save_settings),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            settings,
            security::csrf,
        ))
        .route("/static/{file}", get(assets::serve))
        .route("/sw.js", get(push::service_worker))
        .route("/manifest.webmanifest", get(push::manifest))
        .route("/api/health", get(health))
        .with_state(web.clone());
    let rest = match backend {
        Backend::Local(api) => Router::new().fallback_service(api),
        Backend::Remote { .. } => Router::new()
            .route("/api/{*path}", any(proxy))
            // Calendar apps fetch the feed from the address the user sees: the UI's.
            .route("/calendar/{file}", get(proxy))
            // The authorization server's and the resources' metadata are the backend's (RFC 8414, RFC 9728).
            .route("/.well-known/oauth-authorization-server", get(proxy))
            .route("/.well-known/oauth-protected-resource", get(proxy))
            .route("/.well-known/oauth-protected-resource/{*path}", get(proxy))
            .fallback(layout::not_found)
            .with_state(web),
    };
    pages
        .merge(rest)
        .layer(axum::middleware::from_fn(security::headers))
}

/// The frontend's liveness: it answers without asking the backend.
async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "healthy"}))
}

/// Whether `path` has a `.` or `..` segment, plain or percent-encoded, between `/` or `\\`: the
/// backend's URL parser would resolve it and the request would reach a route outside `/api/`.
fn has_dot_segment(path: &str) -> bool {
    path.split(['/', '\\']).any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    })
}

/// Forwards an `/api/*` request to the backend, streaming both bodies.
async fn proxy(State(web): State<Web>, req: Request) -> Response {
    if has_dot_segment(req.uri().path()) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "bad_request", "message": "the path must not contain . or .. segments"}})),
        )
            .into_response();
    }
    match web.backend.send(req).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e.0, "backend unreachable");
            (
                StatusCode::BAD_GATEWAY,
                Json(json!({"error": {"code": "bad_gateway", "message": "the backend is unreachable"}})),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found_however_written() {
        for bad in [
            "/api/../openapi.json",
            "/api/%2e%2e/ready",
            "/api/.%2E/ready",
            "/api/./x",
            "/api/..\\ready",
        ] {
            assert!(has_dot_segment(bad), "{bad}");
        }
        for fine in ["/api/u/tasks", "/api/u/tasks/1..2", "/api/.well-known"] {
            assert!(!has_dot_segment(fine), "{fine}");
        }
    }
}
