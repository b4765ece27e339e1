//! The pages and their form handlers. Every action is a plain form POST answered with a redirect
//! (or, on invalid input, the page again with the errors beside the fields and status 422); htmx
//! only changes how the result is swapped in.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::assets;
use crate::security::{cookie, set_cookie, CsrfToken};
use crate::Web;

const SESSION_COOKIE: &str = "better-auth.session_token";
const FLASH_COOKIE: &str = "todo.flash";
const PAGE_SIZE: u32 = 20;
/// Backend answers the UI reads are small JSON documents.
const REPLY_LIMIT: usize = 4 * 1024 * 1024;

pub const PRIORITIES: [(&str, &str); 3] = [("high", "High"), ("medium", "Medium"), ("low", "Low")];
pub const RECURRENCES: [(&str, &str); 4] = [
    ("", "Never"),
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
];
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

// ---------------------------------------------------------------------------------------------
// Talking to the backend

/// An answer from the backend, read whole.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// The page could not be produced: the backend is unreachable or answered something unexpected.
pub struct PageError {
    status: StatusCode,
    message: &'static str,
}

impl PageError {
    fn unavailable() -> Self {
        PageError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "The service is not reachable right now. Please try again in a moment.",
        }
    }

    fn unexpected(reply: &Reply) -> Self {
        tracing::warn!(status = %reply.status, body = %reply.body, "unexpected backend answer");
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            return Self::unavailable();
        }
        PageError {
            status: StatusCode::BAD_GATEWAY,
            message: "Something went wrong on our side. Please try again.",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = MessagePage {
            layout: Layout::new("Something went wrong", String::new(), None),
            message: self.message,
            link: "/",
            link_text: "Try again",
        };
        (self.status, render(&page)).into_response()
    }
}

impl Web {
    async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
        incoming: &HeaderMap,
    ) -> Result<Reply, PageError> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        // Sessions record the browser they were made from.
        for name in [USER_AGENT.as_str(), "x-forwarded-for"] {
            if let Some(v) = incoming.get(name) {
                req = req.header(name, v.clone());
            }
        }
        let req = match body {
            Some(b) => req
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .map_err(|_| PageError::unavailable())?;
        let response = self.backend.send(req).await.map_err(|e| {
            tracing::warn!(error = %e.0, "backend unreachable");
            PageError::unavailable()
        })?;
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, REPLY_LIMIT)
            .await
            .map_err(|_| PageError::unavailable())?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// The signed-in user, with a fresh JWT for the task API; `None` without a valid session.
    async fn me(&self, headers: &HeaderMap) -> Result<Option<Me>, PageError> {
        let Some(session) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let reply = self
            .call(Method::GET, "/api/auth/token", Some(session), None, headers)
            .await?;
        match reply.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => return Ok(None),
            _ => return Err(PageError::unexpected(&reply)),
        }
        let jwt = reply.body["token"].as_str().unwrap_or_default().to_owned();
        // The backend just issued it; the claims are read, not trusted: every API call verifies it.
        let claims: Value = jwt
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let text = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
        let id = Some(text("sub"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| text("id"));
        if id.is_empty() {
            return Err(PageError::unexpected(&reply));
        }
        let email = text("email");
        let name = Some(text("name"))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.clone());
        Ok(Some(Me {
            id,
            name,
            email,
            jwt,
        }))
    }
}

pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    jwt: String,
}

// ---------------------------------------------------------------------------------------------
// Layout and small helpers

pub struct Layout {
    title: String,
    csrf: String,
    user: Option<Me>,
    css: &'static str,
    js: &'static str,
    htmx: &'static str,
    icon: &'static str,
}

impl Layout {
    fn new(title: &str, csrf: String, user: Option<Me>) -> Self {
        Layout {
            title: title.to_owned(),
            csrf,
            user,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.min.js"),
            icon: assets::url("icon.svg"),
        }
    }
}

fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Redirect-after-post; htmx follows it and swaps in the result.
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// Where to go without a session: htmx is told to load the page whole.
fn to_sign_in(headers: &HeaderMap) -> Response {
    if headers.contains_key("hx-request") {
        ([("hx-redirect", "/sign-in")], StatusCode::NO_CONTENT).into_response()
    } else {
        see_other("/sign-in")
    }
}

/// Only local paths of the list page are followed back to.
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with("/?") || b == "/" => b.to_owned(),
        _ => "/".to_owned(),
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "description" => "Notes",
        "priority" => "Priority",
        "tags" => "Tags",
        "due" => "Due date",
        "recurrence" => "Repeats",
        "email" => "Email",
        "password" => "Password",
        "name" => "Name",
        _ => "This",
    }
}

/// The API's 422 `fields`, keyed by this UI's field names and phrased as sentences.
fn field_errors(body: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let fields = body["error"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (field, message) in fields {
        let message = message.as_str().unwrap_or("is invalid");
        // serde's wording for a value outside a fixed set is not for people.
        let message = if message.contains("unknown variant") {
            "is not one of the choices"
        } else {
            message
        };
        // `tags[2]` is about the tags field.
        let base = field.split('[').next().unwrap_or_default();
        let key = match base {
            "due_at" => "due",
            "title" | "description" | "priority" | "tags" | "recurrence" | "email" | "password"
            | "name" => base,
            _ => "form",
        };
        let text = if key == "form" {
            capitalise(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("Please check the form."),
            )
        } else {
            format!("{} {message}.", field_label(key))
        };
        out.entry(key.to_owned()).or_insert(text);
    }
    if out.is_empty() {
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("Please check the form.");
        out.insert("form".into(), capitalise(message));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Flash messages (one redirect long), with the data to undo a deletion

#[derive(Serialize, Deserialize, Default)]
pub struct Flash {
    message: String,
    undo: Option<TaskForm>,
}

/// Cookies stay well under browsers' 4 KiB limit; a deletion too big to carry loses only its Undo.
const FLASH_MAX: usize = 3000;

fn flash_cookie(web: &Web, flash: &Flash) -> HeaderValue {
    let mut encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(flash).unwrap_or_default());
    if encoded.len() > FLASH_MAX {
        let plain = Flash {
            message: flash.message.clone(),
            undo: None,
        };
        encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&plain).unwrap_or_default());
    }
    set_cookie(&web.settings, FLASH_COOKIE, &encoded, Some(60), "Lax")
}

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()
}

fn redirect_with_flash(web: &Web, to: &str, message: String, undo: Option<TaskForm>) -> Response {
    let mut r = see_other(to);
    r.headers_mut()
        .append(SET_COOKIE, flash_cookie(web, &Flash { message, undo }));
    r
}

// ---------------------------------------------------------------------------------------------
// Sign up, sign in, sign out

#[derive(Deserialize, Default)]
pub struct Credentials {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

struct AuthForm {
    name: String,
    email: String,
    errors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "auth.html")]
struct AuthPage {
    layout: Layout,
    sign_up: bool,
    form: AuthForm,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    message: &'static str,
    link: &'static str,
    link_text: &'static str,
}

fn auth_page(csrf: String, sign_up: bool, form: AuthForm, status: StatusCode) -> Response {
    let title = if sign_up { "Sign up" } else { "Sign in" };
    let page = AuthPage {
        layout: Layout::new(title, csrf, None),
        sign_up,
        form,
    };
    (status, render(&page)).into_response()
}

pub async fn sign_in_page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    blank_auth_page(&web, csrf, &headers, false).await
}

pub async fn sign_up_page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    blank_auth_page(&web, csrf, &headers, true).await
}

/// An empty sign-in or sign-up form; someone already signed in goes to their list instead.
async fn blank_auth_page(
    web: &Web,
    csrf: CsrfToken,
    headers: &HeaderMap,
    sign_up: bool,
) -> Result<Response, PageError> {
    if web.me(headers).await?.is_some() {
        return Ok(see_other("/"));
    }
    let form = AuthForm {
        name: String::new(),
        email: String::new(),
        errors: BTreeMap::new(),
    };
    Ok(auth_page(csrf.0, sign_up, form, StatusCode::OK))
}

async fn authenticate(
    web: &Web,
    csrf: CsrfToken,
    headers: &HeaderMap,
    input: Credentials,
    sign_up: bool,
) -> Result<Response, PageError> {
    let (path, body) = if sign_up {
        (
            "/api/auth/sign-up/email",
            json!({"name": input.name, "email": input.email, "password": input.password}),
        )
    } else {
        (
            "/api/auth/sign-in/email",
            json!({"email": input.email, "password": input.password}),
        )
    };
    let reply = web
        .call(Method::POST, path, None, Some(body), headers)
        .await?;
    let errors = match reply.status {
        StatusCode::OK => {
            // The backend's session cookie (HttpOnly, SameSite=Lax) is handed to the browser as is.
            let mut r = see_other("/");
            for c in reply.headers.get_all(SET_COOKIE) {
                r.headers_mut().append(SET_COOKIE, c.clone());
            }
            return Ok(r);
        }
        StatusCode::UNAUTHORIZED => {
            BTreeMap::from([("form".to_owned(), "Wrong email or password.".to_owned())])
        }
        StatusCode::CONFLICT => BTreeMap::from([(
            "email".to_owned(),
            "An account with this email already exists. Sign in instead?".to_owned(),
        )]),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => field_errors(&reply.body),
        _ => return Err(PageError::unexpected(&reply)),
    };
    let status = if reply.status == StatusCode::UNAUTHORIZED {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = AuthForm {
        name: input.name,
        email: input.email,
        errors,
    };
    Ok(auth_page(csrf.0, sign_up, form, status))
}

pub async fn sign_in(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    Form(input): Form<Credentials>,
) -> Result<Response, PageError> {
    authenticate(&web, csrf, &headers, input, false).await
}

pub async fn sign_up(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    Form(input): Form<Credentials>,
) -> Result<Response, PageError> {
    authenticate(&web, csrf, &headers, input, true).await
}

pub async fn sign_out(State(web): State<Web>, headers: HeaderMap) -> Result<Response, PageError> {
    let session = cookie(&headers, SESSION_COOKIE).map(str::to_owned);
    let reply = web
        .call(
            Method::POST,
            "/api/auth/sign-out",
            session.as_deref(),
            None,
            &headers,
        )
        .await?;
    let mut r = see_other("/sign-in");
    for c in reply.headers.get_all(SET_COOKIE) {
        r.headers_mut().append(SET_COOKIE, c.clone());
    }
    Ok(r)
}

/// The answer to a form whose CSRF token is missing or stale.
pub fn forbidden_form() -> Response {
    let page = MessagePage {
        layout: Layout::new("Please try again", String::new(), None),
        message: "This form expired or did not come from this site. Reload the page and try again.",
        link: "/",
        link_text: "Reload",
    };
    (StatusCode::FORBIDDEN, render(&page)).into_response()
}

pub async fn not_found() -> Response {
    let page = MessagePage {
        layout: Layout::new("Page not found", String::new(), None),
        message: "There is no page at this address.",
        link: "/",
        link_text: "Go to your tasks",
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}

// ---------------------------------------------------------------------------------------------
// The task list

/// The list's filters, as in the page URL.
#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

impl Filters {
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

/// The values and errors of a task form.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    description: String,
    priority: String,
    tags: String,
    due: String,
    recurrence: String,
    completed: String,
    #[serde(skip)]
    errors: BTreeMap<String, String>,
}

impl TaskForm {
    fn blank() -> Self {
        TaskForm {
            priority: "medium".into(),
            ..TaskForm::default()
        }
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Whether the add form's extra options should be shown open.
    fn has_details(&self) -> bool {
        ["priority", "tags", "due", "recurrence", "description"]
            .iter()
            .any(|f| self.errors.contains_key(*f))
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn create_body(&self) -> Value {
        let mut body = json!({
            "title": self.title.trim(),
            "priority": if self.priority.is_empty() { "medium" } else { self.priority.as_str() },
            "tags": self.tags(),
            "completed": self.completed == "true",
        });
        for (k, v) in [
            ("description", &self.description),
            ("due_at", &self.due),
            ("recurrence", &self.recurrence),
        ] {
            if !v.trim().is_empty() {
                body[k] = json!(v.trim());
            }
        }
        body
    }

    fn update_body(&self) -> Value {
        let opt = |v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Value::Null
            } else {
                json!(v)
            }
        };
        let mut body = json!({
            "title": self.title.trim(),
            "tags": self.tags(),
            "description": opt(&self.description),
            "due_at": opt(&self.due),
            "recurrence": opt(&self.recurrence),
        });
        if !self.priority.is_empty() {
            body["priority"] = json!(self.priority);
        }
        body
    }
}

/// A task as the API returns it (only the fields the UI shows).
#[derive(Deserialize)]
struct ApiTask {
    id: i64,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: String,
    #[serde(default)]
    tags: Vec<String>,
    due_at: Option<DateTime<Utc>>,
    recurrence: Option<String>,
}

impl ApiTask {
    fn form(&self) -> TaskForm {
        TaskForm {
            title: self.title.clone(),
            description: self.description.clone().unwrap_or_default(),
            priority: self.priority.clone(),
            tags: self.tags.join(", "),
            due: self
                .due_at
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default(),
            recurrence: self.recurrence.clone().unwrap_or_default(),
            completed: self.completed.to_string(),
            errors: BTreeMap::new(),
        }
    }
}

pub struct TaskView {
    id: i64,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: String,
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
    fn new(t: ApiTask, today: NaiveDate) -> Self {
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
            base_form: t.form(),
            title: t.title,
            description: t.description.filter(|d| !d.trim().is_empty()),
            completed: t.completed,
            priority_label: PRIORITIES
                .iter()
                .find(|(v, _)| *v == t.priority)
                .map_or("Medium", |(_, l)| l),
            priority: t.priority,
            tags: t.tags,
            due: due_date.map(|d| d.to_string()).unwrap_or_default(),
            due_label,
            overdue: !t.completed && due_date.is_some_and(|d| d < today),
            recurrence: t.recurrence,
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
enum Refused {
    Nothing,
    Add(TaskForm),
    Edit(i64, TaskForm),
}

/// Renders the list for `filters`, with a refused form shown with its errors (and status 422).
async fn list_page(
    web: &Web,
    csrf: CsrfToken,
    me: Me,
    headers: &HeaderMap,
    filters: Filters,
    refused: Refused,
) -> Result<Response, PageError> {
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
    let path = format!(
        "/api/{}/tasks?{}",
        url::form_urlencoded::byte_serialize(me.id.as_bytes()).collect::<String>(),
        filters.api_query()
    );
    let reply = web
        .call(Method::GET, &path, Some(&me.jwt), None, headers)
        .await?;
    let (tasks, next_cursor, filter_error) = match reply.status {
        StatusCode::OK => {
            let tasks: Vec<ApiTask> = serde_json::from_value(reply.body.clone())
                .map_err(|_| PageError::unexpected(&reply))?;
            let next = reply
                .headers
                .get("x-next-cursor")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (tasks, next, None)
        }
        StatusCode::UNPROCESSABLE_ENTITY => (Vec::new(), None, Some(filter_message(&reply.body))),
        StatusCode::UNAUTHORIZED => return Ok(to_sign_in(headers)),
        _ => return Err(PageError::unexpected(&reply)),
    };
    let today = Utc::now().date_naive();
    let mut tasks: Vec<TaskView> = tasks.into_iter().map(|t| TaskView::new(t, today)).collect();
    if let Some((id, form)) = edit {
        if let Some(t) = tasks.iter_mut().find(|t| t.id == id) {
            t.editing = Some(form);
        }
    }
    let on_cursor = !filters.cursor.is_empty();
    let shown = tasks.len();
    let summary = match (shown, next_cursor.is_some() || on_cursor) {
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
        layout: Layout::new("Tasks", csrf.0, Some(me)),
        summary,
        flash: read_flash(headers),
        back,
        add,
        filtered: filters.filtered(),
        filter_error,
        next: next_cursor.map(|c| filters.page_url(Some(&c))),
        first: on_cursor.then(|| filters.page_url(None)),
        filters,
        tasks,
    };
    let mut response = (status, render(&page)).into_response();
    if cookie(headers, FLASH_COOKIE).is_some() {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(&web.settings, FLASH_COOKIE, "", Some(0), "Lax"),
        );
    }
    Ok(response)
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

pub async fn index(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    filters: Result<Query<Filters>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Some(me) = web.me(&headers).await? else {
        return Ok(to_sign_in(&headers));
    };
    let filters = filters.map(|q| q.0).unwrap_or_default();
    list_page(&web, csrf, me, &headers, filters, Refused::Nothing).await
}

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

fn filters_of(back: &str) -> Filters {
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

fn user_path(me: &Me, rest: &str) -> String {
    format!(
        "/api/{}/tasks{rest}",
        url::form_urlencoded::byte_serialize(me.id.as_bytes()).collect::<String>()
    )
}

pub async fn create(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    Form(input): Form<TaskInput>,
) -> Result<Response, PageError> {
    let Some(me) = web.me(&headers).await? else {
        return Ok(to_sign_in(&headers));
    };
    let back = safe_back(input.back.as_deref());
    let mut form = input.form;
    let reply = web
        .call(
            Method::POST,
            &user_path(&me, ""),
            Some(&me.jwt),
            Some(form.create_body()),
            &headers,
        )
        .await?;
    match reply.status {
        StatusCode::CREATED => {
            let title = reply.body["title"].as_str().unwrap_or_default();
            let verb = if input.restore.is_some() {
                "Restored"
            } else {
                "Added"
            };
            Ok(redirect_with_flash(
                &web,
                &back,
                format!("{verb} “{title}”."),
                None,
            ))
        }
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            form.errors = field_errors(&reply.body);
            list_page(
                &web,
                csrf,
                me,
                &headers,
                filters_of(&back),
                Refused::Add(form),
            )
            .await
        }
        StatusCode::UNAUTHORIZED => Ok(to_sign_in(&headers)),
        _ => Err(PageError::unexpected(&reply)),
    }
}

pub async fn update(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    TaskId(id): TaskId,
    Form(input): Form<TaskInput>,
) -> Result<Response, PageError> {
    let Some(me) = web.me(&headers).await? else {
        return Ok(to_sign_in(&headers));
    };
    let back = safe_back(input.back.as_deref());
    let mut form = input.form;
    let reply = web
        .call(
            Method::PUT,
            &user_path(&me, &format!("/{id}")),
            Some(&me.jwt),
            Some(form.update_body()),
            &headers,
        )
        .await?;
    match reply.status {
        StatusCode::OK => {
            let title = reply.body["title"].as_str().unwrap_or_default();
            Ok(redirect_with_flash(
                &web,
                &back,
                format!("Saved “{title}”."),
                None,
            ))
        }
        StatusCode::NOT_FOUND => Ok(redirect_with_flash(
            &web,
            &back,
            "That task no longer exists.".into(),
            None,
        )),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            form.errors = field_errors(&reply.body);
            list_page(
                &web,
                csrf,
                me,
                &headers,
                filters_of(&back),
                Refused::Edit(id, form),
            )
            .await
        }
        StatusCode::UNAUTHORIZED => Ok(to_sign_in(&headers)),
        _ => Err(PageError::unexpected(&reply)),
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

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    back: Option<String>,
}

pub async fn toggle(
    State(web): State<Web>,
    headers: HeaderMap,
    TaskId(id): TaskId,
    Form(input): Form<Back>,
) -> Result<Response, PageError> {
    let Some(me) = web.me(&headers).await? else {
        return Ok(to_sign_in(&headers));
    };
    let back = safe_back(input.back.as_deref());
    let reply = web
        .call(
            Method::PATCH,
            &user_path(&me, &format!("/{id}/complete")),
            Some(&me.jwt),
            None,
            &headers,
        )
        .await?;
    let message = match reply.status {
        StatusCode::OK => {
            let title = reply.body["title"].as_str().unwrap_or_default();
            let done = reply.body["completed"].as_bool().unwrap_or_default();
            match (done, reply.body["recurrence"].is_string()) {
                (true, true) => format!("Completed “{title}”; the next one is on the list."),
                (true, false) => format!("Completed “{title}”."),
                (false, _) => format!("“{title}” is back on the list."),
            }
        }
        StatusCode::NOT_FOUND => "That task no longer exists.".into(),
        StatusCode::UNAUTHORIZED => return Ok(to_sign_in(&headers)),
        _ => return Err(PageError::unexpected(&reply)),
    };
    Ok(redirect_with_flash(&web, &back, message, None))
}

pub async fn delete(
    State(web): State<Web>,
    headers: HeaderMap,
    TaskId(id): TaskId,
    Form(input): Form<Back>,
) -> Result<Response, PageError> {
    let Some(me) = web.me(&headers).await? else {
        return Ok(to_sign_in(&headers));
    };
    let back = safe_back(input.back.as_deref());
    let path = user_path(&me, &format!("/{id}"));
    // Read it first, so the deletion can be undone.
    let found = web
        .call(Method::GET, &path, Some(&me.jwt), None, &headers)
        .await?;
    let task: Option<ApiTask> = match found.status {
        StatusCode::OK => serde_json::from_value(found.body.clone()).ok(),
        StatusCode::NOT_FOUND => None,
        StatusCode::UNAUTHORIZED => return Ok(to_sign_in(&headers)),
        _ => return Err(PageError::unexpected(&found)),
    };
    let Some(task) = task else {
        return Ok(redirect_with_flash(
            &web,
            &back,
            "That task no longer exists.".into(),
            None,
        ));
    };
    let reply = web
        .call(Method::DELETE, &path, Some(&me.jwt), None, &headers)
        .await?;
    match reply.status {
        StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(redirect_with_flash(
            &web,
            &back,
            format!("Deleted “{}”.", task.title),
            Some(task.form()),
        )),
        StatusCode::UNAUTHORIZED => Ok(to_sign_in(&headers)),
        _ => Err(PageError::unexpected(&reply)),
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
    }

    #[test]
    fn filters_round_trip_through_the_page_url() {
        let f = filters_of("/?q=milk+run&tag=home&sort=due&cursor=abc").normalised();
        assert_eq!(f.q, "milk run");
        assert_eq!(f.page_url(None), "/?q=milk+run&tag=home&sort=due");
        assert_eq!(
            f.page_url(Some("xyz")),
            "/?q=milk+run&tag=home&sort=due&cursor=xyz"
        );
        assert!(f.api_query().contains("order=asc"));
        assert_eq!(Filters::default().normalised().page_url(None), "/");
    }

    #[test]
    fn api_field_errors_land_on_the_form_fields() {
        let body = json!({"error": {"code": "validation_failed", "message": "x",
            "fields": {"tags[1]": "must be at most 32 characters", "due_at": "must be a date"}}});
        let e = field_errors(&body);
        assert_eq!(e["tags"], "Tags must be at most 32 characters.");
        assert_eq!(e["due"], "Due date must be a date.");
        // An error about no field of the form is shown above it.
        let body = json!({"error": {"code": "validation_failed", "message": "body give at least one field",
            "fields": {"body": "give at least one field"}}});
        assert_eq!(field_errors(&body)["form"], "Body give at least one field");
    }

    #[test]
    fn emptied_optional_fields_are_cleared_on_update() {
        let form = TaskForm {
            title: " Buy milk ".into(),
            priority: "high".into(),
            tags: "home, , errands".into(),
            ..TaskForm::default()
        };
        let body = form.update_body();
        assert_eq!(body["title"], "Buy milk");
        assert_eq!(body["tags"], json!(["home", "errands"]));
        assert_eq!(body["due_at"], Value::Null);
        assert!(form.create_body().get("due_at").is_none());
    }
}
