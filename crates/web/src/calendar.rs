//! `/settings/calendar`: the link calendar apps subscribe to. The API keeps only the link's hash, so
//! the page shows a link once, when it is made; it can be made anew (the old one stops working) or
//! turned off. Plain forms: it works without JavaScript.

use askama::Template;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use todo_transfer::{CalendarLink, CalendarLinkStatus};

use crate::api::{ApiError, Me};
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::layout::{render, Layout};
use crate::security::CsrfToken;
use crate::Web;

const PAGE: &str = "/settings/calendar";

pub fn routes() -> Router<Web> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/calendar/new", post(new_link))
        .route("/settings/calendar/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    layout: Layout,
    status: CalendarLinkStatus,
    /// A link just made: the one time it can be shown.
    link: Option<CalendarLink>,
    flash: Option<Flash>,
}

fn answer(
    csrf: CsrfToken,
    user: Me,
    status: CalendarLinkStatus,
    link: Option<CalendarLink>,
    flash: Option<Flash>,
) -> Response {
    let page = CalendarPage {
        layout: Layout::new("Calendar feed", csrf.0, Some(user)),
        status,
        link,
        flash,
    };
    (StatusCode::OK, render(&page)).into_response()
}

pub async fn page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = tasks.calendar_link().await?;
    let flash = flash::read(&web.settings, &headers);
    let mut response = answer(csrf, user, status, None, flash);
    flash::clear_shown(&web.settings, &headers, &mut response);
    Ok(response)
}

/// Makes a new link and shows it (rendered here, not redirected to: it is not kept anywhere to show later).
pub async fn new_link(
    Extension(csrf): Extension<CsrfToken>,
    SignedIn { user, tasks }: SignedIn,
) -> Result<Response, ApiError> {
    let link = tasks.new_calendar_link().await?;
    let status = CalendarLinkStatus {
        active: true,
        created_at: Some(link.created_at),
    };
    let mut response = answer(csrf, user, status, Some(link), None);
    // The page holds a secret: no cache keeps it.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn revoke(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
) -> Result<Response, ApiError> {
    tasks.revoke_calendar_link().await?;
    let message = "The feed link is turned off: calendars subscribed to it no longer update.";
    Ok(redirect_with_flash(
        &web.settings,
        PAGE,
        message.to_owned(),
        None,
    ))
}
