//! The one place where errors become HTTP responses (SPEC §2).

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use myqa_core::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::request_context;

/// An error on its way to the client: a code, a sentence naming what was
/// wrong, optional machine-readable details and extra headers.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Rarely present, so boxed: keeps `Result<T, ApiError>` small.
    extra: Option<Box<Extra>>,
}

#[derive(Debug, Default)]
struct Extra {
    details: Option<serde_json::Value>,
    headers: HeaderMap,
}

/// `{"success": false, "error": {…}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// A sentence naming the offending field or value where there is one.
    pub message: String,
    /// The `X-Request-Id` of this response.
    pub request_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The HTTP status of each code: the contract's table, in one place.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidInput
        | ErrorCode::InvalidAudioFormat
        | ErrorCode::FileTooLarge
        | ErrorCode::InvalidCallbackUrl => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientCoins => StatusCode::PAYMENT_REQUIRED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound | ErrorCode::StandardNotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::IdempotencyConflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ProcessingError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            extra: None,
        }
    }

    pub fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 401, with the `WWW-Authenticate` challenge of RFC 6750.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthorized, message).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"myqa\""),
        )
    }

    /// An unexpected failure. The cause is logged (with the request id, by
    /// the request's span); the client gets a sentence that leaks nothing.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            ErrorCode::ProcessingError,
            "An unexpected error occurred. Quote the request id when reporting it.",
        )
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.extra.get_or_insert_default().details = Some(details);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra
            .get_or_insert_default()
            .headers
            .insert(name, value);
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<myqa_store::StoreError> for ApiError {
    fn from(err: myqa_store::StoreError) -> Self {
        ApiError::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let Extra { details, headers } = self.extra.map(|e| *e).unwrap_or_default();
        let envelope = ErrorEnvelope {
            success: false,
            error: ErrorBody {
                code: self.code,
                message: self.message.into_owned(),
                request_id: request_context::current_request_id().unwrap_or_else(Uuid::nil),
                details,
            },
        };
        let mut response = (status_of(self.code), axum::Json(envelope)).into_response();
        response.headers_mut().extend(headers);
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
