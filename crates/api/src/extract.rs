use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use todo_auth::{AuthError, Identity};

use crate::error::ApiError;
use crate::AppState;

/// The caller, from `Authorization: Bearer <JWT>`; rejects with 401.
pub struct Caller {
    pub identity: Identity,
    /// The verified token itself, forwarded when the chat agent reaches a remote MCP server.
    pub token: String,
}

impl Caller {
    /// 403 unless the `{user_id}` in the path is the caller.
    pub fn owns(&self, user_id: &str) -> Result<(), ApiError> {
        if self.identity.user_id == user_id {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn id(&self) -> &str {
        &self.identity.user_id
    }
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(AuthError::Missing)?;
        let identity = state.identify(token).await?;
        crate::routes::oauth::check_rest_caller(state, &identity, parts)?;
        Ok(Caller {
            identity,
            token: token.to_owned(),
        })
    }
}

/// A JSON body whose problems come back as API errors: 415 without a JSON content type, 400 for
/// malformed JSON, 422 naming the field for JSON of the wrong shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        parse_json(&json_bytes(req, state).await?).map(JsonBody)
    }
}

/// The body of a request that must be JSON: 415 without a JSON content type, 413 over the limit.
pub(crate) async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        let message = format!("could not read the body: {}", e.body_text());
        unread_body(&e, message)
    })?;
    Ok(bytes)
}

/// A body that could not be read: over the limit (413), or the client went away mid-body (400).
pub(crate) fn unread_body(e: &BytesRejection, message: String) -> ApiError {
    let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "payload_too_large"
    } else {
        "bad_request"
    };
    ApiError::new(e.status(), code, message)
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from an array too; every body here is an object.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(b'[' | b'"' | b'0'..=b'9' | b'-' | b't' | b'f' | b'n') => {
            return Err(ApiError::field("body", "must be a JSON object"))
        }
        _ => return Err(ApiError::bad_request("malformed JSON: expected an object")),
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::bad_request(format!("malformed JSON: {inner}"));
        }
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        // serde reports a missing or unknown field at the parent's path; name the field itself.
        let path = e.path().to_string();
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field `"));
        let field = match (path.as_str(), named) {
            (".", Some(f)) => f.to_owned(),
            (".", None) => "body".to_owned(),
            (p, Some(f)) if message.starts_with("missing field") => format!("{p}.{f}"),
            (p, _) => p.to_owned(),
        };
        ApiError::field(&field, &message)
    })
}

/// Path segments parsed into `T`, with a 422 naming the segment when one is malformed.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e| ApiError::field("path", &e.body_text()))
    }
}

/// A task id from the path: a 422 names `id` when it is not an integer.
pub fn task_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::field("id", "must be an integer task id"))
}
