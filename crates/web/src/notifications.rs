//! The notifications page (newest first, unread marked, "mark all read", each linking to its task)
//! and the notification settings page (the channel switches and the default reminder).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;
use todo_domain::Notification;

use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::form_errors::field_errors;
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::tasks::reminders::local_label;
use crate::Web;

/// Notifications one page shows: the newest; older ones are rarely looked for.
const PAGE: u32 = 50;

/// The default reminder's choices, as `(ISO 8601 duration, label)`; empty is none.
pub const DEFAULT_REMINDERS: [(&str, &str); 7] = [
    ("", "None"),
    ("PT0S", "At the due time"),
    ("PT10M", "10 minutes before"),
    ("PT15M", "15 minutes before"),
    ("PT30M", "30 minutes before"),
    ("PT1H", "1 hour before"),
    ("P1D", "1 day before"),
];

/// One notification as the page shows it.
struct NotificationView {
    title: String,
    /// The task's place on the list page; `None` once the task is gone.
    link: Option<String>,
    /// When the reminder went off, in the user's zone.
    when: String,
    due: Option<String>,
    late: bool,
    read: bool,
}

impl NotificationView {
    fn of(n: Notification, tz: chrono_tz::Tz) -> Self {
        let link = n.task_id.map(|id| {
            let q: String = url::form_urlencoded::byte_serialize(n.title.as_bytes()).collect();
            format!("/?q={q}&status=all#task-{id}")
        });
        NotificationView {
            link,
            when: local_label(n.fire_at.unwrap_or(n.created_at), tz),
            due: n.due_at.map(|d| local_label(d, tz)),
            late: n.late,
            read: n.read,
            title: n.title,
        }
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    flash: Option<Flash>,
    notifications: Vec<NotificationView>,
    unread: i64,
}

pub async fn page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tz = tasks.time_zone().await?;
    let listed = tasks.notifications(PAGE).await?;
    let page = NotificationsPage {
        layout: Layout::new("Notifications", csrf.0, Some(user)),
        flash: flash::read(&web.settings, &headers),
        notifications: listed
            .notifications
            .into_iter()
            .map(|n| NotificationView::of(n, tz))
            .collect(),
        unread: listed.unread,
    };
    let mut response = render(&page);
    flash::clear_shown(&web.settings, &headers, &mut response);
    Ok(response)
}

pub async fn mark_all_read(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
) -> Result<Response, ApiError> {
    tasks.mark_all_read().await?;
    let message = "All notifications are marked read.".to_owned();
    Ok(redirect_with_flash(
        &web.settings,
        "/notifications",
        message,
        None,
    ))
}

/// The notification settings form as posted: an unticked checkbox is not posted at all.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NotifyForm {
    pub notify_in_app: Option<String>,
    pub notify_push: Option<String>,
    pub notify_webhooks: Option<String>,
    pub default_reminder: String,
}

#[derive(Template)]
#[template(path = "settings_notifications.html")]
struct NotifySettingsPage {
    layout: Layout,
    flash: Option<Flash>,
    form: NotifyForm,
    errors: BTreeMap<String, String>,
}

impl NotifySettingsPage {
    /// The default reminder's options, with the current one kept when it is not among them.
    fn choices(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = DEFAULT_REMINDERS
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        let current = &self.form.default_reminder;
        if !out.iter().any(|(v, _)| v == current) {
            out.push((current.clone(), format!("{current} before")));
        }
        out
    }
}

fn settings_page(
    web: &Web,
    headers: &HeaderMap,
    layout: Layout,
    form: NotifyForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let status = crate::form_errors::status(&errors);
    let page = NotifySettingsPage {
        layout,
        flash: flash::read(&web.settings, headers),
        form,
        errors,
    };
    flash::shown(&web.settings, headers, (status, render(&page)))
}

const TITLE: &str = "Notification settings";

pub async fn settings(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = tasks.settings().await?;
    let on = |b: bool| b.then(|| "on".to_owned());
    let form = NotifyForm {
        notify_in_app: on(s.notify_in_app),
        notify_push: on(s.notify_push),
        notify_webhooks: on(s.notify_webhooks),
        default_reminder: s.default_reminder.unwrap_or_default(),
    };
    let layout = Layout::new(TITLE, csrf.0, Some(user));
    Ok(settings_page(&web, &headers, layout, form, BTreeMap::new()))
}

pub async fn save_settings(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<NotifyForm>,
) -> Result<Response, ApiError> {
    let body = json!({
        "notify_in_app": form.notify_in_app.is_some(),
        "notify_push": form.notify_push.is_some(),
        "notify_webhooks": form.notify_webhooks.is_some(),
        "default_reminder": form.default_reminder.trim(),
    });
    match tasks.update_settings(body).await {
        Ok(_) => Ok(redirect_with_flash(
            &web.settings,
            "/settings/notifications",
            "Saved your notification settings.".to_owned(),
            None,
        )),
        Err(ApiError::Invalid(body)) => {
            let layout = Layout::new(TITLE, csrf.0, Some(user));
            let errors = field_errors(&body);
            Ok(settings_page(&web, &headers, layout, form, errors))
        }
        Err(e) => Err(e),
    }
}
