//! Unknown routes and wrong methods, in the error envelope.

use axum::http::Uri;
use myqa_core::ErrorCode;

use crate::error::ApiError;

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("No route matches `{}`.", uri.path()))
}

/// Axum adds the `Allow` header listing the route's methods.
pub async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "Method {method} is not allowed on `{}`; see the Allow header.",
            uri.path()
        ),
    )
}
