//! `/api/{user_id}/export` and `/api/{user_id}/import`: everything of a user's as one document, and
//! files of tasks read into the account in one transaction.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use todo_storage::Store;
use todo_transfer::{Export, ExportConversation, ImportSummary, Options, MAX_IMPORT_BYTES};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{unread_body, Caller, PathParams};
use crate::AppState;

/// Most conversations, and messages in each, an export holds.
const MAX_EXPORTED_CONVERSATIONS: u32 = 10_000;
const MAX_EXPORTED_MESSAGES: u32 = 100_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(import))
        // An import's file is larger than any other request: it alone has this limit.
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// Include the assistant conversations.
    #[serde(default)]
    conversations: bool,
}

/// Everything of the caller's: lists, tasks with their subtasks, tags, due dates, recurrence,
/// completion and times, as one versioned document (`format` `todo-export`, `version` 1) that
/// `POST …/import` reads back.
#[utoipa::path(get, path = "/api/{user_id}/export", tag = "transfer", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"), ExportQuery),
    responses((status = 200, body = Export), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Json<Export>, ApiError> {
    caller.owns(&user_id)?;
    let Query(q) = query.map_err(|_| ApiError::field("conversations", "must be true or false"))?;
    Ok(Json(
        export_document(state.store(), caller.id(), q.conversations).await?,
    ))
}

/// The export document of `user_id` (the API's and the command line's).
pub async fn export_document(
    store: &Store,
    user_id: &str,
    conversations: bool,
) -> Result<Export, ApiError> {
    let holdings = store.holdings(user_id).await?;
    let mut doc = Export::new(&holdings.lists, &holdings.tasks, chrono::Utc::now());
    if conversations {
        let mut all = Vec::new();
        for c in store
            .list_conversations(user_id, MAX_EXPORTED_CONVERSATIONS)
            .await?
        {
            let messages = store
                .recent_messages(user_id, c.id, MAX_EXPORTED_MESSAGES)
                .await?;
            all.push(ExportConversation::new(c, messages));
        }
        // Oldest first, as the tasks are.
        all.reverse();
        doc.conversations = Some(all);
    }
    Ok(doc)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// Answer what would be created, and write nothing.
    #[serde(default)]
    dry_run: bool,
    /// CSV only: the list (by name, created when missing) for rows that name none; the Inbox by default.
    #[serde(default)]
    list: Option<String>,
}

/// Import a file of tasks: this API's export document (`application/json`), Todoist's CSV template
/// (TYPE, CONTENT, DESCRIPTION, PRIORITY, INDENT, DATE…) or a plain CSV (title, description, due,
/// priority, tags, list, completed) as `text/csv`; without a content type, a body starting with `{` is
/// read as the document. Lists are matched by name (ignoring case) and created when missing. At most
/// 10 MiB and 20,000 tasks. A real import is all or nothing: a bad row is a 422 naming it and its field
/// (`rows[12].due` for the row on line 12, the header's being 1; `tasks[3].title` in a document) and nothing is written.
/// Conversations in a document are not imported.
#[utoipa::path(post, path = "/api/{user_id}/import", tag = "transfer", security(("bearer" = [])),
    params(("user_id" = String, Path), ImportQuery),
    request_body(content(
        (Export = "application/json"),
        (String = "text/csv", example = "title,due,priority,tags,list\nBuy milk,tomorrow 5pm,high,home errands,Groceries")
    )),
    responses((status = 200, description = "Dry run: what would be created", body = ImportSummary),
        (status = 201, description = "Imported", body = ImportSummary),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Over 10 MiB", body = ErrorBody),
        (status = 422, description = "A row or field is invalid; nothing was written", body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    caller.owns(&user_id)?;
    let Query(q) = query.map_err(|_| ApiError::field("dry_run", "must be true or false"))?;
    let body = body.map_err(|e| {
        unread_body(
            &e,
            format!("the file must be at most {MAX_IMPORT_BYTES} bytes"),
        )
    })?;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let summary = import_file(
        state.store(),
        caller.id(),
        &body,
        content_type,
        q.list,
        q.dry_run,
    )
    .await?;
    let status = if q.dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(summary)).into_response())
}

/// Reads `file` and imports it for `user_id` (or, with `dry_run`, says what an import would create):
/// the API's and the command line's.
pub async fn import_file(
    store: &Store,
    user_id: &str,
    file: &[u8],
    content_type: Option<&str>,
    list: Option<String>,
    dry_run: bool,
) -> Result<ImportSummary, ApiError> {
    let settings = store.settings(user_id).await?;
    let options = Options {
        list: list.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()),
        now: chrono::Utc::now(),
        tz: settings.zone(),
    };
    let reading = todo_transfer::read(file, content_type, &options)?;
    if dry_run {
        let existing = store.lists(user_id).await?;
        return Ok(reading.summary(&reading.would_create(&existing), true));
    }
    let created = store.import(user_id, &reading.plan).await?;
    Ok(reading.summary(&created, false))
}
