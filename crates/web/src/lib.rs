//! The web UI: server-rendered pages (askama templates, checked at compile time), static assets
//! embedded in the binary with content-hashed URLs, and — for the `frontend` role — the `/api/*`
//! proxy to the backend. Both `todo serve` and `todo frontend` build the same router; they differ
//! only in the [`Backend`] it talks to.

mod assets;
mod backend;
mod pages;
mod security;

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
/// that router (`todo serve`); with a [`Backend::Remote`], `/api/*` is forwarded to it (`todo frontend`).
pub fn router(backend: Backend, settings: WebSettings) -> Router {
    let web = Web {
        backend: backend.clone(),
        settings: settings.clone(),
    };
    let pages = Router::new()
        .route("/", get(pages::index))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-up", get(pages::sign_up_page).post(pages::sign_up))
        .route("/sign-out", post(pages::sign_out))
        .route("/tasks", post(pages::create))
        .route("/tasks/{id}", post(pages::update))
        .route("/tasks/{id}/toggle", post(pages::toggle))
        .route("/tasks/{id}/delete", post(pages::delete))
        .route_layer(axum::middleware::from_fn_with_state(
            settings,
            security::csrf,
        ))
        .route("/static/{file}", get(assets::serve))
        .route("/api/health", get(health))
        .with_state(web.clone());
    let rest = match backend {
        Backend::Local(api) => Router::new().fallback_service(api),
        Backend::Remote { .. } => Router::new()
            .route("/api/{*path}", any(proxy))
            .fallback(pages::not_found)
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

/// Forwards an `/api/*` request to the backend, streaming both bodies.
async fn proxy(State(web): State<Web>, req: Request) -> Response {
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
