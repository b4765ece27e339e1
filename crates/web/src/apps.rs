//! Letting apps in: the OAuth consent page (`/oauth/authorize`), where the signed-in user allows or
//! denies an MCP client, and the Connected apps page (`/settings/apps`): the apps let in and the
//! personal access tokens, each revocable, and a form to create a token (shown once).
//! The authorization server itself is the backend's; these pages only ask it and show its answers.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{Api, ApiError};
use crate::auth::SignedIn;
use crate::flash::{self, redirect_with_flash, Flash};
use crate::form_errors::field_errors;
use crate::layout::{render, see_other, Layout};
use crate::security::CsrfToken;
use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/oauth/authorize", get(consent_page).post(decide))
        .route("/settings/apps", get(apps_page))
        .route("/settings/apps/tokens", post(create_token))
        .route("/settings/apps/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/apps/{id}/revoke", post(revoke_app))
}

/// The authorization request's parameters, carried from the query to the consent form and back.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuthorizationParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    resource: Option<String>,
    /// The button pressed: `allow` or `deny`.
    decision: Option<String>,
}

impl AuthorizationParams {
    fn to_json(&self) -> Value {
        json!({
            "response_type": self.response_type,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
            "resource": self.resource,
            "decision": self.decision,
        })
    }

    /// The hidden fields that carry the request through the consent form.
    fn hidden(&self) -> Vec<(&'static str, String)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("resource", &self.resource),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

/// What a scope lets an app do, in words.
fn scope_words(scope: &str) -> &'static str {
    match scope {
        "tasks:read" => "See your lists and tasks",
        "tasks:write" => "Add, change, complete and delete your tasks and lists",
        "chat" => "Talk to the assistant as you",
        _ => "Something this server does not know",
    }
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    layout: Layout,
    client_name: String,
    redirect_host: String,
    scopes: Vec<&'static str>,
    hidden: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct Refusal {
    layout: Layout,
    message: &'static str,
    link: &'static str,
    link_text: &'static str,
}

/// The page that refuses a request which cannot be answered at the client's redirect URI (an
/// unknown client, a redirect URI not registered): the browser is sent nowhere.
fn refusal() -> Response {
    let page = Refusal {
        layout: Layout::new("Cannot connect the app", String::new(), None),
        message: "This sign-in link is not valid: the app is unknown here, or it asked to be sent \
                  back to an address it did not register. Nothing was shared.",
        link: "/",
        link_text: "Back to your tasks",
    };
    (StatusCode::BAD_REQUEST, render(&page)).into_response()
}

/// Sends the browser to where the authorization server said (the client's redirect URI), or refuses.
fn follow(answer: Result<Value, ApiError>) -> Result<Result<Value, Response>, ApiError> {
    match answer {
        Ok(v) => match v["redirect_to"].as_str() {
            Some(to) => Ok(Err(see_other(to))),
            None => Ok(Ok(v)),
        },
        Err(ApiError::Invalid(_)) => Ok(Err(refusal())),
        Err(e) => Err(e),
    }
}

pub async fn consent_page(
    api: Api,
    Extension(csrf): Extension<CsrfToken>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query.unwrap_or_default();
    let Some((user, tasks)) = api.me().await? else {
        // Back here once signed in.
        let next: String =
            url::form_urlencoded::byte_serialize(format!("/oauth/authorize?{query}").as_bytes())
                .collect();
        return Ok(see_other(&format!("/sign-in?next={next}")));
    };
    let params: AuthorizationParams = query_params(&query);
    let params = AuthorizationParams {
        decision: None,
        ..params
    };
    let answer = match follow(tasks.authorize(params.to_json()).await)? {
        Ok(v) => v,
        Err(response) => return Ok(response),
    };
    let consent = &answer["consent"];
    let text = |k: &str| consent[k].as_str().unwrap_or_default().to_owned();
    let scopes = consent["scopes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(scope_words)
                .collect()
        })
        .unwrap_or_default();
    let page = ConsentPage {
        layout: Layout::new("Connect an app", csrf.0, Some(user)),
        client_name: text("client_name"),
        redirect_host: text("redirect_host"),
        scopes,
        hidden: params.hidden(),
    };
    let mut response = render(&page);
    // The form's answer redirects to the app: the page's CSP must let the form go there.
    let target = params
        .redirect_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null" && !o.contains([';', ',', '\'', ' ']));
    if let Some(origin) = target {
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; font-src 'self'; form-action 'self' {origin}; frame-ancestors 'none'; \
             base-uri 'none'; object-src 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            response.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(response)
}

/// The query string as parameters; a malformed one is an empty request, which the server refuses.
fn query_params(query: &str) -> AuthorizationParams {
    let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    serde_json::from_value(json!(pairs)).unwrap_or_default()
}

pub async fn decide(
    SignedIn { tasks, .. }: SignedIn,
    Form(params): Form<AuthorizationParams>,
) -> Result<Response, ApiError> {
    match follow(tasks.authorize(params.to_json()).await)? {
        Err(response) => Ok(response),
        // A decision always ends in a redirect; anything else is a form this page did not send.
        Ok(_) => Ok(refusal()),
    }
}

// ---- Connected apps ----

struct AppRow {
    id: String,
    name: String,
    scopes: String,
    since: String,
}

struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    expires: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    layout: Layout,
    flash: Option<Flash>,
    apps: Vec<AppRow>,
    tokens: Vec<TokenRow>,
    /// A token just created: shown this once.
    created: Option<String>,
    errors: BTreeMap<String, String>,
}

/// The date part of an RFC 3339 time, or `none`.
fn day(v: &Value) -> String {
    v.as_str()
        .map(|s| s.chars().take(10).collect())
        .unwrap_or_else(|| "never".to_owned())
}

async fn apps_page_with(
    web: &Web,
    headers: &HeaderMap,
    csrf: CsrfToken,
    SignedIn { user, tasks }: SignedIn,
    created: Option<String>,
    errors: BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let apps = tasks
        .apps()
        .await?
        .iter()
        .map(|a| AppRow {
            id: text(a, "id"),
            name: text(a, "client_name"),
            scopes: text(a, "scopes"),
            since: day(&a["created_at"]),
        })
        .collect();
    let tokens = tasks
        .tokens()
        .await?
        .iter()
        .map(|t| TokenRow {
            id: text(t, "id"),
            name: text(t, "name"),
            scopes: text(t, "scopes"),
            expires: day(&t["expires_at"]),
            last_used: day(&t["last_used_at"]),
        })
        .collect();
    let status = crate::form_errors::status(&errors);
    let page = AppsPage {
        layout: Layout::new("Connected apps", csrf.0, Some(user)),
        flash: flash::read(&web.settings, headers),
        apps,
        tokens,
        created,
        errors,
    };
    Ok(flash::shown(
        &web.settings,
        headers,
        (status, render(&page)),
    ))
}

pub async fn apps_page(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    apps_page_with(&web, &headers, csrf, signed_in, None, BTreeMap::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    read: Option<String>,
    write: Option<String>,
    chat: Option<String>,
    /// Days until it expires; empty for never.
    expires_in_days: String,
}

pub async fn create_token(
    State(web): State<Web>,
    Extension(csrf): Extension<CsrfToken>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, ApiError> {
    let scopes: Vec<&str> = [
        (form.read.is_some(), "tasks:read"),
        (form.write.is_some(), "tasks:write"),
        (form.chat.is_some(), "chat"),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let days = form.expires_in_days.trim();
    let mut body = json!({"name": form.name, "scopes": scopes.join(" ")});
    if !days.is_empty() {
        match days.parse::<u32>() {
            Ok(d) => body["expires_in_days"] = json!(d),
            Err(_) => {
                let errors = BTreeMap::from([(
                    "expires_in_days".to_owned(),
                    "Enter a number of days, or leave it empty.".to_owned(),
                )]);
                return apps_page_with(&web, &headers, csrf, signed_in, None, errors).await;
            }
        }
    }
    match signed_in.tasks.create_token(body).await {
        Ok(created) => {
            let token = created["token"].as_str().map(str::to_owned);
            apps_page_with(&web, &headers, csrf, signed_in, token, BTreeMap::new()).await
        }
        Err(ApiError::Invalid(body)) => {
            let errors = field_errors(&body);
            apps_page_with(&web, &headers, csrf, signed_in, None, errors).await
        }
        Err(e) => Err(e),
    }
}

pub async fn revoke_token(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let message = match tasks.revoke_token(&id).await {
        Ok(()) => "Token revoked: it no longer works.",
        Err(ApiError::NotFound) => "That token was already revoked.",
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(
        &web.settings,
        "/settings/apps",
        message.to_owned(),
        None,
    ))
}

pub async fn revoke_app(
    State(web): State<Web>,
    SignedIn { tasks, .. }: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let message = match tasks.revoke_app(&id).await {
        Ok(()) => "App disconnected: its access ends now.",
        Err(ApiError::NotFound) => "That app was already disconnected.",
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(
        &web.settings,
        "/settings/apps",
        message.to_owned(),
        None,
    ))
}
