//! Who is signed in, and the pages that change it: sign up, sign in, sign out.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequestParts, Query};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::api::{Api, ApiError, Me, Tasks};
use crate::form_errors::field_errors;
use crate::layout::{render, see_other, to_sign_in, Layout, PageError};
use crate::security::CsrfToken;
use crate::Web;

/// The signed-in user of a page request, and their tasks on the backend. Without a valid session
/// the request is answered with the way to the sign-in page.
pub struct SignedIn {
    pub user: Me,
    pub tasks: Tasks,
}

impl FromRequestParts<Web> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        let api = Api::of(web, parts);
        match api.me().await {
            Ok(Some((user, tasks))) => Ok(SignedIn { user, tasks }),
            Ok(None) => Err(to_sign_in(api.htmx())),
            Err(e) => Err(e.into_response()),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Credentials {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Where to go once signed in (only the consent page: see [`next_page`]).
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: back to an OAuth consent page that sent the user here, else home.
/// Only that path is followed, so the parameter cannot make this site an open redirect.
fn next_page(next: &str) -> &str {
    if next.starts_with("/oauth/authorize?") && !next.contains(['\\', '\r', '\n']) {
        next
    } else {
        "/"
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

struct AuthForm {
    name: String,
    email: String,
    next: String,
    errors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "auth.html")]
struct AuthPage {
    layout: Layout,
    sign_up: bool,
    form: AuthForm,
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

/// A redirect that hands the browser the session cookie the backend set or cleared, as is
/// (HttpOnly, SameSite=Lax).
fn with_cookies(mut response: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        response.headers_mut().append(SET_COOKIE, c);
    }
    response
}

pub async fn sign_in_page(
    api: Api,
    Extension(csrf): Extension<CsrfToken>,
    Query(q): Query<NextQuery>,
) -> Result<Response, ApiError> {
    blank_auth_page(&api, csrf, false, q.next).await
}

pub async fn sign_up_page(
    api: Api,
    Extension(csrf): Extension<CsrfToken>,
    Query(q): Query<NextQuery>,
) -> Result<Response, ApiError> {
    blank_auth_page(&api, csrf, true, q.next).await
}

/// An empty sign-in or sign-up form; someone already signed in goes on (to their list) instead.
async fn blank_auth_page(
    api: &Api,
    csrf: CsrfToken,
    sign_up: bool,
    next: String,
) -> Result<Response, ApiError> {
    let next = next_page(&next).to_owned();
    if api.me().await?.is_some() {
        return Ok(see_other(&next));
    }
    let form = AuthForm {
        name: String::new(),
        email: String::new(),
        next,
        errors: BTreeMap::new(),
    };
    Ok(auth_page(csrf.0, sign_up, form, StatusCode::OK))
}

async fn authenticate(
    api: &Api,
    csrf: CsrfToken,
    input: Credentials,
    sign_up: bool,
) -> Result<Response, ApiError> {
    let answer = if sign_up {
        api.sign_up(&input.name, &input.email, &input.password)
            .await
    } else {
        api.sign_in(&input.email, &input.password).await
    };
    let (status, errors) = match answer {
        Ok(cookies) => return Ok(with_cookies(see_other(next_page(&input.next)), cookies)),
        Err(ApiError::Unauthorized { .. }) => (
            StatusCode::UNAUTHORIZED,
            BTreeMap::from([("form".to_owned(), "Wrong email or password.".to_owned())]),
        ),
        Err(ApiError::Conflict) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            BTreeMap::from([(
                "email".to_owned(),
                "An account with this email already exists. Sign in instead?".to_owned(),
            )]),
        ),
        Err(ApiError::Invalid(body)) => (StatusCode::UNPROCESSABLE_ENTITY, field_errors(&body)),
        Err(ApiError::Limited(seconds)) => (
            StatusCode::TOO_MANY_REQUESTS,
            BTreeMap::from([(
                "form".to_owned(),
                format!("Too many attempts. Please wait {seconds} s and try again."),
            )]),
        ),
        Err(e) => return Err(e),
    };
    let form = AuthForm {
        name: input.name,
        email: input.email,
        next: next_page(&input.next).to_owned(),
        errors,
    };
    Ok(auth_page(csrf.0, sign_up, form, status))
}

pub async fn sign_in(
    api: Api,
    Extension(csrf): Extension<CsrfToken>,
    Form(input): Form<Credentials>,
) -> Result<Response, ApiError> {
    authenticate(&api, csrf, input, false).await
}

pub async fn sign_up(
    api: Api,
    Extension(csrf): Extension<CsrfToken>,
    Form(input): Form<Credentials>,
) -> Result<Response, ApiError> {
    authenticate(&api, csrf, input, true).await
}

pub async fn sign_out(api: Api) -> Result<Response, PageError> {
    let cookies = api.sign_out().await?;
    Ok(with_cookies(see_other("/sign-in"), cookies))
}
