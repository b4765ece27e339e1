//! The lists page: create, rename, recolour, reorder, archive and delete lists. Deleting a list
//! that still has tasks first asks whether they move to the Inbox or go with it.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;
use todo_domain::{Colour, TaskList};

use crate::api::{ApiError, Tasks};
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::form_errors::field_errors;
use crate::layout::{not_found, render, see_other, Layout};
use crate::security::CsrfToken;
use crate::Web;

const PAGE: &str = "/lists";
const GONE: &str = "That list no longer exists.";

/// The colour select's options.
pub fn colours() -> impl Iterator<Item = &'static str> {
    Colour::ALL.into_iter().map(Colour::as_str)
}

/// A list's name and colour as posted, with the errors the API found.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListForm {
    pub name: String,
    pub colour: String,
    #[serde(skip)]
    pub errors: BTreeMap<String, String>,
}

impl ListForm {
    fn of(l: &TaskList) -> ListForm {
        ListForm {
            name: l.name.clone(),
            colour: l.colour.as_str().to_owned(),
            errors: BTreeMap::new(),
        }
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn body(&self) -> serde_json::Value {
        let mut body = json!({"name": self.name.trim()});
        if !self.colour.is_empty() {
            body["colour"] = json!(self.colour);
        }
        body
    }
}

/// One list as the page shows it, with its form (as posted, when refused).
pub struct ListRow {
    pub list: TaskList,
    pub form: ListForm,
    /// Whether it can move up or down among the lists of its group (active or archived).
    pub up: bool,
    pub down: bool,
}

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    layout: Layout,
    flash: Option<Flash>,
    active: Vec<ListRow>,
    archived: Vec<ListRow>,
    add: ListForm,
}

/// The page, with a refused form shown with its errors (and status 422).
async fn lists_page(
    web: &Web,
    csrf: CsrfToken,
    signed_in: SignedIn,
    headers: &HeaderMap,
    refused: Option<(Option<i64>, ListForm)>,
) -> Result<Response, ApiError> {
    let SignedIn { user, tasks } = signed_in;
    let lists = tasks.lists().await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (add, edit) = match refused {
        Some((None, form)) => (form, None),
        Some((Some(id), form)) => (ListForm::default(), Some((id, form))),
        None => (ListForm::default(), None),
    };
    let rows = |archived: bool| {
        let group: Vec<&TaskList> = lists.iter().filter(|l| l.archived == archived).collect();
        let movable = |l: &TaskList| !l.inbox;
        group
            .iter()
            .enumerate()
            .map(|(i, l)| ListRow {
                form: match &edit {
                    Some((id, form)) if *id == l.id => form.clone(),
                    _ => ListForm::of(l),
                },
                up: movable(l) && i > 0 && movable(group[i - 1]),
                down: movable(l) && i + 1 < group.len(),
                list: (*l).clone(),
            })
            .collect::<Vec<_>>()
    };
    let page = ListsPage {
        layout: Layout::new("Lists", csrf.0, Some(user)),
        flash: flash::read(&web.settings, headers),
        active: rows(false),
        archived: rows(true),
        add,
    };
    Ok(flash::shown(
        &web.settings,
        headers,
        (status, render(&page)),
    ))
}

pub async fn page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    lists_page(&web, csrf, signed_in, &headers, None).await
}

pub async fn create(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(mut form): Form<ListForm>,
) -> Result<Response, ApiError> {
    match signed_in.tasks.create_list(form.body()).await {
        Ok(list) => {
            let message = format!("Added the list “{}”.", list.name);
            Ok(redirect_with_flash(&web.settings, PAGE, message, None))
        }
        Err(ApiError::Invalid(body)) => {
            form.errors = field_errors(&body);
            lists_page(&web, csrf, signed_in, &headers, Some((None, form))).await
        }
        Err(e) => Err(e),
    }
}

/// The list id in a list action's path; anything but a number is the not-found page.
pub struct ListId(i64);

impl<S: Send + Sync> FromRequestParts<S> for ListId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => match id.parse() {
                Ok(id) => Ok(ListId(id)),
                Err(_) => Err(not_found().await),
            },
            Err(_) => Err(not_found().await),
        }
    }
}

/// Renames and recolours a list.
pub async fn update(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    ListId(id): ListId,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(mut form): Form<ListForm>,
) -> Result<Response, ApiError> {
    match signed_in.tasks.update_list(id, form.body()).await {
        Ok(list) => {
            let message = format!("Saved the list “{}”.", list.name);
            Ok(redirect_with_flash(&web.settings, PAGE, message, None))
        }
        Err(ApiError::NotFound) => Ok(redirect_with_flash(&web.settings, PAGE, GONE.into(), None)),
        Err(ApiError::Invalid(body)) => {
            form.errors = field_errors(&body);
            lists_page(&web, csrf, signed_in, &headers, Some((Some(id), form))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct MoveInput {
    #[serde(default)]
    direction: String,
}

/// Moves a list one place up or down among the lists of its group: the group is renumbered in its
/// new order, so lists with equal positions move too.
pub async fn reorder(
    State(web): State<Web>,
    ListId(id): ListId,
    SignedIn { tasks, .. }: SignedIn,
    Form(input): Form<MoveInput>,
) -> Result<Response, ApiError> {
    let lists = tasks.lists().await?;
    let Some(list) = lists.iter().find(|l| l.id == id) else {
        return Ok(redirect_with_flash(&web.settings, PAGE, GONE.into(), None));
    };
    let mut group: Vec<&TaskList> = lists
        .iter()
        .filter(|l| !l.inbox && l.archived == list.archived)
        .collect();
    let Some(i) = group.iter().position(|l| l.id == id) else {
        return Ok(redirect_with_flash(
            &web.settings,
            PAGE,
            "The Inbox stays first.".into(),
            None,
        ));
    };
    match input.direction.as_str() {
        "up" if i > 0 => group.swap(i, i - 1),
        "down" if i + 1 < group.len() => group.swap(i, i + 1),
        _ => return Ok(see_other(PAGE)),
    }
    renumber(&tasks, &group).await?;
    let message = format!("Moved the list “{}” {}.", list.name, input.direction);
    Ok(redirect_with_flash(&web.settings, PAGE, message, None))
}

/// Gives `group` the positions 1, 2, … in its order, writing only those that change.
async fn renumber(tasks: &Tasks, group: &[&TaskList]) -> Result<(), ApiError> {
    for (l, position) in group.iter().zip(1..) {
        if l.position != position {
            match tasks.update_list(l.id, json!({"position": position})).await {
                Ok(_) | Err(ApiError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct ArchiveInput {
    #[serde(default)]
    archived: String,
}

pub async fn archive(
    State(web): State<Web>,
    ListId(id): ListId,
    SignedIn { tasks, .. }: SignedIn,
    Form(input): Form<ArchiveInput>,
) -> Result<Response, ApiError> {
    let archived = input.archived == "true";
    let message = match tasks.update_list(id, json!({"archived": archived})).await {
        Ok(l) if archived => format!("Archived the list “{}”.", l.name),
        Ok(l) => format!("“{}” is back among your lists.", l.name),
        Err(ApiError::NotFound) => GONE.into(),
        Err(ApiError::Invalid(body)) => {
            field_errors(&body).into_values().next().unwrap_or_default()
        }
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(&web.settings, PAGE, message, None))
}

#[derive(Deserialize)]
pub struct DeleteInput {
    /// `move` (to the Inbox) or `delete`: what becomes of the list's tasks.
    #[serde(default)]
    tasks: String,
}

#[derive(Template)]
#[template(path = "list_delete.html")]
struct ConfirmDelete {
    layout: Layout,
    list: TaskList,
}

/// Deletes a list. One that still has tasks is deleted only with a choice for them; without one,
/// the answer is the page that asks.
pub async fn delete(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    ListId(id): ListId,
    SignedIn { user, tasks }: SignedIn,
    Form(input): Form<DeleteInput>,
) -> Result<Response, ApiError> {
    let list = match tasks.get_list(id).await {
        Ok(l) => l,
        Err(ApiError::NotFound) => {
            return Ok(redirect_with_flash(&web.settings, PAGE, GONE.into(), None))
        }
        Err(e) => return Err(e),
    };
    let choice = match input.tasks.as_str() {
        "move" | "delete" => Some(input.tasks.as_str()),
        _ => None,
    };
    if list.inbox {
        let message = "The Inbox cannot be deleted.".to_owned();
        return Ok(redirect_with_flash(&web.settings, PAGE, message, None));
    }
    let ask = || {
        let page = ConfirmDelete {
            layout: Layout::new("Delete list", csrf.0.clone(), Some(user)),
            list: list.clone(),
        };
        render(&page)
    };
    if list.total_tasks > 0 && choice.is_none() {
        return Ok(ask());
    }
    let message = match tasks.delete_list(id, choice).await {
        Ok(0) => format!("Deleted the list “{}”.", list.name),
        Ok(n) if choice == Some("move") => format!(
            "Deleted the list “{}”; {} moved to the Inbox.",
            list.name,
            count(n)
        ),
        Ok(n) => format!("Deleted the list “{}” and {}.", list.name, count(n)),
        Err(ApiError::NotFound) => GONE.into(),
        // Tasks were added since the page was shown: ask about them.
        Err(ApiError::Conflict) => return Ok(ask()),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(&web.settings, PAGE, message, None))
}

/// "1 task", "3 tasks".
pub fn count(n: u64) -> String {
    if n == 1 {
        "1 task".to_owned()
    } else {
        format!("{n} tasks")
    }
}
