//! Security headers on every response, and CSRF protection for every form: a token each form and htmx
//! request must echo, derived from the session cookie when there is one (so a cookie planted by a
//! sibling subdomain pairs with nothing of the victim's) and otherwise a double-submit token (a random
//! value in an HttpOnly, SameSite=Strict cookie), plus a same-origin check of the `Origin` header
//! when the browser sends one.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use todo_auth::{origin_is_host, session_cookie};

use crate::WebSettings;

pub const CSRF_COOKIE: &str = "todo.csrf";
pub const CSRF_FIELD: &str = "_csrf";
const CSRF_HEADER: &str = "x-csrf-token";
/// Forms are small; a bigger body is not a form this UI sent.
const FORM_LIMIT: usize = 64 * 1024;
/// Except a file upload (multipart): an import file, base64-encoded when its preview is confirmed.
pub const UPLOAD_LIMIT: usize = todo_transfer::MAX_IMPORT_BYTES / 3 * 4 + FORM_LIMIT;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The CSRF token of this request, for the page to embed.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// The name of one of the UI's own cookies: with `Secure` cookies `__Host-` prefixed, which browsers
/// accept only from this very host over HTTPS, so no other host can set or shadow it.
fn own_name(settings: &WebSettings, name: &str) -> String {
    if settings.secure_cookies {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of one of the UI's own cookies (see [`set_cookie`]).
pub fn own_cookie<'a>(
    settings: &WebSettings,
    headers: &'a HeaderMap,
    name: &str,
) -> Option<&'a str> {
    cookie(headers, &own_name(settings, name))
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then_some(v)
        })
}

/// A `Set-Cookie` value for one of the UI's own cookies (named as [`own_name`] says).
pub fn set_cookie(
    settings: &WebSettings,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    same_site: &str,
) -> HeaderValue {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let name = own_name(settings, name);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}{age}{secure}"
    ))
    .expect("cookie values are URL-safe ASCII")
}

fn fresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cross-site request announces itself in `Origin`; its host must be the one the page was served from.
fn origin_ok(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    origin_is_host(origin, host)
}

/// The CSRF token of a signed-in browser: a digest of its session token, which only that browser
/// (the cookie is HttpOnly) and this server know. Domain-separated, so it is not the stored hash.
fn session_bound(session: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"todo csrf\0")
        .chain_update(session.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(digest)
}

/// Hands every request its CSRF token (creating the anonymous one's cookie on first visit) and
/// refuses a POST whose form field or `X-CSRF-Token` header does not match it.
pub async fn csrf(State(settings): State<WebSettings>, req: Request, next: Next) -> Response {
    let anonymous = own_cookie(&settings, req.headers(), CSRF_COOKIE).map(str::to_owned);
    let session = cookie(req.headers(), session_cookie(settings.secure_cookies)).map(session_bound);
    let signed_in = session.is_some();
    let expected = session.or_else(|| anonymous.clone());
    let token = expected.clone().unwrap_or_else(fresh_token);
    let mut req = req;
    if req.method() == Method::POST {
        let header = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let origin_ok = origin_ok(req.headers());
        let (parts, body) = req.into_parts();
        let multipart = parts
            .headers
            .get(CONTENT_TYPE)
            .filter(|v| v.as_bytes().starts_with(b"multipart/form-data"))
            .cloned();
        let limit = if multipart.is_some() {
            UPLOAD_LIMIT
        } else {
            FORM_LIMIT
        };
        let Ok(bytes) = to_bytes(body, limit).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
        };
        let field = match multipart {
            Some(content_type) => multipart_field(content_type, bytes.clone()).await,
            None => url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.into_owned()),
        };
        let sent = header.or(field);
        let valid = match (&expected, &sent) {
            (Some(e), Some(s)) => same(e, s),
            _ => false,
        };
        if !valid || !origin_ok {
            return crate::layout::forbidden_form();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if anonymous.is_none() && !signed_in {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(&settings, CSRF_COOKIE, &token, None, "Strict"),
        );
    }
    response
}

/// The CSRF field of a multipart form; the UI's forms put it first, before any file.
async fn multipart_field(content_type: HeaderValue, body: axum::body::Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type.to_str().ok()?).ok()?;
    let mut form = multer::Multipart::new(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) }),
        boundary,
    );
    let field = form.next_field().await.ok()??;
    if field.name() != Some(CSRF_FIELD) {
        return None;
    }
    // Bytes, not `text()`, which would pull every legacy encoding's tables into the binary.
    String::from_utf8(field.bytes().await.ok()?.to_vec()).ok()
}

/// Content-Security-Policy and friends, on every response of the UI.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    };
    set(h, "content-security-policy", CSP);
    // Pages show a user's tasks and carry their CSRF token: after sign-out, Back must not bring one
    // back from a cache. Hashed assets set their own, long-lived, caching.
    set(h, "cache-control", "no-store");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("todo.example.com"));
        assert!(
            origin_ok(&h),
            "no Origin: a same-origin navigation or an old browser"
        );
        h.insert(ORIGIN, HeaderValue::from_static("https://todo.example.com"));
        assert!(origin_ok(&h));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!origin_ok(&h));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!origin_ok(&h));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
