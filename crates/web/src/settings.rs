//! The settings page: the time zone recurrences are computed in, and the way to import and export.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;

use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::form_errors::field_errors;
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::Web;

/// Every IANA zone name the API accepts, as the select offers them.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    pub time_zone: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    flash: Option<Flash>,
    form: SettingsForm,
    errors: BTreeMap<String, String>,
}

fn settings_page(
    web: &Web,
    headers: &HeaderMap,
    layout: Layout,
    form: SettingsForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let status = crate::form_errors::status(&errors);
    let page = SettingsPage {
        layout,
        flash: flash::read(&web.settings, headers),
        form,
        errors,
    };
    flash::shown(&web.settings, headers, (status, render(&page)))
}

pub async fn page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let settings = tasks.settings().await?;
    let form = SettingsForm {
        time_zone: settings.time_zone,
    };
    let layout = Layout::new("Settings", csrf.0, Some(user));
    Ok(settings_page(&web, &headers, layout, form, BTreeMap::new()))
}

pub async fn save(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<SettingsForm>,
) -> Result<Response, ApiError> {
    let body = json!({"time_zone": form.time_zone.trim()});
    match tasks.update_settings(body).await {
        Ok(s) => {
            let message = format!("Saved: your time zone is {}.", s.time_zone);
            Ok(redirect_with_flash(
                &web.settings,
                "/settings",
                message,
                None,
            ))
        }
        Err(ApiError::Invalid(body)) => {
            let layout = Layout::new("Settings", csrf.0, Some(user));
            let errors = field_errors(&body);
            Ok(settings_page(&web, &headers, layout, form, errors))
        }
        Err(e) => Err(e),
    }
}
