//! What an analyze request must pass after authentication and before its
//! body is read: the organisation has coins left (SPEC §9), and the key is
//! within its quotas (SPEC §10). Nothing is uploaded or stored for a request
//! refused here.

use myqa_core::api_key::ApiKey;
use myqa_core::{ErrorCode, Organisation};

use crate::error::{ApiError, ApiResult};
use crate::quota;
use crate::state::AppState;

/// Admits `key`'s request, or refuses it with 402 or 429.
pub async fn admit(state: &AppState, key: &ApiKey) -> ApiResult<quota::Admitted> {
    let organisation = organisation_of(state, key).await?;
    if !organisation.unlimited && organisation.coins_balance <= 0 {
        return Err(ApiError::new(
            ErrorCode::InsufficientCoins,
            format!(
                "The organisation's coin balance is {}; ask your operator for more coins.",
                organisation.coins_balance
            ),
        ));
    }
    quota::check(state, key).await
}

/// The key's organisation. Keys reference it, so it exists; were it deleted
/// under us, the key could not be used anyway.
pub async fn organisation_of(state: &AppState, key: &ApiKey) -> ApiResult<Organisation> {
    state.store.organisation(key.org_id).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "This API key's organisation no longer exists.",
        )
    })
}
