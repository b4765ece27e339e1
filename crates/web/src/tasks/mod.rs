//! The signed-in user's tasks: the form posts that add, change, complete and delete one, each
//! answered with a redirect back to the list (or the list again, with the form's errors, as 422).

pub mod form;
pub mod list;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::flash::redirect_with_flash;
use crate::form_errors::field_errors;
use crate::layout::not_found;
use crate::security::CsrfToken;
use crate::Web;
use form::TaskForm;
use list::{list_page, Filters, Refused};

const GONE: &str = "That task no longer exists.";

/// A task form as posted, with where to return to.
#[derive(Deserialize)]
pub struct TaskInput {
    #[serde(flatten)]
    form: TaskForm,
    #[serde(default)]
    back: Option<String>,
    /// Set by the Undo button of a deletion.
    #[serde(default)]
    restore: Option<String>,
}

/// Where a button without a form of its own returns to.
#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    back: Option<String>,
}

/// Only local paths of the list page are followed back to, and only as printable text: it is read
/// before the action runs, so a `back` that could not be a `Location` never gets that far.
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if (b.starts_with("/?") || b == "/") && !b.chars().any(char::is_control) => {
            b.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The task id in a task action's path; anything but a number is the not-found page.
pub struct TaskId(i64);

impl<S: Send + Sync> FromRequestParts<S> for TaskId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => match id.parse() {
                Ok(id) => Ok(TaskId(id)),
                Err(_) => Err(not_found().await),
            },
            Err(_) => Err(not_found().await),
        }
    }
}

pub async fn create(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(input): Form<TaskInput>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    let mut form = input.form;
    match signed_in.tasks.create(form.create_body()).await {
        Ok(task) => {
            let verb = if input.restore.is_some() {
                "Restored"
            } else {
                "Added"
            };
            let message = format!("{verb} “{}”.", task.title);
            Ok(redirect_with_flash(&web.settings, &back, message, None))
        }
        Err(ApiError::Invalid(body)) => {
            form.errors = field_errors(&body);
            let filters = Filters::of_url(&back);
            list_page(&web, csrf, signed_in, &headers, filters, Refused::Add(form)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn update(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    TaskId(id): TaskId,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(input): Form<TaskInput>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    let mut form = input.form;
    match signed_in.tasks.update(id, form.update_body()).await {
        Ok(task) => {
            let message = format!("Saved “{}”.", task.title);
            Ok(redirect_with_flash(&web.settings, &back, message, None))
        }
        Err(ApiError::NotFound) => Ok(redirect_with_flash(&web.settings, &back, GONE.into(), None)),
        Err(ApiError::Invalid(body)) => {
            form.errors = field_errors(&body);
            let filters = Filters::of_url(&back);
            let refused = Refused::Edit(id, form);
            list_page(&web, csrf, signed_in, &headers, filters, refused).await
        }
        Err(e) => Err(e),
    }
}

pub async fn toggle(
    State(web): State<Web>,
    TaskId(id): TaskId,
    SignedIn { tasks, .. }: SignedIn,
    Form(input): Form<Back>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    let message = match tasks.toggle(id).await {
        Ok(task) => {
            let title = task.title;
            match (task.completed, task.recurrence.is_some()) {
                (true, true) => format!("Completed “{title}”; the next one is on the list."),
                (true, false) => format!("Completed “{title}”."),
                (false, _) => format!("“{title}” is back on the list."),
            }
        }
        Err(ApiError::NotFound) => GONE.into(),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(&web.settings, &back, message, None))
}

pub async fn delete(
    State(web): State<Web>,
    TaskId(id): TaskId,
    SignedIn { tasks, .. }: SignedIn,
    Form(input): Form<Back>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    // Read it first, so the deletion can be undone.
    let task = match tasks.get(id).await {
        Ok(task) => task,
        Err(ApiError::NotFound) => {
            return Ok(redirect_with_flash(&web.settings, &back, GONE.into(), None))
        }
        Err(e) => return Err(e),
    };
    match tasks.delete(id).await {
        Ok(()) | Err(ApiError::NotFound) => Ok(redirect_with_flash(
            &web.settings,
            &back,
            format!("Deleted “{}”.", task.title),
            Some(TaskForm::of(&task)),
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_on_the_list_page() {
        assert_eq!(safe_back(Some("/?status=pending")), "/?status=pending");
        assert_eq!(safe_back(Some("//evil.example/")), "/");
        assert_eq!(safe_back(Some("https://evil.example/")), "/");
        assert_eq!(safe_back(None), "/");
        assert_eq!(safe_back(Some("/?status=pending\r\nX: y")), "/");
    }
}
