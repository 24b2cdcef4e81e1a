//! The OpenAPI document: generated from the handlers' annotations and the
//! request/response types, so it cannot drift from the code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorEnvelope;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MyQA API",
        description = "CaptureIQ turns audit and meeting recordings or transcripts into summaries and categorised observations; SnapReport grades evidence against BRCGS Food Safety 9, IFS Food 8 and ISO 9001:2015.\n\nEvery `/api/v1` request needs `Authorization: Bearer <API key>`. Every response carries an `X-Request-Id` header; errors use the envelope `{\"success\": false, \"error\": {\"code\", \"message\", \"request_id\"}}`.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    components(schemas(ErrorEnvelope, myqa_core::ErrorCode, myqa_core::Permission)),
    modifiers(&BearerAuth),
    tags(
        (name = "standards", description = "The standards catalogue"),
        (name = "captureiq", description = "Audit and meeting analysis"),
        (name = "snapreport", description = "Evidence grading"),
        (name = "usage", description = "Coin balance and consumption"),
        (name = "operations", description = "Health, readiness and metrics, without authentication"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("myqa_ followed by 32 letters and digits")
                    .build(),
            ),
        );
    }
}
