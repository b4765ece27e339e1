//! `/api/{user_id}/lists`: the user's lists, and `/api/{user_id}/settings`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use todo_domain::{CreateList, Settings, TaskList, TasksOnDelete, UpdateList, UpdateSettings};
use todo_storage::ListDeletion;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody, PathParams};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_lists, create_list))
        .routes(routes!(get_list, update_list, delete_list))
        .routes(routes!(get_settings, update_settings))
}

fn list_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::field("id", "must be an integer list id"))
}

/// The caller's lists (the Inbox first, then by position) with their open and total task counts.
#[utoipa::path(get, path = "/api/{user_id}/lists", tag = "lists", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id")),
    responses((status = 200, body = [TaskList]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_lists(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Vec<TaskList>>, ApiError> {
    caller.owns(&user_id)?;
    Ok(Json(state.store().lists(caller.id()).await?))
}

/// Create a list.
#[utoipa::path(post, path = "/api/{user_id}/lists", tag = "lists", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = CreateList,
    responses((status = 201, body = TaskList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "Invalid, or the name is taken", body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<CreateList>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let list = state
        .store()
        .create_list(caller.id(), body.validate()?)
        .await?;
    Ok((StatusCode::CREATED, Json(list)).into_response())
}

/// One of the caller's lists.
#[utoipa::path(get, path = "/api/{user_id}/lists/{id}", tag = "lists", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = TaskList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn get_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<Json<TaskList>, ApiError> {
    caller.owns(&user_id)?;
    let list = state.store().get_list(caller.id(), list_id(&id)?).await?;
    list.map(Json).ok_or_else(|| ApiError::not_found("list"))
}

/// Rename, recolour, reorder or (un)archive a list.
#[utoipa::path(put, path = "/api/{user_id}/lists/{id}", tag = "lists", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)), request_body = UpdateList,
    responses((status = 200, body = TaskList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn update_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<UpdateList>,
) -> Result<Json<TaskList>, ApiError> {
    caller.owns(&user_id)?;
    let id = list_id(&id)?;
    let list = state
        .store()
        .update_list(caller.id(), id, body.validate()?)
        .await?;
    list.map(Json).ok_or_else(|| ApiError::not_found("list"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteListQuery {
    /// Required when the list has tasks: `move` them to the Inbox or `delete` them.
    tasks: Option<TasksOnDelete>,
}

/// Delete a list. A list with tasks needs `?tasks=move` or `?tasks=delete`; without it the answer is 409
/// with the count, and nothing changes. The Inbox cannot be deleted.
#[utoipa::path(delete, path = "/api/{user_id}/lists/{id}", tag = "lists", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path), DeleteListQuery),
    responses((status = 204, description = "Deleted", headers(("x-tasks-affected" = u64, description = "Tasks moved or deleted"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`list_not_empty` (the count is in `fields.tasks`) or `inbox`", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn delete_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
    query: Result<Query<DeleteListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let id = list_id(&id)?;
    let Query(q) = query.map_err(|_| ApiError::field("tasks", "must be move or delete"))?;
    match state.store().delete_list(caller.id(), id, q.tasks).await? {
        ListDeletion::NotFound => Err(ApiError::not_found("list")),
        ListDeletion::Inbox => Err(ApiError::new(
            StatusCode::CONFLICT,
            "inbox",
            "the Inbox cannot be deleted",
        )),
        ListDeletion::HasTasks(n) => Err(ApiError {
            fields: [(
                "tasks".to_owned(),
                format!("{n} tasks: choose tasks=move (to the Inbox) or tasks=delete"),
            )]
            .into(),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "list_not_empty",
                format!(
                    "the list has {n} tasks; say whether to move them to the Inbox or delete them"
                ),
            )
        }),
        ListDeletion::Deleted { tasks } => Ok((
            StatusCode::NO_CONTENT,
            [("x-tasks-affected", tasks.to_string())],
        )
            .into_response()),
    }
}

/// The caller's settings.
#[utoipa::path(get, path = "/api/{user_id}/settings", tag = "settings", security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Settings>, ApiError> {
    caller.owns(&user_id)?;
    Ok(Json(state.store().settings(caller.id()).await?))
}

/// Change settings: `time_zone` is an IANA name such as `Europe/Berlin`.
#[utoipa::path(put, path = "/api/{user_id}/settings", tag = "settings", security(("bearer" = [])),
    params(("user_id" = String, Path)), request_body = UpdateSettings,
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn update_settings(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<UpdateSettings>,
) -> Result<Json<Settings>, ApiError> {
    caller.owns(&user_id)?;
    let settings = state
        .store()
        .update_settings(caller.id(), body.validate()?)
        .await?;
    Ok(Json(settings))
}
