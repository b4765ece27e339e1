use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use todo_domain::{CreateTask, ListQuery, RawListQuery, Task, UpdateTask};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{task_id, Caller, JsonBody, PathParams};
use crate::idempotency::{replay, Idempotent};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, update_task, delete_task))
        .routes(routes!(toggle_task))
}

/// A compatibility `user_id` in a body must name the caller; the owner always is the caller.
fn same_user(caller: &Caller, body_user: Option<&str>) -> Result<(), ApiError> {
    match body_user {
        Some(u) if u != caller.id() => Err(ApiError {
            fields: [("user_id".into(), "must be your own user id".into())].into(),
            ..ApiError::forbidden()
        }),
        _ => Ok(()),
    }
}

/// List the caller's tasks, filtered, sorted and paginated by cursor.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"), RawListQuery),
    responses(
        (status = 200, description = "One page, in the requested order", body = [Task], headers(
            ("x-next-cursor" = String, description = "Pass as `cursor` to get the next page; absent on the last page"),
            ("link" = String, description = "RFC 8288 link to the next page"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    query: Result<Query<RawListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let Query(raw) = query.map_err(|e| ApiError::field("query", &e.body_text()))?;
    let q = ListQuery::parse(&raw)?;
    let page = state.store().list_tasks(caller.id(), &q).await?;
    let mut headers = HeaderMap::new();
    if let Some(cursor) = page.next_cursor.map(|c| c.encode()) {
        if let Ok(v) = HeaderValue::from_str(&cursor) {
            headers.insert("x-next-cursor", v);
        }
        let link = format!(
            "<{}>; rel=\"next\"",
            next_page(&user_id, &cursor, q.limit, &raw)
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            headers.insert(axum::http::header::LINK, v);
        }
    }
    Ok((headers, Json(page.tasks)).into_response())
}

/// The path and query of the page after `cursor`, with the same filters and order as this one.
fn next_page(user_id: &str, cursor: &str, limit: u32, raw: &RawListQuery) -> String {
    // Built as text: a URL parser would take an encoded `%2E%2E` segment for `..` and drop it.
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("cursor", cursor)
        .append_pair("limit", &limit.to_string());
    for (k, v) in [
        ("status", &raw.status),
        ("q", &raw.q),
        ("priority", &raw.priority),
        ("tag", &raw.tag),
        ("due_before", &raw.due_before),
        ("sort", &raw.sort),
        ("order", &raw.order),
        ("list", &raw.list),
        ("parent", &raw.parent),
        ("include", &raw.include),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(k, v);
        }
    }
    format!(
        "/api/{}/tasks?{}",
        todo_domain::user_id_segment(user_id),
        query.finish()
    )
}

/// Create a task owned by the caller.
#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key (1–255 visible ASCII characters, kept 24 h) get the first answer, with `Idempotent-Replayed: true`, instead of acting again; 409 while the first is still running, 422 if the key was used for a different request")),
    request_body = CreateTask,
    responses((status = 201, body = Task), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, description = "`idempotency_key_in_use`", body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    request: Idempotent<CreateTask>,
) -> Result<Response, ApiError> {
    let Idempotent { body, key } = request;
    caller.owns(&user_id)?;
    same_user(&caller, body.user_id.as_deref())?;
    let new = body.validate()?;
    let store = state.store();
    let task = match key {
        None => store.create_task(caller.id(), new).await?,
        Some(key) => match store.create_task_once(caller.id(), new, &key).await? {
            Ok(task) => task,
            Err(prior) => return replay(prior),
        },
    };
    Ok((StatusCode::CREATED, Json(task)).into_response())
}

/// One of the caller's tasks.
#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Task), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<Json<Task>, ApiError> {
    caller.owns(&user_id)?;
    let task = state.store().get_task(caller.id(), task_id(&id)?).await?;
    task.map(Json).ok_or_else(|| ApiError::not_found("task"))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CompletionQuery {
    /// Completing a task also completes its open subtasks (by default only the task itself).
    #[serde(default)]
    complete_subtasks: bool,
}

fn completion(
    query: Result<Query<CompletionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<bool, ApiError> {
    query
        .map(|Query(q)| q.complete_subtasks)
        .map_err(|_| ApiError::field("complete_subtasks", "must be true or false"))
}

/// Change the given fields of a task; `null` clears `description`, `due_at`, `recurrence` or `parent_id`.
/// Completing a recurring task creates its next occurrence; moving a task to another list takes its
/// subtasks along.
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path), CompletionQuery),
    request_body = UpdateTask,
    responses((status = 200, body = Task), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
    query: Result<Query<CompletionQuery>, axum::extract::rejection::QueryRejection>,
    JsonBody(body): JsonBody<UpdateTask>,
) -> Result<Json<Task>, ApiError> {
    caller.owns(&user_id)?;
    let id = task_id(&id)?;
    let complete_subtasks = completion(query)?;
    same_user(&caller, body.user_id.as_deref())?;
    let task = state
        .store()
        .update_task(caller.id(), id, body.validate()?, complete_subtasks)
        .await?;
    task.map(Json).ok_or_else(|| ApiError::not_found("task"))
}

/// Delete a task and its subtasks.
#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path)),
    responses((status = 204, description = "Deleted", headers(("x-subtasks-deleted" = u64, description = "Subtasks deleted with it"))), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    match state
        .store()
        .delete_task(caller.id(), task_id(&id)?)
        .await?
    {
        Some((_, subtasks)) => Ok((
            StatusCode::NO_CONTENT,
            [("x-subtasks-deleted", subtasks.to_string())],
        )
            .into_response()),
        None => Err(ApiError::not_found("task")),
    }
}

/// Toggle completion. Completing a recurring task creates its next occurrence.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path), ("id" = i64, Path), CompletionQuery),
    responses((status = 200, body = Task), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn toggle_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
    query: Result<Query<CompletionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Task>, ApiError> {
    caller.owns(&user_id)?;
    let complete_subtasks = completion(query)?;
    let task = state
        .store()
        .toggle_task(caller.id(), task_id(&id)?, complete_subtasks)
        .await?;
    task.map(Json).ok_or_else(|| ApiError::not_found("task"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_link_escapes_what_a_url_cannot_carry() {
        let raw = RawListQuery {
            q: Some("milk & eggs".into()),
            tag: Some("über".into()),
            status: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            next_page("a b/c", "Q1-x_Z", 20, &raw),
            "/api/a%20b%2Fc/tasks?cursor=Q1-x_Z&limit=20&q=milk+%26+eggs&tag=%C3%BCber"
        );
    }
}
