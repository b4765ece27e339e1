//! "The backend" as the UI sees it: either the API router in the same process (`todo serve`) or a
//! remote `todo backend` over HTTP (`todo frontend`). Pages and the `/api/*` proxy both go through
//! [`Backend::send`], so the two roles share every line of UI code.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{HeaderName, CONNECTION, HOST};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use futures_util::TryStreamExt;
use tower::ServiceExt;

#[derive(Clone)]
pub enum Backend {
    /// The API router of this process, called without a network hop.
    Local(Router),
    /// A backend reached over HTTP at `base` (`BACKEND_URL`, no trailing slash).
    Remote {
        client: reqwest::Client,
        base: String,
    },
}

/// The backend could not be reached (remote only).
#[derive(Debug)]
pub struct Unreachable(pub String);

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Drops hop-by-hop headers, including any the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Adds `client` to `X-Forwarded-For` (RFC 7239's de facto predecessor: each proxy appends the
/// address it was reached from), which the backend believes when this frontend is in its
/// `TRUSTED_PROXIES`.
fn forward_for(headers: &mut HeaderMap, client: IpAddr) {
    let chain = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .chain([client.to_canonical().to_string().as_str()])
        .collect::<Vec<_>>()
        .join(", ");
    headers.remove(FORWARDED_FOR);
    if let Ok(v) = HeaderValue::from_str(&chain) {
        headers.insert(FORWARDED_FOR, v);
    }
}

const FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED_HOST: &str = "x-forwarded-host";

impl Backend {
    /// A remote backend at `base` (e.g. `http://todo-backend:8000`).
    pub fn remote(base: &str) -> Result<Backend, reqwest::Error> {
        // No overall timeout: chat answers stream for as long as the model talks. The connect
        // timeout includes the name lookup, so it stays above the resolver's 5 s retry: one lost
        // DNS packet costs latency, not a 502.
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Backend::Remote {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends one request; bodies stream both ways (server-sent events included).
    pub async fn send(&self, req: Request<Body>) -> Result<Response<Body>, Unreachable> {
        match self {
            Backend::Local(router) => Ok(router
                .clone()
                .oneshot(req)
                .await
                .unwrap_or_else(|e| match e {})),
            Backend::Remote { client, base } => {
                let (parts, body) = req.into_parts();
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let mut headers = parts.headers;
                strip_hop_by_hop(&mut headers);
                // The backend names the address the browser used in the links it makes.
                if let Some(host) = headers.remove(HOST) {
                    if !headers.contains_key(FORWARDED_HOST) {
                        headers.insert(FORWARDED_HOST, host);
                    }
                }
                if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
                    forward_for(&mut headers, peer.ip());
                }
                let response = client
                    .request(parts.method, format!("{base}{path}"))
                    .headers(headers)
                    .body(reqwest::Body::wrap_stream(body.into_data_stream()))
                    .send()
                    .await
                    .map_err(|e| Unreachable(e.without_url().to_string()))?;
                let mut out = Response::builder().status(response.status());
                if let Some(h) = out.headers_mut() {
                    *h = response.headers().clone();
                    strip_hop_by_hop(h);
                }
                let stream = response.bytes_stream().map_err(std::io::Error::other);
                Ok(out
                    .body(Body::from_stream(stream))
                    .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            CONNECTION,
            HeaderValue::from_static("keep-alive, x-private-hop"),
        );
        h.insert("x-private-hop", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert(
            "content-type",
            HeaderValue::from_static("text/event-stream"),
        );
        h.insert("authorization", HeaderValue::from_static("Bearer x"));
        strip_hop_by_hop(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(left, ["authorization", "content-type"]);
    }
}
