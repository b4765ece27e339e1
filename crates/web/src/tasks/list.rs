//! The task list page: its filters and pages (both in the page URL), and each task as shown.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use todo_domain::{Recurrence, Task};

use super::form::{priority_label, TaskForm};
use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::flash::{self, Flash};
use crate::form_errors::capitalise;
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::Web;

const PAGE_SIZE: u32 = 20;

pub const STATUSES: [(&str, &str); 3] =
    [("all", "All"), ("pending", "To do"), ("completed", "Done")];
/// Each sort with the order that makes sense for it.
pub const SORTS: [(&str, &str); 5] = [
    ("created", "Newest"),
    ("due", "Due date"),
    ("priority", "Priority"),
    ("title", "Title"),
    ("updated", "Updated"),
];

fn order_of(sort: &str) -> &'static str {
    match sort {
        "due" | "title" => "asc",
        _ => "desc",
    }
}

/// The list's filters, as in the page URL.
#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub cursor: String,
}

impl Filters {
    /// The filters of a list page URL (a task form's `back`).
    pub fn of_url(back: &str) -> Filters {
        let query = back.split_once('?').map_or("", |(_, q)| q);
        let mut f = Filters::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "q" => f.q = v,
                "status" => f.status = v,
                "priority" => f.priority = v,
                "tag" => f.tag = v,
                "sort" => f.sort = v,
                "cursor" => f.cursor = v,
                _ => {}
            }
        }
        f
    }

    fn normalised(mut self) -> Self {
        if self.status.is_empty() {
            self.status = "all".into();
        }
        if self.sort.is_empty() {
            self.sort = "created".into();
        }
        self
    }

    fn filtered(&self) -> bool {
        !self.q.trim().is_empty()
            || self.status != "all"
            || !self.priority.is_empty()
            || !self.tag.trim().is_empty()
    }

    /// The page URL's query (without the cursor), as `key=value&…`.
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", self.q.trim()),
            ("status", self.status.as_str()),
            ("priority", self.priority.as_str()),
            ("tag", self.tag.trim()),
            ("sort", self.sort.as_str()),
        ] {
            let default = matches!((k, v), ("status", "all") | ("sort", "created"));
            if !v.is_empty() && !default {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }

    fn page_url(&self, cursor: Option<&str>) -> String {
        let mut q = self.query();
        if let Some(c) = cursor {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("cursor", c)
                    .finish(),
            );
        }
        if q.is_empty() {
            "/".into()
        } else {
            format!("/?{q}")
        }
    }

    fn api_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("limit", &PAGE_SIZE.to_string());
        q.append_pair("status", &self.status);
        q.append_pair("sort", &self.sort);
        q.append_pair("order", order_of(&self.sort));
        for (k, v) in [
            ("q", self.q.trim()),
            ("priority", self.priority.as_str()),
            ("tag", self.tag.trim()),
            ("cursor", self.cursor.as_str()),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// One task as the list shows it.
pub struct TaskView {
    id: i64,
    title: String,
    description: Option<String>,
    completed: bool,
    /// The priority's API name, which its badge is styled by.
    priority: &'static str,
    priority_label: &'static str,
    tags: Vec<String>,
    due: String,
    due_label: Option<String>,
    overdue: bool,
    recurrence: Option<String>,
    base_form: TaskForm,
    /// The submitted values and errors when this task's edit was refused.
    editing: Option<TaskForm>,
}

impl TaskView {
    fn new(t: Task, today: NaiveDate) -> Self {
        let due_date = t.due_at.map(|d| d.date_naive());
        let due_label = due_date.map(|d| {
            let days = (d - today).num_days();
            match days {
                0 => "today".to_owned(),
                1 => "tomorrow".to_owned(),
                -1 => "yesterday".to_owned(),
                _ if d.format("%Y").to_string() == today.format("%Y").to_string() => {
                    d.format("%a %-d %b").to_string()
                }
                _ => d.format("%-d %b %Y").to_string(),
            }
        });
        TaskView {
            id: t.id,
            base_form: TaskForm::of(&t),
            title: t.title,
            description: t.description.filter(|d| !d.trim().is_empty()),
            completed: t.completed,
            priority: t.priority.as_str(),
            priority_label: priority_label(t.priority),
            tags: t.tags,
            due: due_date.map(|d| d.to_string()).unwrap_or_default(),
            due_label,
            overdue: !t.completed && due_date.is_some_and(|d| d < today),
            recurrence: t.recurrence.as_ref().map(Recurrence::describe),
            editing: None,
        }
    }

    pub fn form(&self) -> &TaskForm {
        self.editing.as_ref().unwrap_or(&self.base_form)
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    layout: Layout,
    summary: String,
    flash: Option<Flash>,
    back: String,
    add: TaskForm,
    filters: Filters,
    filtered: bool,
    filter_error: Option<String>,
    tasks: Vec<TaskView>,
    next: Option<String>,
    first: Option<String>,
}

/// A form the API refused, to show again with its errors: the add form, or one task's edit form.
pub enum Refused {
    Nothing,
    Add(TaskForm),
    Edit(i64, TaskForm),
}

/// One line for a filter the API refused (an unknown status, a malformed tag, a stale cursor…).
fn filter_message(body: &Value) -> String {
    let fields = body["error"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    match fields.iter().next() {
        Some((field, msg)) => {
            let what = match field.as_str() {
                "q" => "Search",
                "tag" => "Tag",
                "cursor" => "Page link",
                "status" => "Show",
                "priority" => "Priority",
                "sort" | "order" => "Sort",
                _ => "Filter",
            };
            format!("{what} {}.", msg.as_str().unwrap_or("is invalid"))
        }
        None => capitalise(
            body["error"]["message"]
                .as_str()
                .unwrap_or("These filters are invalid."),
        ),
    }
}

/// Renders the list for `filters`, with a refused form shown with its errors (and status 422).
pub async fn list_page(
    web: &Web,
    csrf: CsrfToken,
    signed_in: SignedIn,
    headers: &HeaderMap,
    filters: Filters,
    refused: Refused,
) -> Result<Response, ApiError> {
    let SignedIn { user, tasks } = signed_in;
    let (status, add, edit) = match refused {
        Refused::Nothing => (StatusCode::OK, TaskForm::blank(), None),
        Refused::Add(form) => (StatusCode::UNPROCESSABLE_ENTITY, form, None),
        Refused::Edit(id, form) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            TaskForm::blank(),
            Some((id, form)),
        ),
    };
    let filters = filters.normalised();
    let (listed, next_cursor, filter_error) = match tasks.list(&filters.api_query()).await {
        Ok((listed, next)) => (listed, next, None),
        Err(ApiError::Invalid(body)) => (Vec::new(), None, Some(filter_message(&body))),
        Err(e) => return Err(e),
    };
    let today = Utc::now().date_naive();
    let mut views: Vec<TaskView> = listed
        .into_iter()
        .map(|t| TaskView::new(t, today))
        .collect();
    if let Some((id, form)) = edit {
        if let Some(t) = views.iter_mut().find(|t| t.id == id) {
            t.editing = Some(form);
        }
    }
    let on_cursor = !filters.cursor.is_empty();
    let summary = match (views.len(), next_cursor.is_some() || on_cursor) {
        (0, _) => String::new(),
        (1, false) => "1 task".to_owned(),
        (n, false) => format!("{n} tasks"),
        (n, true) => format!("{n} tasks on this page"),
    };
    let back = filters.page_url(
        Some(&filters.cursor)
            .filter(|c| !c.is_empty())
            .map(String::as_str),
    );
    let page = IndexPage {
        layout: Layout::new("Tasks", csrf.0, Some(user)),
        summary,
        flash: flash::read(&web.settings, headers),
        back,
        add,
        filtered: filters.filtered(),
        filter_error,
        next: next_cursor.map(|c| filters.page_url(Some(&c))),
        first: on_cursor.then(|| filters.page_url(None)),
        filters,
        tasks: views,
    };
    let mut response = (status, render(&page)).into_response();
    flash::clear_shown(&web.settings, headers, &mut response);
    Ok(response)
}

pub async fn index(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
    filters: Result<Query<Filters>, QueryRejection>,
) -> Result<Response, ApiError> {
    let filters = filters.map(|q| q.0).unwrap_or_default();
    list_page(&web, csrf, signed_in, &headers, filters, Refused::Nothing).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_page_url() {
        let f = Filters::of_url("/?q=milk+run&tag=home&sort=due&cursor=abc").normalised();
        assert_eq!(f.q, "milk run");
        assert_eq!(f.page_url(None), "/?q=milk+run&tag=home&sort=due");
        assert_eq!(
            f.page_url(Some("xyz")),
            "/?q=milk+run&tag=home&sort=due&cursor=xyz"
        );
        assert!(f.api_query().contains("order=asc"));
        assert_eq!(Filters::default().normalised().page_url(None), "/");
    }
}
