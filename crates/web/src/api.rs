//! The typed client for the backend's API: one method per call the pages make, the expected answer
//! as todo-domain's types, any other as one [`ApiError`].

use std::net::SocketAddr;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, RETRY_AFTER, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{json, Value};
use todo_auth::session_cookie;
use todo_domain::{Notification, Settings, Task, TaskList, Webhook};
use todo_transfer::{CalendarLink, CalendarLinkStatus, ImportSummary};

use crate::backend::Backend;
use crate::layout::{to_sign_in, PageError};
use crate::security::cookie;
use crate::Web;

/// Backend answers the UI reads are small JSON documents.
const REPLY_LIMIT: usize = 4 * 1024 * 1024;
/// Except an export, which holds every task of the user's.
const EXPORT_LIMIT: usize = 256 * 1024 * 1024;

/// A backend answer other than the one a call expects. Pages match the answers that mean something
/// to them; the rest answer for themselves.
pub enum ApiError {
    /// 401: no valid session (or, to a sign-in, wrong credentials). `htmx` says how the browser is
    /// sent to sign in.
    Unauthorized { htmx: bool },
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 429: too many sign-in or sign-up attempts; a retry may succeed after this many seconds.
    Limited(u64),
    /// 400 or 422, with the API's error document.
    Invalid(Value),
    /// The backend is unreachable, or answered in a way no page can use.
    Failed(PageError),
}

impl From<PageError> for ApiError {
    fn from(e: PageError) -> Self {
        ApiError::Failed(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unexpected = |status, body: &Value| PageError::unexpected(status, body).into_response();
        match self {
            ApiError::Unauthorized { htmx } => to_sign_in(htmx),
            ApiError::NotFound => unexpected(StatusCode::NOT_FOUND, &Value::Null),
            ApiError::Conflict => unexpected(StatusCode::CONFLICT, &Value::Null),
            ApiError::Limited(_) => unexpected(StatusCode::TOO_MANY_REQUESTS, &Value::Null),
            ApiError::Invalid(body) => unexpected(StatusCode::UNPROCESSABLE_ENTITY, &body),
            ApiError::Failed(e) => e.into_response(),
        }
    }
}

/// An answer from the backend, read whole.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// The backend as one page request calls it.
#[derive(Clone)]
pub struct Api {
    backend: Backend,
    /// The browser's own headers worth passing on: sessions record the browser they were made from.
    forwarded: HeaderMap,
    /// The browser's connection: the backend limits sign-ins per client address.
    peer: Option<ConnectInfo<SocketAddr>>,
    /// The session cookie the browser sent.
    session: Option<String>,
    /// Whether htmx made the request.
    htmx: bool,
}

impl FromRequestParts<Web> for Api {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        Ok(Api::of(web, parts))
    }
}

impl Api {
    /// The backend as the request with `parts` calls it.
    pub fn of(web: &Web, parts: &Parts) -> Api {
        let headers = &parts.headers;
        let mut forwarded = HeaderMap::new();
        for name in [USER_AGENT.as_str(), "x-forwarded-for", "x-forwarded-proto"] {
            if let Some(v) = headers.get(name) {
                forwarded.insert(name, v.clone());
            }
        }
        // The address the browser used: links the API makes (the calendar feed's) name it.
        if let Some(v) = headers.get("x-forwarded-host").or(headers.get(HOST)) {
            forwarded.insert("x-forwarded-host", v.clone());
        }
        Api {
            backend: web.backend.clone(),
            forwarded,
            peer: parts.extensions.get::<ConnectInfo<SocketAddr>>().copied(),
            session: cookie(headers, session_cookie(web.settings.secure_cookies))
                .map(str::to_owned),
            htmx: headers.contains_key("hx-request"),
        }
    }

    pub fn htmx(&self) -> bool {
        self.htmx
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Result<Reply, PageError> {
        let body = body.map(|b| ("application/json", Bytes::from(b.to_string())));
        let (status, headers, bytes) = self
            .exchange(method, path, bearer, body, REPLY_LIMIT)
            .await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Sends a request with `body` (of its content type) and reads the answer whole, up to `limit` bytes.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<(&str, Bytes)>,
        limit: usize,
    ) -> Result<(StatusCode, HeaderMap, Bytes), PageError> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in &self.forwarded {
            req = req.header(name, value);
        }
        if let Some(peer) = self.peer {
            req = req.extension(peer);
        }
        let req = match body {
            Some((content_type, b)) => req.header(CONTENT_TYPE, content_type).body(Body::from(b)),
            None => req.body(Body::empty()),
        }
        .map_err(|_| PageError::unavailable())?;
        let response = self.backend.send(req).await.map_err(|e| {
            tracing::warn!(error = %e.0, "backend unreachable");
            PageError::unavailable()
        })?;
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, limit)
            .await
            .map_err(|_| PageError::unavailable())?;
        Ok((parts.status, parts.headers, bytes))
    }

    /// The body of `reply` as `T` when its status is `expected`; any other answer as an [`ApiError`].
    fn expect<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        expected: StatusCode,
    ) -> Result<T, ApiError> {
        let unexpected = || PageError::unexpected(reply.status, &reply.body).into();
        if reply.status == expected {
            return T::deserialize(&reply.body).map_err(|_| unexpected());
        }
        Err(self.refusal(reply))
    }

    /// An answer other than the one expected, as an [`ApiError`].
    fn refusal(&self, reply: &Reply) -> ApiError {
        let unexpected = || PageError::unexpected(reply.status, &reply.body).into();
        match reply.status {
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized { htmx: self.htmx },
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::CONFLICT => ApiError::Conflict,
            StatusCode::TOO_MANY_REQUESTS => ApiError::Limited(
                reply
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(1),
            ),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                ApiError::Invalid(reply.body.clone())
            }
            _ => unexpected(),
        }
    }

    /// The signed-in user, with their tasks on the backend; `None` without a valid session.
    pub async fn me(&self) -> Result<Option<(Me, Tasks)>, ApiError> {
        #[derive(Deserialize)]
        struct Token {
            token: String,
        }
        let Some(session) = &self.session else {
            return Ok(None);
        };
        let reply = self
            .call(Method::GET, "/api/auth/token", Some(session), None)
            .await?;
        let jwt = match self.expect::<Token>(&reply, StatusCode::OK) {
            Ok(t) => t.token,
            Err(ApiError::Unauthorized { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
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
            return Err(PageError::unexpected(reply.status, &reply.body).into());
        }
        let email = text("email");
        let name = Some(text("name"))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.clone());
        let tasks = Tasks {
            api: self.clone(),
            path: format!("/api/{}", todo_domain::user_id_segment(&id)),
            jwt,
        };
        // The header's count on every page; a page still shows when only the count fails.
        let unread = tasks.notifications(1).await.map_or(0, |p| p.unread);
        let me = Me {
            id,
            name,
            email,
            unread,
        };
        Ok(Some((me, tasks)))
    }

    /// Signs in; the answer is the session cookie the backend set, for the browser.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Vec<HeaderValue>, ApiError> {
        let body = json!({"email": email, "password": password});
        self.start_session("/api/auth/sign-in/email", body).await
    }

    /// Creates an account and signs in; the answer is the session cookie, as for [`Api::sign_in`].
    pub async fn sign_up(
        &self,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<Vec<HeaderValue>, ApiError> {
        let body = json!({"name": name, "email": email, "password": password});
        self.start_session("/api/auth/sign-up/email", body).await
    }

    async fn start_session(&self, path: &str, body: Value) -> Result<Vec<HeaderValue>, ApiError> {
        let reply = self.call(Method::POST, path, None, Some(body)).await?;
        self.expect::<IgnoredAny>(&reply, StatusCode::OK)?;
        Ok(set_cookies(&reply))
    }

    /// Ends the session, whatever state the backend finds it in; the answer is the cookie that
    /// clears it in the browser.
    pub async fn sign_out(&self) -> Result<Vec<HeaderValue>, PageError> {
        let reply = self
            .call(
                Method::POST,
                "/api/auth/sign-out",
                self.session.as_deref(),
                None,
            )
            .await?;
        Ok(set_cookies(&reply))
    }
}

fn set_cookies(reply: &Reply) -> Vec<HeaderValue> {
    reply.headers.get_all(SET_COOKIE).iter().cloned().collect()
}

/// Who is signed in, as the page header shows them.
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Unread notifications, for the header.
    pub unread: i64,
}

/// The signed-in user's tasks, lists and settings on the backend.
pub struct Tasks {
    api: Api,
    /// `/api/{user_id}`.
    path: String,
    jwt: String,
}

impl Tasks {
    /// Sends `method` to the user's path followed by `rest`.
    async fn send(
        &self,
        method: Method,
        rest: &str,
        body: Option<Value>,
    ) -> Result<Reply, PageError> {
        let path = format!("{}{rest}", self.path);
        self.api.call(method, &path, Some(&self.jwt), body).await
    }

    /// Sends, and reads a `T` from an answer with status `expected`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        rest: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Result<T, ApiError> {
        let reply = self.send(method, rest, body).await?;
        self.api.expect(&reply, expected)
    }

    /// One page of the list for `query` (the API's query string), and the cursor of the next page.
    pub async fn list(&self, query: &str) -> Result<(Vec<Task>, Option<String>), ApiError> {
        let reply = self
            .send(Method::GET, &format!("/tasks?{query}"), None)
            .await?;
        let tasks = self.api.expect(&reply, StatusCode::OK)?;
        let next = reply
            .headers
            .get("x-next-cursor")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((tasks, next))
    }

    /// Every task under `id`, at any depth, oldest first: a subtree is at most what a parent can
    /// hold in one page of the API, which is far more than a page shows.
    pub async fn subtree(&self, id: i64) -> Result<Vec<Task>, ApiError> {
        let query = format!("parent={id}&status=all&sort=created&order=asc&limit=200");
        Ok(self.list(&query).await?.0)
    }

    pub async fn get(&self, id: i64) -> Result<Task, ApiError> {
        let rest = format!("/tasks/{id}");
        self.call(Method::GET, &rest, None, StatusCode::OK).await
    }

    /// Creates a task from a create body (see `TaskForm::create_body`).
    pub async fn create(&self, body: Value) -> Result<Task, ApiError> {
        self.call(Method::POST, "/tasks", Some(body), StatusCode::CREATED)
            .await
    }

    /// Changes a task with an update body (see `TaskForm::update_body`).
    pub async fn update(&self, id: i64, body: Value) -> Result<Task, ApiError> {
        let rest = format!("/tasks/{id}");
        self.call(Method::PUT, &rest, Some(body), StatusCode::OK)
            .await
    }

    /// Marks a task done (with its open subtasks when `subtasks`), or not done again.
    pub async fn toggle(&self, id: i64, subtasks: bool) -> Result<Task, ApiError> {
        let rest = format!("/tasks/{id}/complete?complete_subtasks={subtasks}");
        self.call(Method::PATCH, &rest, None, StatusCode::OK).await
    }

    /// The user's export document as the API wrote it.
    pub async fn export(&self) -> Result<Bytes, ApiError> {
        let path = format!("{}/export", self.path);
        let (status, _, bytes) = self
            .api
            .exchange(Method::GET, &path, Some(&self.jwt), None, EXPORT_LIMIT)
            .await?;
        if status == StatusCode::OK {
            return Ok(bytes);
        }
        let reply = Reply {
            status,
            headers: HeaderMap::new(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        Err(self.api.refusal(&reply))
    }

    /// Imports `file` (of `content_type`), or with `dry_run` says what that would create.
    pub async fn import(
        &self,
        file: Bytes,
        content_type: &str,
        list: &str,
        dry_run: bool,
    ) -> Result<ImportSummary, ApiError> {
        let list: String = url::form_urlencoded::byte_serialize(list.as_bytes()).collect();
        let path = format!("{}/import?dry_run={dry_run}&list={list}", self.path);
        let (status, headers, bytes) = self
            .api
            .exchange(
                Method::POST,
                &path,
                Some(&self.jwt),
                Some((content_type, file)),
                REPLY_LIMIT,
            )
            .await?;
        let reply = Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        let expected = if dry_run {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        self.api.expect(&reply, expected)
    }

    /// Deletes a task with its subtasks; the answer is how many subtasks went with it.
    pub async fn delete(&self, id: i64) -> Result<u64, ApiError> {
        let reply = self
            .send(Method::DELETE, &format!("/tasks/{id}"), None)
            .await?;
        self.api
            .expect::<IgnoredAny>(&reply, StatusCode::NO_CONTENT)?;
        Ok(count_header(&reply, "x-subtasks-deleted"))
    }

    /// The user's lists, the Inbox first, archived ones included.
    pub async fn lists(&self) -> Result<Vec<TaskList>, ApiError> {
        self.call(Method::GET, "/lists", None, StatusCode::OK).await
    }

    pub async fn get_list(&self, id: i64) -> Result<TaskList, ApiError> {
        let rest = format!("/lists/{id}");
        self.call(Method::GET, &rest, None, StatusCode::OK).await
    }

    pub async fn create_list(&self, body: Value) -> Result<TaskList, ApiError> {
        self.call(Method::POST, "/lists", Some(body), StatusCode::CREATED)
            .await
    }

    pub async fn update_list(&self, id: i64, body: Value) -> Result<TaskList, ApiError> {
        let rest = format!("/lists/{id}");
        self.call(Method::PUT, &rest, Some(body), StatusCode::OK)
            .await
    }

    /// Deletes a list; `tasks` is what becomes of its tasks (`move` or `delete`), needed when it has
    /// any. The answer is how many tasks were moved or deleted.
    pub async fn delete_list(&self, id: i64, tasks: Option<&str>) -> Result<u64, ApiError> {
        let rest = match tasks {
            Some(t) => format!("/lists/{id}?tasks={t}"),
            None => format!("/lists/{id}"),
        };
        let reply = self.send(Method::DELETE, &rest, None).await?;
        self.api
            .expect::<IgnoredAny>(&reply, StatusCode::NO_CONTENT)?;
        Ok(count_header(&reply, "x-tasks-affected"))
    }

    /// The server's VAPID public key (base64url), which browsers subscribe with.
    pub async fn push_key(&self) -> Result<String, ApiError> {
        let key: Value = self
            .call(Method::GET, "/push/key", None, StatusCode::OK)
            .await?;
        Ok(key["public_key"].as_str().unwrap_or_default().to_owned())
    }

    /// How many devices receive the user's push notifications.
    pub async fn push_devices(&self) -> Result<usize, ApiError> {
        let list: Value = self
            .call(Method::GET, "/push/subscriptions", None, StatusCode::OK)
            .await?;
        Ok(list["subscriptions"].as_array().map_or(0, Vec::len))
    }

    /// Stores a browser's push subscription, as the browser wrote it (new or known).
    pub async fn subscribe_push(&self, subscription: Value) -> Result<(), ApiError> {
        let reply = self
            .send(Method::POST, "/push/subscriptions", Some(subscription))
            .await?;
        let expected = match reply.status {
            StatusCode::OK => StatusCode::OK,
            _ => StatusCode::CREATED,
        };
        self.api.expect::<IgnoredAny>(&reply, expected)?;
        Ok(())
    }

    /// Swaps the subscription a browser replaced for its new one (`{"old_endpoint", "subscription"}`).
    pub async fn renew_push(&self, body: Value) -> Result<(), ApiError> {
        self.call::<IgnoredAny>(
            Method::POST,
            "/push/subscriptions/renew",
            Some(body),
            StatusCode::OK,
        )
        .await?;
        Ok(())
    }

    /// Stops push notifications to the device at `endpoint` (done too when it was not subscribed).
    pub async fn unsubscribe_push(&self, endpoint: &str) -> Result<(), ApiError> {
        let body = json!({ "endpoint": endpoint });
        let reply = self
            .send(Method::DELETE, "/push/subscriptions", Some(body))
            .await?;
        match self
            .api
            .expect::<IgnoredAny>(&reply, StatusCode::NO_CONTENT)
        {
            Ok(_) | Err(ApiError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn settings(&self) -> Result<Settings, ApiError> {
        self.call(Method::GET, "/settings", None, StatusCode::OK)
            .await
    }

    /// The user's time zone, which the pages show local times in.
    pub async fn time_zone(&self) -> Result<chrono_tz::Tz, ApiError> {
        Ok(self
            .settings()
            .await?
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Tz::UTC))
    }

    /// The user's notifications, newest first, and how many are unread.
    pub async fn notifications(&self, limit: u32) -> Result<NotificationPage, ApiError> {
        let rest = format!("/notifications?limit={limit}");
        self.call(Method::GET, &rest, None, StatusCode::OK).await
    }

    /// Marks every notification read.
    pub async fn mark_all_read(&self) -> Result<(), ApiError> {
        let body = json!({"all": true});
        self.call::<IgnoredAny>(
            Method::POST,
            "/notifications/read",
            Some(body),
            StatusCode::OK,
        )
        .await
        .map(|_| ())
    }

    pub async fn update_settings(&self, body: Value) -> Result<Settings, ApiError> {
        self.call(Method::PUT, "/settings", Some(body), StatusCode::OK)
            .await
    }

    /// Whether the user has a calendar feed link.
    pub async fn calendar_link(&self) -> Result<CalendarLinkStatus, ApiError> {
        self.call(Method::GET, "/calendar-token", None, StatusCode::OK)
            .await
    }

    /// A new calendar feed link, revoking the old one.
    pub async fn new_calendar_link(&self) -> Result<CalendarLink, ApiError> {
        self.call(Method::POST, "/calendar-token", None, StatusCode::CREATED)
            .await
    }

    pub async fn revoke_calendar_link(&self) -> Result<(), ApiError> {
        let reply = self.send(Method::DELETE, "/calendar-token", None).await?;
        self.api
            .expect::<IgnoredAny>(&reply, StatusCode::NO_CONTENT)?;
        Ok(())
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ApiError> {
        self.call(Method::GET, "/webhooks", None, StatusCode::OK)
            .await
    }

    /// Registers a webhook; the answer's `secret` is shown this once.
    pub async fn create_webhook(&self, body: Value) -> Result<Value, ApiError> {
        self.call(Method::POST, "/webhooks", Some(body), StatusCode::CREATED)
            .await
    }

    pub async fn delete_webhook(&self, id: i64) -> Result<(), ApiError> {
        let reply = self
            .send(Method::DELETE, &format!("/webhooks/{id}"), None)
            .await?;
        self.api
            .expect::<IgnoredAny>(&reply, StatusCode::NO_CONTENT)?;
        Ok(())
    }

    pub async fn test_webhook(&self, id: i64) -> Result<(), ApiError> {
        let rest = format!("/webhooks/{id}/test");
        self.call::<IgnoredAny>(Method::POST, &rest, None, StatusCode::ACCEPTED)
            .await?;
        Ok(())
    }
    /// Asks the authorization server about an OAuth authorization request (with the user's decision,
    /// once made): what the consent page shows, or where the browser goes.
    pub async fn authorize(&self, request: Value) -> Result<Value, ApiError> {
        let reply = self
            .api
            .call(
                Method::POST,
                "/api/oauth/authorize",
                Some(&self.jwt),
                Some(request),
            )
            .await?;
        self.api.expect(&reply, StatusCode::OK)
    }

    /// The user's personal access tokens (JSON as the API lists them).
    pub async fn tokens(&self) -> Result<Vec<Value>, ApiError> {
        self.call(Method::GET, "/tokens", None, StatusCode::OK)
            .await
    }

    /// Creates a personal access token; the answer holds the token itself, once.
    pub async fn create_token(&self, body: Value) -> Result<Value, ApiError> {
        self.call(Method::POST, "/tokens", Some(body), StatusCode::CREATED)
            .await
    }

    pub async fn revoke_token(&self, id: &str) -> Result<(), ApiError> {
        let rest = format!("/tokens/{}", url_segment(id));
        self.call::<IgnoredAny>(Method::DELETE, &rest, None, StatusCode::NO_CONTENT)
            .await
            .map(|_| ())
    }

    /// The OAuth apps the user let in.
    pub async fn apps(&self) -> Result<Vec<Value>, ApiError> {
        self.call(Method::GET, "/apps", None, StatusCode::OK).await
    }

    pub async fn revoke_app(&self, id: &str) -> Result<(), ApiError> {
        let rest = format!("/apps/{}", url_segment(id));
        self.call::<IgnoredAny>(Method::DELETE, &rest, None, StatusCode::NO_CONTENT)
            .await
            .map(|_| ())
    }
}

/// One path segment, percent-encoded.
fn url_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A page of notifications as the API answers it.
#[derive(Deserialize)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub unread: i64,
}

/// A count the API answers in a header of an empty reply (0 when absent).
fn count_header(reply: &Reply, name: &str) -> u64 {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0)
}
