//! The MyQA HTTP API.
//!
//! The path of a request: request context (id, span) → request metrics →
//! shutdown guard (in-flight count, cut-off at the deadline) → panic guard →
//! CORS → routing → handler, whose extractors authenticate and authorise from
//! the head before any body is read. Errors become responses in [`error`] only.

pub mod admission;
pub mod auth;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod lifecycle;
pub mod metrics;
pub mod openapi;
pub mod quota;
pub mod request_context;
pub mod routes;
pub mod state;
pub mod upload;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use myqa_core::ErrorCode;
use myqa_core::config::CorsOrigins;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, ApiResult};
pub use state::{AppState, HttpSettings};

use crate::routes::{captureiq, fallback, health, snapreport, standards, usage};

/// Every documented route, with the OpenAPI document they produce.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(standards::list_standards))
        .routes(routes!(standards::get_standard))
        .routes(routes!(standards::list_clauses))
        .routes(routes!(captureiq::analyze))
        .routes(routes!(captureiq::get_job))
        .routes(routes!(snapreport::analyze))
        .routes(routes!(snapreport::get_job))
        .routes(routes!(usage::usage))
        .split_for_parts()
}

/// The OpenAPI document served at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The application with `extra` routes mounted behind the same middleware
/// (tests mount a panicking handler this way to prove the panic guard).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    if state.settings.metrics_enabled {
        metrics::install();
    }
    let (api, document) = api();
    let cors = cors_layer(&state.settings.cors_origins);
    let body_limit = state.settings.json_body_limit;
    Router::new()
        .merge(api)
        .merge(extra)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", document))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(quota::rate_limit_headers))
        .layer(cors)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            lifecycle::track,
        ))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .layer(axum::middleware::from_fn(request_context::request_context))
        .with_state(state)
}

/// The routes a worker process serves: health, readiness and metrics.
pub fn operations_router(state: AppState) -> Router {
    if state.settings.metrics_enabled {
        metrics::install();
    }
    let (api, _) = OpenApiRouter::<AppState>::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .split_for_parts();
    Router::new()
        .merge(api)
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            lifecycle::track,
        ))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .layer(axum::middleware::from_fn(request_context::request_context))
        .with_state(state)
}

/// A panic in a handler becomes a 500 envelope; the panic itself is logged by
/// the process's panic hook, inside the request's span.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(
        ErrorCode::ProcessingError,
        "An unexpected error occurred. Quote the request id when reporting it.",
    )
    .into_response()
}

fn cors_layer(origins: &CorsOrigins) -> CorsLayer {
    let allow_origin = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("prefer"),
        ])
        .expose_headers([
            HeaderName::from_static(request_context::REQUEST_ID_HEADER),
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    /// `docs/openapi.json` is the reviewed copy of the contract the code
    /// generates; a change to the API shows up in its diff.
    #[test]
    fn committed_openapi_matches_the_code() {
        let generated = format!(
            "{}\n",
            serde_json::to_string_pretty(&super::openapi_document()).unwrap()
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p myqa-http` and commit it"
        );
    }
}
