use std::collections::BTreeMap;

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use todo_assistant::chat::ChatError;
use todo_auth::AuthError;
use todo_domain::ValidationError;
use todo_storage::{Outage, StorageError};
use utoipa::ToSchema;

/// The API's one error type: every failure becomes `{"error": {"code", "message", "fields"?}}` here.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    /// For a chat turn still running when its request ends: where its answer will be stored.
    pub conversation_id: Option<i64>,
    /// The database condition behind this error, passed to the storage gate on the response.
    pub outage: Option<Outage>,
    /// For 429: seconds until a retry can succeed (`Retry-After`).
    pub retry_after: Option<u64>,
    /// For 401 and 403: parameters of the `Bearer` challenge (RFC 6750 §3), e.g. `error="invalid_token"`
    /// (boxed: errors travel in every `Result` and stay small).
    pub challenge: Option<Box<Challenge>>,
}

/// The parameters of a `WWW-Authenticate: Bearer` challenge, in order.
#[derive(Debug, Default)]
pub struct Challenge(pub Vec<String>);

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    pub message: String,
    /// For validation errors: a message per offending field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// For `still_working`: the conversation in which the assistant's answer will be stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            conversation_id: None,
            outage: None,
            retry_after: None,
            challenge: None,
        }
    }

    /// Adds a parameter to the `Bearer` challenge this error answers with.
    pub fn with_challenge(mut self, param: String) -> Self {
        self.challenge
            .get_or_insert_with(Box::default)
            .0
            .push(param);
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you can only access your own tasks",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 500: a failure on this side; `message` is for the client, the details go to the log.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn field(name: &str, message: &str) -> Self {
        ValidationError::field(name, message).into()
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        let message = match e.fields.iter().next() {
            Some((field, msg)) if e.fields.len() == 1 => format!("{field} {msg}"),
            _ => "some fields are invalid".to_owned(),
        };
        ApiError {
            fields: e.fields,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let missing = e == AuthError::Missing;
        let error = Self::unauthorized(e.to_string());
        if missing {
            error
        } else {
            error.with_challenge(r#"error="invalid_token""#.to_owned())
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let error = match &e {
            StorageError::Unavailable(_) | StorageError::Down => {
                tracing::warn!(error = %e, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            StorageError::Unwritable { fault, .. } => {
                tracing::error!(error = %e, "storage refuses writes");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    format!("cannot store changes: {fault}; nothing was saved, try again later"),
                )
            }
            StorageError::Conflict => Self::new(StatusCode::CONFLICT, "conflict", "already exists"),
            StorageError::Invalid(invalid) => invalid.clone().into(),
            _ => {
                tracing::error!(error = %e, "storage failure");
                Self::internal("internal error")
            }
        };
        ApiError {
            outage: e.outage(),
            ..error
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
                conversation_id: self.conversation_id,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED || self.challenge.is_some() {
            // RFC 9110 §11.6.1: a 401 names the scheme that would succeed (RFC 6750 §3 its parameters).
            let value = match &self.challenge {
                None => "Bearer".to_owned(),
                Some(c) => format!("Bearer {}", c.0.join(", ")),
            };
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(WWW_AUTHENTICATE, v);
            }
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(outage) = self.outage {
            response.extensions_mut().insert(outage);
        }
        response
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::NotFound => Self::not_found("conversation"),
            ChatError::Storage(e) => e.into(),
        }
    }
}
