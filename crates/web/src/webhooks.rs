//! `/settings/webhooks`: the user's webhooks with their delivery log (each attempt's time, status
//! code and error), a form to add one (its signing secret is shown once, on the page that answers the
//! form, never in a cookie or a URL), and buttons to send a test event or delete one. Plain forms.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde_json::json;
use todo_domain::{Event, Webhook};

use crate::api::{ApiError, Me, Tasks};
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::form_errors::field_errors;
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::Web;

const PAGE: &str = "/settings/webhooks";

pub fn routes() -> Router<Web> {
    Router::new()
        .route(PAGE, get(page).post(create))
        .route("/settings/webhooks/{id}/test", post(test))
        .route("/settings/webhooks/{id}/delete", post(delete))
}

/// The add form as submitted: `url`, and one `events` pair per ticked box.
#[derive(Default)]
struct AddForm {
    url: String,
    events: Vec<String>,
}

impl AddForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = AddForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "url" => form.url = v,
                "events" => form.events.push(v),
                _ => {}
            }
        }
        form
    }

    fn ticked(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    flash: Option<Flash>,
    hooks: Vec<Webhook>,
    form: AddForm,
    errors: BTreeMap<String, String>,
    /// The new webhook's URL and secret, right after it was added.
    created: Option<(String, String)>,
}

impl WebhooksPage {
    fn events() -> Vec<&'static str> {
        Event::ALL.iter().map(|e| e.as_str()).collect()
    }

    fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }

    fn names(hook: &Webhook) -> String {
        let names: Vec<&str> = hook.events.iter().map(|e| e.as_str()).collect();
        names.join(", ")
    }
}

async fn answer(
    web: &Web,
    headers: &HeaderMap,
    (csrf, user, tasks): (CsrfToken, Me, &Tasks),
    form: AddForm,
    errors: BTreeMap<String, String>,
    created: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let status = crate::form_errors::status(&errors);
    let page = WebhooksPage {
        layout: Layout::new("Webhooks", csrf.0, Some(user)),
        flash: flash::read(&web.settings, headers),
        hooks: tasks.webhooks().await?,
        form,
        errors,
        created,
    };
    Ok(flash::shown(
        &web.settings,
        headers,
        (status, render(&page)),
    ))
}

async fn page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let form = AddForm {
        events: vec![Event::ReminderDue.as_str().to_owned()],
        ..AddForm::default()
    };
    answer(
        &web,
        &headers,
        (csrf, user, &tasks),
        form,
        BTreeMap::new(),
        None,
    )
    .await
}

async fn create(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let form = AddForm::from_pairs(pairs);
    let body = json!({"url": form.url.trim(), "events": form.events});
    match tasks.create_webhook(body).await {
        Ok(hook) => {
            let created = (
                hook["url"].as_str().unwrap_or_default().to_owned(),
                hook["secret"].as_str().unwrap_or_default().to_owned(),
            );
            let fresh = AddForm::default();
            let ctx = (csrf, user, &tasks);
            answer(&web, &headers, ctx, fresh, BTreeMap::new(), Some(created)).await
        }
        Err(ApiError::Invalid(body)) => {
            let errors = field_errors(&body);
            answer(&web, &headers, (csrf, user, &tasks), form, errors, None).await
        }
        Err(e) => Err(e),
    }
}

async fn test(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    tasks.test_webhook(id).await?;
    let message = "Test event queued; its delivery shows below in a moment.".to_owned();
    Ok(redirect_with_flash(&web.settings, PAGE, message, None))
}

async fn delete(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    tasks.delete_webhook(id).await?;
    let message = "Webhook deleted.".to_owned();
    Ok(redirect_with_flash(&web.settings, PAGE, message, None))
}
