//! `Idempotency-Key` on the requests that create things (tasks, chat turns): a retry with the same key
//! gets the first answer again (marked `Idempotent-Replayed: true`) instead of acting twice.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use todo_storage::{IdempotencyKey, Prior};

use crate::error::ApiError;
use crate::extract::{json_bytes, parse_json};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A JSON body (as [`crate::extract::JsonBody`]) and the `Idempotency-Key` it came with, if any, bound
/// to a digest of the path and body so the key cannot replay the answer to a different request.
pub struct Idempotent<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Idempotent<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let key = match req.headers().get(IDEMPOTENCY_KEY) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .filter(|k| {
                        (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
                    })
                    .ok_or_else(|| {
                        ApiError::field(
                            "Idempotency-Key",
                            "must be 1–255 visible ASCII characters (a UUID, say)",
                        )
                    })?
                    .to_owned(),
            ),
        };
        let path = req.uri().path().to_owned();
        let bytes = json_bytes(req, state).await?;
        let body = parse_json(&bytes)?;
        let key = key.map(|key| IdempotencyKey {
            key,
            fingerprint: format!(
                "{:x}",
                Sha256::new()
                    .chain_update(path)
                    .chain_update([0])
                    .chain_update(&bytes)
                    .finalize()
            ),
        });
        Ok(Idempotent { body, key })
    }
}

/// The answer to a request whose key an earlier request already used.
pub fn replay(prior: Prior) -> Result<Response, ApiError> {
    match prior {
        Prior::Answered { status, body } => Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (REPLAYED, HeaderValue::from_static("true")),
            ],
            body,
        )
            .into_response()),
        Prior::InProgress => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still running; retry shortly for its answer",
        )),
        Prior::OtherRequest => Err(ApiError::field(
            "Idempotency-Key",
            "was already used for a different request; use a new key for each request",
        )),
    }
}
