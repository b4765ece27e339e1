//! The signed-in user's tasks: the form posts that add, change, complete, delete and restore one,
//! each answered with a redirect back to the list (or the list again, with the form's errors, as 422).

pub mod form;
pub mod list;
pub mod recurrence;
pub mod reminders;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use todo_domain::Task;

use crate::api::{ApiError, Tasks};
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
}

/// A completion button: `subtasks` completes the open subtasks too.
#[derive(Deserialize)]
pub struct ToggleInput {
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    subtasks: Option<String>,
}

/// A deleted task and its subtree, to recreate on Undo: parents before their subtasks, each with
/// the id it had, which its subtasks' `parent` names.
#[derive(Serialize, Deserialize, Default)]
pub struct Group(pub Vec<(i64, TaskForm)>);

impl Group {
    /// `root` and `subtree` (its descendants in any order), parents first, local times in `tz`.
    fn of(root: &Task, mut subtree: Vec<Task>, tz: Tz) -> Group {
        let mut group = vec![(root.id, TaskForm::of(root, tz))];
        while !subtree.is_empty() {
            let before = subtree.len();
            subtree.retain(|t| {
                let placed = t
                    .parent_id
                    .is_some_and(|p| group.iter().any(|(id, _)| *id == p));
                if placed {
                    group.push((t.id, TaskForm::of(t, tz)));
                }
                !placed
            });
            if subtree.len() == before {
                break;
            }
        }
        Group(group)
    }

    /// The group as the Undo form carries it.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The Undo button of a deletion: the group as JSON.
#[derive(Deserialize)]
pub struct RestoreInput {
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    group: String,
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
    let created = match form.create_body() {
        Ok(body) => signed_in.tasks.create(body).await,
        Err(e) => Err(refusal(e)),
    };
    match created {
        Ok(task) => {
            let message = format!("Added “{}”.", task.title);
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

/// A field the form itself refused, as the API would have said it.
fn refusal((field, message): recurrence::FieldError) -> ApiError {
    ApiError::Invalid(serde_json::json!({"error": {"fields": {field: message}}}))
}

/// Recreates a deleted group (Undo). Each task is created under its parent's new id.
pub async fn restore(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
    Form(input): Form<RestoreInput>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    let Ok(Group(group)) = serde_json::from_str::<Group>(&input.group) else {
        let message = "There was nothing to restore.".to_owned();
        return Ok(redirect_with_flash(&web.settings, &back, message, None));
    };
    let mut new_ids: Vec<(i64, i64)> = Vec::new();
    let mut title = None;
    for (old_id, mut form) in group {
        if let Some((_, new)) = new_ids
            .iter()
            .find(|(old, _)| form.parent == old.to_string())
        {
            form.parent = new.to_string();
        }
        let task = match create_restored(&tasks, &form).await {
            Ok(task) => task,
            Err(ApiError::Invalid(_)) => {
                let message = "Some of it could not be restored.".to_owned();
                return Ok(redirect_with_flash(&web.settings, &back, message, None));
            }
            Err(e) => return Err(e),
        };
        title.get_or_insert(task.title);
        new_ids.push((old_id, task.id));
    }
    let message = match (title, new_ids.len()) {
        (None, _) => "There was nothing to restore.".to_owned(),
        (Some(t), 1) => format!("Restored “{t}”."),
        (Some(t), n) => format!("Restored “{t}” and {}.", subtasks(n as u64 - 1)),
    };
    Ok(redirect_with_flash(&web.settings, &back, message, None))
}

/// Creates one task of a restored group; a group the API refuses is one nobody could have deleted.
async fn create_restored(tasks: &Tasks, form: &TaskForm) -> Result<Task, ApiError> {
    match form.create_body() {
        Ok(body) => tasks.create(body).await,
        Err(e) => Err(refusal(e)),
    }
}

/// "its subtask", "its 3 subtasks".
fn subtasks(n: u64) -> String {
    if n == 1 {
        "its subtask".to_owned()
    } else {
        format!("its {n} subtasks")
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
    let updated = match form.update_body() {
        Ok(body) => signed_in.tasks.update(id, body).await,
        Err(e) => Err(refusal(e)),
    };
    match updated {
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
    Form(input): Form<ToggleInput>,
) -> Result<Response, ApiError> {
    let back = safe_back(input.back.as_deref());
    let with_subtasks = input.subtasks.is_some_and(|s| s == "true");
    let message = match tasks.toggle(id, with_subtasks).await {
        Ok(task) => {
            let title = task.title;
            let also = if with_subtasks && task.completed {
                " and its subtasks"
            } else {
                ""
            };
            match (task.completed, task.recurrence.is_some()) {
                (true, true) => {
                    format!("Completed “{title}”{also}; the next one is on the list.")
                }
                (true, false) => format!("Completed “{title}”{also}."),
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
    // Read it and its subtree first, so the deletion can be undone.
    let task = match tasks.get(id).await {
        Ok(task) => task,
        Err(ApiError::NotFound) => {
            return Ok(redirect_with_flash(&web.settings, &back, GONE.into(), None))
        }
        Err(e) => return Err(e),
    };
    let subtree = if task.subtask_count > 0 {
        tasks.subtree(id).await?
    } else {
        Vec::new()
    };
    let message = match tasks.delete(id).await {
        Ok(0) | Err(ApiError::NotFound) => format!("Deleted “{}”.", task.title),
        Ok(n) => format!("Deleted “{}” and {}.", task.title, subtasks(n)),
        Err(e) => return Err(e),
    };
    let undo = Group::of(&task, subtree, tasks.time_zone().await?);
    Ok(redirect_with_flash(
        &web.settings,
        &back,
        message,
        Some(undo),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_lists_parents_before_their_subtasks() {
        let task = |id: i64, parent: Option<i64>| {
            serde_json::from_value::<Task>(serde_json::json!({
                "id": id, "user_id": "u", "title": format!("t{id}"), "description": null,
                "completed": false, "priority": "medium", "tags": [], "due_at": null,
                "recurrence": null, "repeat_from": "due", "list_id": 1, "parent_id": parent,
                "subtask_count": 0, "subtasks_done": 0,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
            }))
            .unwrap()
        };
        // A subtask moved under a newer one comes after it.
        let group = Group::of(
            &task(1, None),
            vec![task(2, Some(3)), task(3, Some(1))],
            Tz::UTC,
        );
        let ids: Vec<i64> = group.0.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 3, 2]);
        assert_eq!(group.0[2].1.parent, "3");
    }

    #[test]
    fn back_links_stay_on_the_list_page() {
        assert_eq!(safe_back(Some("/?status=pending")), "/?status=pending");
        assert_eq!(safe_back(Some("//evil.example/")), "/");
        assert_eq!(safe_back(Some("https://evil.example/")), "/");
        assert_eq!(safe_back(None), "/");
        assert_eq!(safe_back(Some("/?status=pending\r\nX: y")), "/");
    }
}
