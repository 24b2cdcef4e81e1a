//! `GET /api/v1/usage` (SPEC §9): the organisation's balance and what it was
//! charged, per endpoint and per day.

use axum::extract::State;
use chrono::NaiveDate;
use myqa_core::billing::{UsageReport, usage_period};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day (UTC, `YYYY-MM-DD`), inclusive. Default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day (UTC, `YYYY-MM-DD`), inclusive. Default: today.
    pub to: Option<String>,
}

fn date(field: &str, text: &str) -> ApiResult<NaiveDate> {
    text.trim().parse().map_err(|_| {
        ApiError::invalid_input(format!(
            "`{field}` must be a date written YYYY-MM-DD, not `{text}`."
        ))
    })
}

/// The period a query asks for, checked.
fn period(query: &UsageQuery, today: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = query.from.as_deref().map(|t| date("from", t)).transpose()?;
    let to = query.to.as_deref().map(|t| date("to", t)).transpose()?;
    usage_period(from, to, today).map_err(ApiError::invalid_input)
}

/// The caller's organisation: balance and usage over a period.
#[utoipa::path(get, path = "/api/v1/usage", tag = "usage",
    params(UsageQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Balance, totals, per endpoint and per day.", body = Envelope<UsageReport>),
        (status = 400, description = "`INVALID_INPUT`: a malformed date, `from` after `to`, a period over 366 days, an unknown parameter.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
    ))]
pub async fn usage(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> ApiResult<Envelope<UsageReport>> {
    let today = myqa_core::time::now().date_naive();
    let (from, to) = period(&query, today)?;
    let organisation = crate::admission::organisation_of(&state, &caller.0).await?;
    let report = state.store.usage_report(&organisation, from, to).await?;
    Ok(Envelope::ok(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn query(from: Option<&str>, to: Option<&str>) -> UsageQuery {
        UsageQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn periods_default_to_thirty_days_and_are_checked() {
        let today = day("2026-11-28");
        assert_eq!(
            period(&query(None, None), today).unwrap(),
            (day("2026-10-30"), today)
        );
        assert_eq!(
            period(&query(Some("2026-11-01"), Some("2026-11-05")), today).unwrap(),
            (day("2026-11-01"), day("2026-11-05"))
        );
        let error = period(&query(Some("yesterday"), None), today).unwrap_err();
        assert!(error.message.contains("`from`"), "{}", error.message);
        let error = period(&query(Some("2026-11-05"), Some("2026-11-01")), today).unwrap_err();
        assert!(error.message.contains("after"), "{}", error.message);
        assert!(period(&query(Some("2024-01-01"), Some("2026-01-01")), today).is_err());
    }
}
