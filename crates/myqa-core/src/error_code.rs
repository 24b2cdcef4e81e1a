//! The API's error codes (SPEC §2). The HTTP status of each lives in the http
//! crate, the only place that turns errors into responses.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Machine-readable error code carried in every error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidInput,
    InvalidAudioFormat,
    FileTooLarge,
    InvalidCallbackUrl,
    Unauthorized,
    InsufficientCoins,
    Forbidden,
    NotFound,
    StandardNotFound,
    MethodNotAllowed,
    IdempotencyConflict,
    RateLimited,
    ProcessingError,
    ServiceUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidInput,
        ErrorCode::InvalidAudioFormat,
        ErrorCode::FileTooLarge,
        ErrorCode::InvalidCallbackUrl,
        ErrorCode::Unauthorized,
        ErrorCode::InsufficientCoins,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::StandardNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::IdempotencyConflict,
        ErrorCode::RateLimited,
        ErrorCode::ProcessingError,
        ErrorCode::ServiceUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::InvalidAudioFormat => "INVALID_AUDIO_FORMAT",
            ErrorCode::FileTooLarge => "FILE_TOO_LARGE",
            ErrorCode::InvalidCallbackUrl => "INVALID_CALLBACK_URL",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::InsufficientCoins => "INSUFFICIENT_COINS",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::StandardNotFound => "STANDARD_NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ProcessingError => "PROCESSING_ERROR",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error and its causes on one line: libraries' top-level messages (an
/// HTTP client's "error sending request") say little; the causes say what
/// happened.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_name_matches_as_str() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
