//! The OAuth 2.1 authorization server MCP clients sign in through (the MCP authorization
//! specification): metadata (RFC 8414, RFC 9728), dynamic registration of public clients (RFC 7591),
//! the authorization code grant with PKCE S256 only, resource indicators (RFC 8707), refresh-token
//! rotation with reuse detection, and revocation (RFC 7009).
//!
//! Tokens are opaque random strings stored as SHA-256 hashes, not JWTs: every resource server (`todo
//! mcp` included) checks them in the shared database, so revocation takes effect on the next request.
//! The consent page is the web app's (it holds the user's session); it asks [`authorize`] here.

use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use todo_auth::{hash_session_token, new_bearer_token, new_id, pkce_s256_matches, Scopes};
use todo_storage::{NewGrant, NewToken, OAuthClient, Redemption, RefreshedGrant};

use crate::error::ApiError;
use crate::extract::{json_bytes, Caller};
use crate::AppState;

/// Every opaque bearer token starts with this; JWTs never do (theirs start with `ey`).
pub const TOKEN_PREFIX: &str = "todo_";
const ACCESS_PREFIX: &str = "todo_at_";
const REFRESH_PREFIX: &str = "todo_rt_";
pub const PERSONAL_PREFIX: &str = "todo_pat_";

/// Where the authorization server lives and what it issues; from configuration (`PUBLIC_URL`).
#[derive(Clone, Debug)]
pub struct OAuthSettings {
    /// The issuer: the deployment's public origin, e.g. `https://todo.example.com` (no trailing slash).
    pub issuer: String,
    /// The MCP resource tokens may be bound to, e.g. `https://todo.example.com/mcp`.
    pub mcp_resource: String,
    /// Lifetime of access tokens.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token (each use replaces it with a new one).
    pub refresh_ttl: Duration,
    /// Most clients that may register.
    pub max_clients: i64,
}

/// Authorization codes live this long (RFC 6749 §4.1.2 recommends at most ten minutes).
const CODE_TTL: Duration = Duration::from_secs(120);
/// Scopes a client gets when it asks for none.
const DEFAULT_SCOPES: &str = "tasks:read tasks:write";

impl OAuthSettings {
    /// The REST API as a resource: `{issuer}/api`.
    pub fn api_resource(&self) -> String {
        format!("{}/api", self.issuer)
    }

    /// Where a resource's metadata is (RFC 9728 §3.1: the well-known path before the resource's path).
    pub fn metadata_url(resource: &str) -> String {
        match url::Url::parse(resource) {
            Ok(u) => format!(
                "{}/.well-known/oauth-protected-resource{}",
                u.origin().ascii_serialization(),
                u.path().trim_end_matches('/')
            ),
            Err(_) => resource.to_owned(),
        }
    }

    /// The resource a request names, canonical (no trailing slash), if it is one of ours.
    fn resource(&self, requested: Option<&str>) -> Result<String, &'static str> {
        let Some(raw) = requested.filter(|r| !r.is_empty()) else {
            return Ok(self.mcp_resource.clone());
        };
        let url = url::Url::parse(raw).map_err(|_| "resource must be an absolute URI")?;
        if url.fragment().is_some() {
            return Err("resource must not have a fragment");
        }
        let canonical = url.as_str().trim_end_matches('/');
        [self.mcp_resource.clone(), self.api_resource()]
            .into_iter()
            .find(|r| r == canonical)
            .ok_or("this server has no such resource")
    }
}

/// The resource-server side: the `/.well-known/oauth-protected-resource` documents.
pub fn resource_router(oauth: &OAuthSettings) -> Router<AppState> {
    let mcp = json!({
        "resource": oauth.mcp_resource,
        "authorization_servers": [oauth.issuer],
        "scopes_supported": ["tasks:read", "tasks:write"],
        "bearer_methods_supported": ["header"],
        "resource_name": "todo (MCP)",
    });
    let api = json!({
        "resource": oauth.api_resource(),
        "authorization_servers": [oauth.issuer],
        "scopes_supported": todo_auth::SCOPE_NAMES,
        "bearer_methods_supported": ["header"],
        "resource_name": "todo (REST API)",
    });
    let mcp_path = url::Url::parse(&oauth.mcp_resource)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let served = |doc: serde_json::Value| get(move || async move { Json(doc) });
    let mut router = Router::new()
        .route("/.well-known/oauth-protected-resource", served(mcp.clone()))
        .route("/.well-known/oauth-protected-resource/api", served(api));
    if !mcp_path.is_empty() && mcp_path != "/api" {
        let path = format!("/.well-known/oauth-protected-resource{mcp_path}");
        router = router.route(&path, served(mcp));
    }
    router
}

/// The authorization server's endpoints (the consent page is the web app's `/oauth/authorize`).
pub fn server_router(oauth: &OAuthSettings) -> Router<AppState> {
    let issuer = &oauth.issuer;
    let metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/api/oauth/token"),
        "registration_endpoint": format!("{issuer}/api/oauth/register"),
        "revocation_endpoint": format!("{issuer}/api/oauth/revoke"),
        "scopes_supported": todo_auth::SCOPE_NAMES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
    });
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || async move { Json(metadata) }),
        )
        .route("/api/oauth/register", post(register))
        .route("/api/oauth/token", post(token))
        .route("/api/oauth/revoke", post(revoke))
        .route("/api/oauth/authorize", post(authorize))
}

fn settings(state: &AppState) -> Result<&OAuthSettings, ApiError> {
    state
        .settings()
        .oauth
        .as_ref()
        .ok_or_else(|| ApiError::not_found("route"))
}

/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): `{"error", "error_description"}`.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

/// What an OAuth endpoint answers when it fails: an OAuth error, or a failure of this server.
enum Failure {
    OAuth(OAuthError),
    Api(ApiError),
}

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Api(e.into())
    }
}

fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Failure {
    Failure::OAuth(OAuthError {
        status,
        error,
        description: description.into(),
    })
}

fn invalid(error: &'static str, description: impl Into<String>) -> Failure {
    oauth(StatusCode::BAD_REQUEST, error, description)
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Api(e) => e.into_response(),
            Failure::OAuth(e) => no_store(
                e.status,
                json!({"error": e.error, "error_description": e.description}),
            ),
        }
    }
}

/// A JSON answer that carries credentials or their refusal: never cached (RFC 6749 §5.1).
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn hash(token: &str) -> String {
    hash_session_token(&SecretString::from(token.to_owned()))
}

// ---- Dynamic client registration (RFC 7591) ----

#[derive(Deserialize)]
struct Registration {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

/// Whether a redirect URI may be registered: https, or http to this machine's loopback (RFC 8252
/// §7.3, for native clients), without a fragment.
fn redirect_allowed(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|_| format!("'{raw}' is not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(format!("'{raw}' must not have a fragment"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "'{raw}' must be https, or http to a loopback address"
        )),
    }
}

const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 100;

async fn register(State(state): State<AppState>, req: Request) -> Result<Response, Failure> {
    let oauth_settings = settings(&state)?;
    let (parts, body) = req.into_parts();
    // Registration is open to anyone: the same per-address limit as sign-in, and a cap on clients.
    let _admitted = crate::routes::auth::admit(&state, &parts)?;
    let bytes = json_bytes(Request::from_parts(parts, body), &state).await?;
    let reg: Registration = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(
            "invalid_client_metadata",
            format!("malformed metadata: {e}"),
        )
    })?;
    let uris = reg.redirect_uris.unwrap_or_default();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(
            "invalid_redirect_uri",
            format!("redirect_uris must list 1–{MAX_REDIRECT_URIS} URIs"),
        ));
    }
    for uri in &uris {
        if uri.len() > MAX_URI_CHARS {
            return Err(invalid(
                "invalid_redirect_uri",
                "a redirect URI is too long",
            ));
        }
        redirect_allowed(uri).map_err(|e| invalid("invalid_redirect_uri", e))?;
    }
    if let Some(m) = reg.token_endpoint_auth_method.as_deref() {
        if m != "none" {
            return Err(invalid(
                "invalid_client_metadata",
                "only public clients register here: token_endpoint_auth_method must be 'none'",
            ));
        }
    }
    let grants_ok = reg.grant_types.as_ref().is_none_or(|g| {
        g.iter()
            .all(|t| t == "authorization_code" || t == "refresh_token")
    });
    if !grants_ok {
        return Err(invalid(
            "invalid_client_metadata",
            "grant_types may only be authorization_code and refresh_token",
        ));
    }
    if reg
        .response_types
        .as_ref()
        .is_some_and(|r| r.iter().any(|t| t != "code"))
    {
        return Err(invalid(
            "invalid_client_metadata",
            "response_types may only be code",
        ));
    }
    let name = reg
        .client_name
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|n| n.trim().chars().take(MAX_NAME_CHARS).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Unnamed app".to_owned());
    let client = OAuthClient {
        id: new_id(),
        name,
        redirect_uris: uris,
    };
    if !state
        .store()
        .register_client(&client, oauth_settings.max_clients)
        .await?
    {
        return Err(oauth(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "this server takes no more client registrations",
        ));
    }
    Ok(no_store(
        StatusCode::CREATED,
        json!({
            "client_id": client.id,
            "client_id_issued_at": Utc::now().timestamp(),
            "client_name": client.name,
            "redirect_uris": client.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }),
    ))
}

// ---- Authorization (asked by the web app's consent page) ----

/// An authorization request's parameters (RFC 6749 §4.1.1, RFC 7636, RFC 8707), and the user's
/// decision once they made one.
#[derive(Deserialize, Serialize, Default, Debug, Clone)]
#[serde(default)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub resource: Option<String>,
    /// `allow` or `deny`; absent to only check the request and learn what to show.
    pub decision: Option<String>,
}

/// What the consent page shows, or where to send the browser.
#[derive(Serialize)]
struct AuthorizationAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent: Option<Consent>,
}

#[derive(Serialize)]
struct Consent {
    client_name: String,
    redirect_host: String,
    scopes: Vec<&'static str>,
    resource: String,
}

/// `redirect_uri` with these query parameters added.
fn redirect_with(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut url = url::Url::parse(redirect_uri).expect("registered redirect URIs parse");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
    }
    url.to_string()
}

/// Checks an authorization request. Without a known client and an exactly registered redirect
/// URI it is refused here (the browser must not be sent anywhere, RFC 6749 §4.1.2.1); other
/// problems go back to the client at its redirect URI.
async fn authorize(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<AuthorizationRequest>,
) -> Result<Response, ApiError> {
    let oauth_settings = settings(&state)?;
    if caller.identity.credential != todo_auth::Credential::Jwt {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only a signed-in person can authorize apps, not another token",
        ));
    }
    let refuse = |message: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            message.to_owned(),
        )
    };
    let client_id = req.client_id.as_deref().unwrap_or_default();
    let client = match state.store().oauth_client(client_id).await? {
        Some(c) => c,
        None => return Err(refuse("unknown client_id")),
    };
    let redirect_uri = req
        .redirect_uri
        .as_deref()
        .filter(|u| client.redirect_uris.iter().any(|r| r == u))
        .ok_or_else(|| refuse("redirect_uri is not one this client registered"))?;
    let back = |error: &str, description: &str| {
        let to = redirect_with(
            redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", req.state.as_deref()),
            ],
        );
        Ok(Json(AuthorizationAnswer {
            redirect_to: Some(to),
            consent: None,
        })
        .into_response())
    };
    if req.response_type.as_deref() != Some("code") {
        return back(
            "unsupported_response_type",
            "only the authorization code flow (response_type=code) is supported",
        );
    }
    let challenge = req.code_challenge.as_deref().unwrap_or_default();
    if challenge.is_empty() {
        return back("invalid_request", "code_challenge is required (PKCE)");
    }
    if req.code_challenge_method.as_deref() != Some("S256") {
        return back(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not accepted)",
        );
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return back(
            "invalid_request",
            "code_challenge must be a base64url SHA-256",
        );
    }
    let requested = req.scope.as_deref().unwrap_or_default();
    let scopes = match Scopes::parse(if requested.trim().is_empty() {
        DEFAULT_SCOPES
    } else {
        requested
    }) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) => return back("invalid_scope", "no scope requested"),
        Err(e) => return back("invalid_scope", &e),
    };
    let resource = match oauth_settings.resource(req.resource.as_deref()) {
        Ok(r) => r,
        Err(e) => return back("invalid_target", e),
    };
    match req.decision.as_deref() {
        None => {
            let redirect_host = url::Url::parse(redirect_uri)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            let scope_text = scopes.to_string();
            let names = todo_auth::SCOPE_NAMES
                .into_iter()
                .filter(|n| scope_text.split(' ').any(|s| s == *n))
                .collect();
            Ok(Json(AuthorizationAnswer {
                redirect_to: None,
                consent: Some(Consent {
                    client_name: client.name,
                    redirect_host,
                    scopes: names,
                    resource,
                }),
            })
            .into_response())
        }
        Some("deny") => back("access_denied", "the user denied access"),
        Some("allow") => {
            let code = new_bearer_token("");
            let grant_id = new_id();
            let scope_text = scopes.to_string();
            state
                .store()
                .create_code(
                    &NewGrant {
                        id: &grant_id,
                        user_id: caller.id(),
                        client_id: &client.id,
                        scopes: &scope_text,
                        resource: &resource,
                    },
                    &hash(code.expose_secret()),
                    redirect_uri,
                    challenge,
                    Utc::now() + CODE_TTL,
                )
                .await?;
            let to = redirect_with(
                redirect_uri,
                &[
                    ("code", Some(code.expose_secret())),
                    ("state", req.state.as_deref()),
                ],
            );
            Ok(Json(AuthorizationAnswer {
                redirect_to: Some(to),
                consent: None,
            })
            .into_response())
        }
        Some(_) => Err(ApiError::field("decision", "must be allow or deny")),
    }
}

// ---- Token endpoint ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
}

fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, Failure> {
    form.map(|f| f.0)
        .map_err(|e| invalid("invalid_request", e.body_text()))
}

async fn token(
    State(state): State<AppState>,
    body: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, Failure> {
    let oauth_settings = settings(&state)?.clone();
    let req = form(body)?;
    let client_id = req.client_id.as_deref().ok_or_else(|| {
        oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id is required",
        )
    })?;
    if state.store().oauth_client(client_id).await?.is_none() {
        return Err(oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        ));
    }
    let grant = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.as_deref().unwrap_or_default();
            let redeemed = match state.store().redeem_code(&hash(code)).await? {
                Redemption::Granted(r) => r,
                Redemption::Replayed => {
                    return Err(invalid(
                        "invalid_grant",
                        "the code was already used; every token issued from it is now revoked",
                    ))
                }
                Redemption::Invalid => {
                    return Err(invalid("invalid_grant", "unknown or expired code"))
                }
            };
            if redeemed.client_id != client_id {
                return Err(invalid(
                    "invalid_grant",
                    "the code was issued to another client",
                ));
            }
            if req.redirect_uri.as_deref() != Some(redeemed.redirect_uri.as_str()) {
                return Err(invalid(
                    "invalid_grant",
                    "redirect_uri differs from the authorization request's",
                ));
            }
            let verifier = req.code_verifier.as_deref().unwrap_or_default();
            if !pkce_s256_matches(verifier, &redeemed.code_challenge) {
                return Err(invalid(
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                ));
            }
            RefreshedGrant {
                grant_id: redeemed.grant_id,
                user_id: redeemed.user_id,
                scopes: redeemed.scopes,
                resource: redeemed.resource,
            }
        }
        Some("refresh_token") => {
            let presented = req.refresh_token.as_deref().unwrap_or_default();
            match state
                .store()
                .use_refresh_token(&hash(presented), client_id)
                .await?
            {
                Redemption::Granted(g) => g,
                Redemption::Replayed => {
                    return Err(invalid(
                        "invalid_grant",
                        "the refresh token was already used; this sign-in is now revoked",
                    ))
                }
                Redemption::Invalid => {
                    return Err(invalid(
                        "invalid_grant",
                        "unknown, expired or revoked refresh token",
                    ))
                }
            }
        }
        Some(other) => {
            return Err(invalid(
                "unsupported_grant_type",
                format!(
                "grant_type '{other}' is not supported; use authorization_code or refresh_token"
            ),
            ))
        }
        None => return Err(invalid("invalid_request", "grant_type is required")),
    };
    if let Some(r) = req.resource.as_deref().filter(|r| !r.is_empty()) {
        if oauth_settings.resource(Some(r)).as_deref() != Ok(grant.resource.as_str()) {
            return Err(invalid(
                "invalid_target",
                "resource differs from the one authorized",
            ));
        }
    }
    if let Some(s) = req.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        let asked = Scopes::parse(s).map_err(|e| invalid("invalid_scope", e))?;
        let granted = Scopes::parse(&grant.scopes).unwrap_or_default();
        let within = (!asked.read || granted.read)
            && (!asked.write || granted.write)
            && (!asked.chat || granted.chat);
        if !within {
            return Err(invalid(
                "invalid_scope",
                "scope exceeds what was authorized",
            ));
        }
    }
    issue(&state, &oauth_settings, &grant).await
}

/// A new access and refresh token of `grant`.
async fn issue(
    state: &AppState,
    oauth_settings: &OAuthSettings,
    grant: &RefreshedGrant,
) -> Result<Response, Failure> {
    let access = new_bearer_token(ACCESS_PREFIX);
    let refresh = new_bearer_token(REFRESH_PREFIX);
    let (access_id, refresh_id) = (new_id(), new_id());
    let (access_hash, refresh_hash) = (hash(access.expose_secret()), hash(refresh.expose_secret()));
    let now = Utc::now();
    state
        .store()
        .issue_grant_tokens(
            grant,
            &NewToken {
                id: &access_id,
                hash: &access_hash,
                expires_at: Some(now + oauth_settings.access_ttl),
            },
            &NewToken {
                id: &refresh_id,
                hash: &refresh_hash,
                expires_at: Some(now + oauth_settings.refresh_ttl),
            },
        )
        .await?;
    Ok(no_store(
        StatusCode::OK,
        json!({
            "access_token": access.expose_secret(),
            "token_type": "Bearer",
            "expires_in": oauth_settings.access_ttl.as_secs(),
            "refresh_token": refresh.expose_secret(),
            "scope": grant.scopes,
        }),
    ))
}

// ---- Revocation (RFC 7009) ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
}

async fn revoke(
    State(state): State<AppState>,
    body: Result<Form<RevokeRequest>, FormRejection>,
) -> Result<Response, Failure> {
    settings(&state)?;
    let req = form(body)?;
    let client_id = req.client_id.as_deref().unwrap_or_default();
    if state.store().oauth_client(client_id).await?.is_none() {
        return Err(oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        ));
    }
    let token = req
        .token
        .as_deref()
        .ok_or_else(|| invalid("invalid_request", "token is required"))?;
    state
        .store()
        .revoke_client_token(&hash(token), client_id)
        .await?;
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    Ok(no_store(StatusCode::OK, json!({})))
}

/// The caller of a REST route, checked against the token's resource and scopes: an OAuth token must
/// have been issued for the REST API, and a read-only token may not write.
pub(crate) fn check_rest_caller(
    state: &AppState,
    identity: &todo_auth::Identity,
    parts: &Parts,
) -> Result<(), ApiError> {
    if let todo_auth::Credential::OAuth { resource } = &identity.credential {
        let api = state
            .settings()
            .oauth
            .as_ref()
            .map(OAuthSettings::api_resource);
        if api.as_deref() != Some(resource.as_str()) {
            return Err(
                ApiError::unauthorized("this token was issued for another resource")
                    .with_challenge(r#"error="invalid_token""#.to_owned()),
            );
        }
    }
    let path = parts.uri.path();
    let chat = path.contains("/chat") || path.contains("/conversations");
    let reading = parts.method.is_safe();
    let (allowed, scope) = if chat {
        (identity.scopes.chat, "chat")
    } else if reading {
        (identity.scopes.read, "tasks:read")
    } else {
        (identity.scopes.write, "tasks:write")
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this token lacks the {scope} scope"),
        )
        .with_challenge(r#"error="insufficient_scope""#.to_owned())
        .with_challenge(format!(r#"scope="{scope}""#)))
    }
}
