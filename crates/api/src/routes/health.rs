use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use todo_storage::{DbKind, Schema};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "healthy")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// Why the service is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// Liveness: the process serves HTTP. Never touches the database.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "healthy" })
}

/// Readiness: the database answers and its schema is current, and the process is not shutting down.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match state.store().kind() {
        DbKind::Sqlite => "sqlite",
        DbKind::Postgres => "postgres",
    };
    let reason = if state.draining() {
        Some("shutting down".to_owned())
    } else {
        match tokio::time::timeout(Duration::from_secs(2), state.store().schema()).await {
            Ok(Ok(Schema::Current)) => None,
            Ok(Ok(Schema::Behind { applied, required })) => Some(format!(
                "schema at migration {applied}, this version needs {required}; run `todo migrate`"
            )),
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("database did not answer within 2 s".to_owned()),
        }
    };
    let (code, status) = if reason.is_none() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (
        code,
        Json(Readiness {
            status,
            database,
            reason,
        }),
    )
}
