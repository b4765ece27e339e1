//! `/mcp`: the task tools over MCP Streamable HTTP, behind the same bearer tokens as the API and a
//! `Host` and `Origin` allow-list (DNS-rebinding protection that still accepts in-cluster Service
//! names).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use todo_assistant::mcp::{McpUser, TodoMcp};
use todo_auth::{AuthError, Credential};

/// The header naming an MCP session.
const SESSION_ID: &str = "mcp-session-id";

use crate::error::ApiError;
use crate::extract::bearer;
use crate::routes::oauth::OAuthSettings;
use crate::AppState;

/// Which `Host` names `/mcp` answers to. Entries are exact names, `*.suffix` wildcards or `*`.
#[derive(Clone, Debug)]
pub struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    /// Loopback and cluster DNS names (`*.svc`, `*.svc.cluster.local`), plus `extra`
    /// (`MCP_ALLOWED_HOSTS`, and the host of `MCP_SERVER_URL`).
    pub fn with_defaults(extra: &[String]) -> Self {
        let mut hosts: Vec<String> = [
            "localhost",
            "127.0.0.1",
            "::1",
            "*.svc",
            "*.svc.cluster.local",
        ]
        .map(String::from)
        .into();
        hosts.extend(extra.iter().map(|h| h.trim().to_ascii_lowercase()));
        AllowedHosts(hosts.into())
    }

    fn allows(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        !host.is_empty()
            && self
                .0
                .iter()
                .any(|pattern| match pattern.strip_prefix("*.") {
                    Some(suffix) => host.ends_with(&format!(".{suffix}")),
                    None => pattern == "*" || *pattern == host,
                })
    }
}

/// The host part of a `Host` header value (`name`, `name:port`, `[v6]:port`).
fn host_name(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map_or(value, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            value
        }
    })
}

/// The two ways `/mcp` serves: sessions (MCP before 2026-07-28, for clients that `initialize` and
/// then send `Mcp-Session-Id`: they get a server-to-client stream for resource updates and
/// elicitation), and stateless requests with JSON answers for everything else, so any replica serves
/// any request and plain one-off calls keep working.
#[derive(Clone)]
struct Services {
    sessions: Arc<StreamableHttpService<TodoMcp, LocalSessionManager>>,
    stateless: Arc<StreamableHttpService<TodoMcp, LocalSessionManager>>,
    body_limit: usize,
}

pub fn router(state: AppState, hosts: AllowedHosts) -> Router<AppState> {
    // The host check is ours (below) so it can accept Service names.
    let body_limit = state.settings().limits.body_limit;
    let config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(body_limit)
        .disable_allowed_hosts();
    let store = state.store().clone();
    let service = |config: StreamableHttpServerConfig| {
        let store = store.clone();
        Arc::new(StreamableHttpService::new(
            move || Ok(TodoMcp::over_http(store.clone())),
            Default::default(),
            config,
        ))
    };
    let services = Services {
        sessions: service(config.clone().with_legacy_session_mode(true)),
        stateless: service(
            config
                .with_legacy_session_mode(false)
                .with_json_response(true),
        ),
        body_limit,
    };
    Router::new()
        .route("/mcp", any(dispatch).with_state(services))
        .layer(axum::middleware::from_fn_with_state(state, authenticate))
        .layer(axum::middleware::from_fn_with_state(hosts, check_host))
}

/// Sends a request to the session service when it belongs to a session (it names one, opens one with
/// `initialize`, or is the session's GET stream or DELETE), else to the stateless one.
async fn dispatch(State(services): State<Services>, req: Request) -> Response {
    #[derive(serde::Deserialize)]
    struct Peek {
        method: Option<String>,
    }
    let in_session = req.headers().contains_key(SESSION_ID) || req.method() != Method::POST;
    let (service, req) = if in_session {
        (&services.sessions, req)
    } else {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, services.body_limit).await else {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the MCP message is larger than the body limit",
            )
            .into_response();
        };
        let opens_session = serde_json::from_slice::<Peek>(&bytes)
            .is_ok_and(|p| p.method.as_deref() == Some("initialize"));
        let service = if opens_session {
            &services.sessions
        } else {
            &services.stateless
        };
        (service, Request::from_parts(parts, Body::from(bytes)))
    };
    service.handle(req).await.map(Body::new)
}

/// Refuses a `Host` not on the list, and a browser `Origin` whose host is not (the MCP specification's
/// defence against DNS rebinding: a page on another site must not reach a local MCP server).
async fn check_host(State(hosts): State<AllowedHosts>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .map(host_name)
        .unwrap_or_default();
    if !hosts.allows(host) {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "host_not_allowed",
            format!("host '{host}' is not allowed here; add it to MCP_ALLOWED_HOSTS"),
        )
        .into_response();
    }
    if let Some(origin) = req.headers().get(ORIGIN) {
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, authority)| host_name(authority));
        if !origin_host.is_some_and(|h| hosts.allows(h)) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "this Origin may not call the MCP server; add its host to MCP_ALLOWED_HOSTS",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Every MCP request carries the caller's bearer token; the tools act as that user only, and only
/// read when the token may not write. An OAuth token must have been issued for this resource.
async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let verified = match bearer(&parts) {
        Some(token) => state.identify(token).await,
        None => Err(AuthError::Missing.into()),
    };
    let oauth = state.settings().oauth.as_ref();
    let verified = verified.and_then(|identity| match &identity.credential {
        Credential::OAuth { resource } if oauth.is_none_or(|o| &o.mcp_resource != resource) => {
            Err(AuthError::Invalid("this token was issued for another resource".into()).into())
        }
        _ if !identity.scopes.read => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this token lacks the tasks:read scope",
        )),
        _ => Ok(identity),
    });
    match verified {
        Ok(identity) => {
            parts.extensions.insert(McpUser {
                user_id: identity.user_id,
                can_write: identity.scopes.write,
            });
            req = Request::from_parts(parts, body);
            next.run(req).await
        }
        Err(mut e) => {
            // Read the request out (within the body limit) before answering: a client reusing the
            // connection for its next request (discovery, right after this 401) must find it open.
            let _ = axum::body::to_bytes(body, state.settings().limits.body_limit).await;
            // RFC 9728 §5.1: the challenge says where the resource's metadata is, so a client can
            // discover how to get a token.
            if let Some(o) = oauth {
                let url = OAuthSettings::metadata_url(&o.mcp_resource);
                let challenge = e.challenge.get_or_insert_with(Box::default);
                challenge
                    .0
                    .insert(0, format!(r#"resource_metadata="{url}""#));
            }
            e.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_accept_cluster_names_and_refuse_public_ones() {
        let hosts = AllowedHosts::with_defaults(&["mcp.example.com".into(), "*.internal".into()]);
        for ok in [
            "localhost",
            "127.0.0.1",
            "::1",
            "todo-mcp.todo.svc.cluster.local.",
            "todo-mcp.todo.svc",
            "todo-mcp.todo.svc.cluster.local",
            "MCP.example.com",
            "a.internal",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        // Any single label or address is no longer taken on trust: list Service names and IPs.
        for bad in [
            "evil.com",
            "todo-mcp.evil.com",
            "internal.evil",
            "",
            "todo-mcp",
            "10.96.0.15",
            "192.168.1.20",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        assert_eq!(host_name("todo-mcp:8001"), "todo-mcp");
        assert_eq!(host_name("[::1]:8001"), "::1");
        assert_eq!(host_name("example.com"), "example.com");
    }
}
