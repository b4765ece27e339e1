use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

use todo_storage::Outage;

use crate::{ApiError, ApiSettings, AppState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Largest accepted request body.
    pub body_limit: usize,
    /// A request taking longer is answered 503 and abandoned.
    pub request_timeout: Duration,
}

pub(crate) fn apply(router: Router, settings: &ApiSettings) -> Router {
    let cors = cors(&settings.cors_origins);
    // Outermost last: the request id exists before logging, logging sees the final status.
    router
        .layer(DefaultBodyLimit::max(settings.limits.body_limit))
        .layer(axum::middleware::map_response(close_after_unread_body))
        .layer(axum::middleware::from_fn_with_state(
            settings.limits.request_timeout,
            time_limit,
        ))
        .layer(cors)
        .layer(axum::middleware::map_response(private_answers))
        .layer(axum::middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
        ]))
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
        ])
        .expose_headers([
            HeaderName::from_static("x-next-cursor"),
            axum::http::header::LINK,
            REQUEST_ID,
        ])
        .max_age(Duration::from_secs(3600))
}

/// Longest `x-request-id` taken from a client (a UUID is 36 characters).
const MAX_REQUEST_ID: usize = 64;

/// A client's `x-request-id` is echoed and logged, so only a short one of plain characters is kept;
/// any other is replaced by a generated one.
async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c))
    };
    let ids = req.headers().get_all(REQUEST_ID);
    let keep = ids.iter().count() == 1 && ids.iter().all(usable);
    if !keep {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// API answers hold user data (tasks, sessions, tokens): no cache keeps them, and no browser reads
/// them as anything but what they say they are.
async fn private_answers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.entry(axum::http::header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// One log line per request: method, route template (never the raw path, which holds ids), status,
/// latency and request id. Headers and bodies are never logged.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |p| p.as_str().to_owned());
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let latency_ms = (start.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    if status >= 500 {
        tracing::warn!(%method, route, status, latency_ms, request_id, "request");
    } else {
        tracing::info!(%method, route, status, latency_ms, request_id, "request");
    }
    response
}

/// In front of every data route. A replica never serves data on an older schema than it needs: until
/// the database carries every migration this binary knows, data routes answer 503 (health, readiness and
/// the OpenAPI document work). While the database is known to be down, requests fail at once. What a
/// request finds out about the database (an outage, or a write stored) is reported back to the store.
pub(crate) async fn storage_gate(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !state.schema_current().await {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database schema is not current yet; run `todo migrate` or wait",
        )
        .into_response();
    }
    let store = state.store();
    if let Err(e) = store.admit().await {
        return ApiError::from(e).into_response();
    }
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    match response.extensions().get::<Outage>() {
        Some(outage) => store.report(*outage),
        None if writes && response.status().is_success() => store.report_write_stored(),
        None => {}
    }
    response
}

/// A 413 leaves the rest of the body unread on the socket; tell the client not to reuse the connection.
async fn close_after_unread_body(mut response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    response
}

/// Abandons a request that runs past the limit and answers 503 with the usual JSON error.
async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs_f32()),
        )
        .into_response(),
    }
}
