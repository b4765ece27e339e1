//! `/settings/data`, "Import and export": a download of the user's export document, and an upload
//! form that previews an import (the API's dry run) before the user confirms it. Plain forms, so it
//! works without JavaScript; the previewed file rides along in the confirm form (base64, so its bytes
//! and line breaks arrive unchanged) instead of being kept on the server.

use askama::Template;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use todo_transfer::{ImportSummary, MAX_IMPORT_BYTES};

use crate::api::{ApiError, Me};
use crate::auth::SignedIn;
use crate::flash::redirect_with_flash;
use crate::layout::{render, Layout};
use crate::security::{CsrfToken, UPLOAD_LIMIT};
use crate::Web;

const PAGE: &str = "/settings/data";
/// Row problems a refused import lists; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;

pub fn routes() -> Router<Web> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/data/export", get(export))
        .route(
            "/settings/data/import",
            post(import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
}

/// A file read and checked, waiting for the user to confirm it.
struct Preview {
    summary: ImportSummary,
    /// The file, base64-encoded.
    content: String,
    file_name: String,
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    layout: Layout,
    /// What stops the import, above the form.
    alert: Option<String>,
    /// Where in the file each problem is, and what it is.
    problems: Vec<(String, String)>,
    preview: Option<Preview>,
    list: String,
}

impl TransferPage {
    fn new(csrf: CsrfToken, user: Me) -> Self {
        TransferPage {
            layout: Layout::new("Import and export", csrf.0, Some(user)),
            alert: None,
            problems: Vec::new(),
            preview: None,
            list: String::new(),
        }
    }

    fn answer(self, status: StatusCode) -> Response {
        let mut response = render(&self);
        *response.status_mut() = status;
        response
    }

    fn refused(mut self, status: StatusCode, alert: &str) -> Response {
        self.alert = Some(alert.to_owned());
        self.answer(status)
    }
}

pub async fn page(Extension(csrf): Extension<CsrfToken>, signed_in: SignedIn) -> Response {
    TransferPage::new(csrf, signed_in.user).answer(StatusCode::OK)
}

/// The export document, as a file to save.
pub async fn export(signed_in: SignedIn) -> Result<Response, ApiError> {
    let doc = signed_in.tasks.export().await?;
    let name = format!(
        "attachment; filename=\"todo-export-{}.json\"",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    Ok((
        [
            (CONTENT_TYPE, "application/json".to_owned()),
            (CONTENT_DISPOSITION, name),
        ],
        doc,
    )
        .into_response())
}

/// What the upload form (or the preview's confirm form) sent.
#[derive(Default)]
struct Upload {
    file: Bytes,
    file_name: String,
    list: String,
    confirm: bool,
}

async fn upload(mut form: Multipart) -> Result<Upload, MultipartError> {
    let mut up = Upload::default();
    while let Some(field) = form.next_field().await? {
        match field.name().unwrap_or_default() {
            "file" => {
                up.file_name = field.file_name().unwrap_or_default().to_owned();
                up.file = field.bytes().await?;
            }
            "content" => {
                // A preview's own encoding; anything else is no file.
                up.file = STANDARD
                    .decode(field.bytes().await?)
                    .unwrap_or_default()
                    .into();
            }
            "file_name" => up.file_name = text(&field.bytes().await?),
            "list" => up.list = text(&field.bytes().await?).trim().to_owned(),
            "confirm" => up.confirm = true,
            _ => {}
        }
    }
    Ok(up)
}

/// A text field as the form sent it (UTF-8, the page's charset). Read as bytes: `Field::text` would
/// bring every legacy encoding's tables into the binary for its charset lookup.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The content type a file name says; without one the API decides from the content.
fn content_type(file_name: &str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".json") {
        "application/json"
    } else if lower.ends_with(".csv") {
        "text/csv"
    } else {
        "application/octet-stream"
    }
}

/// Previews the uploaded file, or imports a previewed one.
pub async fn import(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    form: Multipart,
) -> Result<Response, ApiError> {
    let SignedIn { user, tasks } = signed_in;
    let mut page = TransferPage::new(csrf, user);
    let Ok(up) = upload(form).await else {
        return Ok(page.refused(
            StatusCode::BAD_REQUEST,
            "The upload could not be read; try again.",
        ));
    };
    page.list = up.list.clone();
    if up.file.is_empty() {
        return Ok(page.refused(StatusCode::UNPROCESSABLE_ENTITY, "Choose a file to import."));
    }
    if up.file.len() > MAX_IMPORT_BYTES {
        let limit = MAX_IMPORT_BYTES / (1024 * 1024);
        let alert = format!("The file is too large: imports take up to {limit} MB.");
        return Ok(page.refused(StatusCode::PAYLOAD_TOO_LARGE, &alert));
    }
    let kind = content_type(&up.file_name);
    match tasks
        .import(up.file.clone(), kind, &up.list, !up.confirm)
        .await
    {
        Ok(summary) if up.confirm => {
            let into: Vec<&str> = summary.lists.iter().map(|l| l.name.as_str()).collect();
            let message = format!(
                "Imported {} into {}.",
                plural(summary.tasks, "task"),
                into.join(", ")
            );
            Ok(redirect_with_flash(&web.settings, "/", message, None))
        }
        Ok(summary) => {
            page.preview = Some(Preview {
                summary,
                content: STANDARD.encode(&up.file),
                file_name: up.file_name,
            });
            Ok(page.answer(StatusCode::OK))
        }
        Err(ApiError::Invalid(body)) => {
            page.problems = problems(&body);
            let alert = if up.confirm {
                "Nothing was imported: the file has problems."
            } else {
                "This file cannot be imported as it is; nothing was changed."
            };
            Ok(page.refused(StatusCode::UNPROCESSABLE_ENTITY, alert))
        }
        Err(e) => Err(e),
    }
}

/// The API's field errors as lines a person reads: "Row 12, due: …".
fn problems(body: &Value) -> Vec<(String, String)> {
    let fields = body["error"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<(String, String)> = fields
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(|(field, message)| {
            (
                place(field),
                message.as_str().unwrap_or("is invalid").to_owned(),
            )
        })
        .collect();
    if fields.len() > SHOWN_PROBLEMS {
        let more = fields.len() - SHOWN_PROBLEMS;
        out.push(("And".into(), format!("{} more", plural(more, "problem"))));
    }
    if out.is_empty() {
        let message = body["error"]["message"].as_str().unwrap_or("is invalid");
        out.push(("The file".into(), message.to_owned()));
    }
    out
}

/// `rows[12].due` → "Row 12, due"; `tasks[3].title` → "Task 4, title" (the document counts from 0).
fn place(field: &str) -> String {
    let (at, column) = field.split_once('.').unwrap_or((field, ""));
    let number = |prefix: &str| {
        at.strip_prefix(prefix)?
            .strip_suffix(']')?
            .parse::<usize>()
            .ok()
    };
    let at = match (number("rows["), number("tasks["), number("lists[")) {
        (Some(n), _, _) => format!("Row {n}"),
        (_, Some(n), _) => format!("Task {}", n + 1),
        (_, _, Some(n)) => format!("List {}", n + 1),
        _ => crate::form_errors::capitalise(at),
    };
    match column {
        "" => at,
        c => format!("{at}, {c}"),
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_say_where_in_the_file() {
        assert_eq!(place("rows[12].due"), "Row 12, due");
        assert_eq!(place("rows[3].DATE"), "Row 3, DATE");
        assert_eq!(place("tasks[0].title"), "Task 1, title");
        assert_eq!(place("lists[1].name"), "List 2, name");
        assert_eq!(place("file"), "File");
        assert_eq!(content_type("Export.JSON"), "application/json");
        assert_eq!(content_type("todoist.csv"), "text/csv");
        assert_eq!(content_type("tasks"), "application/octet-stream");
    }
}
