//! The task list page: the lists beside it, its filters and pages (all in the page URL), and each
//! task as shown, with its subtasks under it.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;
use todo_domain::{Recurrence, RepeatFrom, Task, TaskList, MAX_DEPTH};

use super::form::{priority_label, TaskForm};
use super::reminders;
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
    /// The list shown, by id; empty is all of them.
    #[serde(default)]
    pub list: String,
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
                "list" => f.list = v,
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
            ("list", self.list.as_str()),
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

    /// The page of the list shown (all filters cleared).
    pub fn list_url(&self) -> String {
        list_url(&self.list)
    }

    /// The list shown with only the tag `tag`.
    pub fn tag_url(&self, tag: &str) -> String {
        Filters {
            list: self.list.clone(),
            tag: tag.to_owned(),
            ..Filters::default()
        }
        .normalised()
        .page_url(None)
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
            ("list", self.list.as_str()),
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

/// The page of the list `id` (empty: all tasks).
pub fn list_url(id: &str) -> String {
    if id.is_empty() {
        "/".into()
    } else {
        format!(
            "/?list={}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        )
    }
}

/// A list as the sidebar and the list selects show it.
#[derive(Clone)]
pub struct ListView {
    pub id: String,
    pub name: String,
    pub colour: &'static str,
    pub open_tasks: i64,
    pub archived: bool,
    pub inbox: bool,
}

impl ListView {
    pub fn of(l: &TaskList) -> ListView {
        ListView {
            id: l.id.to_string(),
            name: l.name.clone(),
            colour: l.colour.as_str(),
            open_tasks: l.open_tasks,
            archived: l.archived,
            inbox: l.inbox,
        }
    }

    pub fn url(&self) -> String {
        list_url(&self.id)
    }
}

/// One task as the list shows it.
pub struct TaskView {
    id: i64,
    /// How deep under the top-level task (0 for it).
    depth: usize,
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
    /// The next reminder waiting to go off, in the user's zone ("Tue 2 Dec 09:00 (+1)").
    reminder: Option<String>,
    /// Every reminder in words, for the bell's tooltip.
    reminders: String,
    /// Its list's name and colour, when the page shows every list.
    list: Option<(String, &'static str)>,
    /// "2/5": direct subtasks done of all, when it has any.
    progress: Option<String>,
    open_subtasks: bool,
    /// Its subtasks at every level, each after its parent (top-level tasks only).
    subtasks: Vec<TaskView>,
    base_form: TaskForm,
    /// The submitted values and errors when this task's edit was refused.
    editing: Option<TaskForm>,
    /// The same when adding a subtask to it was refused.
    adding: Option<TaskForm>,
}

/// What the page needs to know to show tasks: today, now, and the user's zone.
#[derive(Clone, Copy)]
struct Clock {
    now: DateTime<Utc>,
    today: NaiveDate,
    tz: Tz,
}

impl TaskView {
    fn new(t: Task, clock: Clock, depth: usize) -> Self {
        let Clock { now, today, tz } = clock;
        // A due time is shown in the user's zone; a due date alone (midnight UTC) as that date.
        let timed = t.due_at.filter(|d| d.time() != NaiveTime::MIN);
        let due_date = t.due_at.map(|d| match timed {
            Some(_) => d.with_timezone(&tz).date_naive(),
            None => d.date_naive(),
        });
        let due_time = timed.map(|d| d.with_timezone(&tz).format(" %H:%M").to_string());
        let due_label = due_date.map(|d| {
            let days = (d - today).num_days();
            let day = match days {
                0 => "today".to_owned(),
                1 => "tomorrow".to_owned(),
                -1 => "yesterday".to_owned(),
                _ if d.format("%Y").to_string() == today.format("%Y").to_string() => {
                    d.format("%a %-d %b").to_string()
                }
                _ => d.format("%-d %b %Y").to_string(),
            };
            day + due_time.as_deref().unwrap_or_default()
        });
        let reminder = reminders::next_label(&t.reminders, now, tz);
        let reminders = t
            .reminders
            .iter()
            .map(|r| reminders::describe(&r.when, tz))
            .collect::<Vec<_>>()
            .join(", ");
        let progress =
            (t.subtask_count > 0).then(|| format!("{}/{}", t.subtasks_done, t.subtask_count));
        let mut recurrence = t.recurrence.as_ref().map(Recurrence::describe);
        if t.repeat_from == RepeatFrom::Completion {
            if let Some(r) = &mut recurrence {
                r.push_str(", from completion");
            }
        }
        TaskView {
            id: t.id,
            depth,
            list: None,
            progress,
            open_subtasks: t.subtasks_done < t.subtask_count,
            subtasks: Vec::new(),
            base_form: TaskForm::of(&t, tz),
            title: t.title,
            description: t.description.filter(|d| !d.trim().is_empty()),
            completed: t.completed,
            priority: t.priority.as_str(),
            priority_label: priority_label(t.priority),
            tags: t.tags,
            due: due_date.map(|d| d.to_string()).unwrap_or_default(),
            due_label,
            overdue: !t.completed && due_date.is_some_and(|d| d < today),
            recurrence,
            reminder,
            reminders,
            editing: None,
            adding: None,
        }
    }

    pub fn form(&self) -> &TaskForm {
        self.editing.as_ref().unwrap_or(&self.base_form)
    }

    /// Whether a subtask of it would be within the depth limit.
    pub fn can_nest(&self) -> bool {
        self.depth + 1 < MAX_DEPTH
    }

    /// Its add-subtask form: as refused, or empty.
    pub fn sub_form(&self) -> TaskForm {
        self.adding.clone().unwrap_or_default()
    }

    /// The task `id` among this one and its subtasks.
    fn find(&mut self, id: i64) -> Option<&mut TaskView> {
        if self.id == id {
            return Some(self);
        }
        self.subtasks.iter_mut().find(|t| t.id == id)
    }
}

/// `subtree` (descendants of `root`, any order) as views, each after its parent.
fn descendants(root: i64, subtree: &[Task], clock: Clock, depth: usize, out: &mut Vec<TaskView>) {
    for t in subtree.iter().filter(|t| t.parent_id == Some(root)) {
        out.push(TaskView::new(t.clone(), clock, depth));
        descendants(t.id, subtree, clock, depth + 1, out);
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    layout: Layout,
    /// The list shown, if one is.
    current: Option<ListView>,
    lists: Vec<ListView>,
    open_total: i64,
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

impl IndexPage {
    fn has_archived(&self) -> bool {
        self.lists.iter().any(|l| l.archived)
    }
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
                "list" => "List",
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
    let tz = tasks.time_zone().await?;
    let now = Utc::now();
    let clock = Clock {
        now,
        today: now.with_timezone(&tz).date_naive(),
        tz,
    };
    let (status, add, edit) = match refused {
        Refused::Nothing => (StatusCode::OK, TaskForm::blank(&filters.list, tz), None),
        // A refused subtask is shown in its parent's add-subtask form.
        Refused::Add(form) if !form.parent.is_empty() => match form.parent.parse() {
            Ok(parent) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                TaskForm::blank(&filters.list, tz),
                Some((parent, form, true)),
            ),
            Err(_) => (StatusCode::UNPROCESSABLE_ENTITY, form, None),
        },
        Refused::Add(form) => (StatusCode::UNPROCESSABLE_ENTITY, form, None),
        Refused::Edit(id, form) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            TaskForm::blank(&filters.list, tz),
            Some((id, form, false)),
        ),
    };
    let filters = filters.normalised();
    let lists: Vec<ListView> = tasks.lists().await?.iter().map(ListView::of).collect();
    let current_list = lists.iter().position(|l| l.id == filters.list);
    let (listed, next_cursor, filter_error) = match tasks.list(&filters.api_query()).await {
        Ok((listed, next)) => (listed, next, None),
        Err(ApiError::Invalid(body)) => (Vec::new(), None, Some(filter_message(&body))),
        Err(e) => return Err(e),
    };
    let mut views = Vec::with_capacity(listed.len());
    for t in listed {
        let subtree = if t.subtask_count > 0 {
            tasks.subtree(t.id).await?
        } else {
            Vec::new()
        };
        let mut view = TaskView::new(t, clock, 0);
        descendants(view.id, &subtree, clock, 1, &mut view.subtasks);
        if current_list.is_none() {
            view.list = lists
                .iter()
                .find(|l| l.id == view.base_form.list)
                .map(|l| (l.name.clone(), l.colour));
        }
        views.push(view);
    }
    if let Some((id, form, adding)) = edit {
        if let Some(t) = views.iter_mut().find_map(|t| t.find(id)) {
            if adding {
                t.adding = Some(form);
            } else {
                t.editing = Some(form);
            }
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
    let open_total = lists
        .iter()
        .filter(|l| !l.archived)
        .map(|l| l.open_tasks)
        .sum();
    let current = current_list.map(|i| lists[i].clone());
    let page = IndexPage {
        layout: Layout::new("Tasks", csrf.0, Some(user)),
        current,
        lists,
        open_total,
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
    Ok(flash::shown(
        &web.settings,
        headers,
        (status, render(&page)),
    ))
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
        let f = Filters::of_url("/?list=4&q=milk+run&tag=home&sort=due&cursor=abc").normalised();
        assert_eq!(f.q, "milk run");
        assert_eq!(f.page_url(None), "/?list=4&q=milk+run&tag=home&sort=due");
        assert_eq!(
            f.page_url(Some("xyz")),
            "/?list=4&q=milk+run&tag=home&sort=due&cursor=xyz"
        );
        assert!(f.api_query().contains("list=4"));
        assert_eq!(f.tag_url("work"), "/?list=4&tag=work");
        assert_eq!(f.list_url(), "/?list=4");
        assert!(f.api_query().contains("order=asc"));
        assert_eq!(Filters::default().normalised().page_url(None), "/");
    }
}
