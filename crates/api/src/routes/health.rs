use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use todo_storage::{DbKind, Readiness as Found};
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
    /// `ready`; `busy` (still ready: the database answers, but every pooled connection is in use, so
    /// requests queue); or `unavailable`.
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

/// Readiness: the database answers (asked on a connection of its own, not the requests' pool), its schema
/// is current, it stores writes (checked after one failed), and the process is not shutting down.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match state.store().kind() {
        DbKind::Sqlite => "sqlite",
        DbKind::Postgres => "postgres",
    };
    let found = if state.draining() {
        Err("shutting down".to_owned())
    } else {
        match tokio::time::timeout(Duration::from_secs(2), state.store().readiness()).await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("database did not answer within 2 s".to_owned()),
        }
    };
    let (code, status, reason) = match found {
        Ok(Found::Ready) => (StatusCode::OK, "ready", None),
        Ok(Found::Busy) => (
            StatusCode::OK,
            "busy",
            Some("every database connection is in use; requests queue".to_owned()),
        ),
        Ok(Found::Behind { applied, required }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some(format!(
                "schema at migration {applied}, this version needs {required}; run `todo migrate`"
            )),
        ),
        Ok(Found::Unwritable(fault)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some(format!("cannot store changes: {fault}")),
        ),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(reason)),
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
