//! Prices in coins (SPEC §9):
//! `ceil(input_tokens/1000 × rate_in + output_tokens/1000 × rate_out + audio_minutes × rate_audio)`.
//!
//! Computed in integers (rates in thousandths of a coin) so that a price that
//! is a whole number of coins is never rounded up by a float's last bit.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::capture::TokenUsage;

/// Coin rates, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Coins per 1,000 input tokens.
    pub input_per_1k: f64,
    /// Coins per 1,000 output tokens.
    pub output_per_1k: f64,
    /// Coins per minute of audio.
    pub audio_per_minute: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            input_per_1k: 1.0,
            output_per_1k: 4.0,
            audio_per_minute: 2.0,
        }
    }
}

/// The default usage period: the last 30 days, today included.
pub const USAGE_DEFAULT_DAYS: u64 = 30;
/// The longest usage period one report may cover.
pub const USAGE_MAX_DAYS: u64 = 366;

/// The period a usage report covers: `to` defaults to `today`, `from` to 29
/// days before `to`; `from` after `to`, or more than [`USAGE_MAX_DAYS`] days,
/// is refused with a message naming the fields.
pub fn usage_period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(chrono::Days::new(USAGE_DEFAULT_DAYS - 1))
            .unwrap_or(NaiveDate::MIN)
    });
    if from > to {
        return Err(format!("`from` ({from}) is after `to` ({to})."));
    }
    if (to - from).num_days() >= USAGE_MAX_DAYS as i64 {
        return Err(format!(
            "The period from `from` to `to` covers more than {USAGE_MAX_DAYS} days; ask for a shorter one."
        ));
    }
    Ok((from, to))
}

/// What an organisation consumed over a period: `GET /api/v1/usage` and
/// `myqa admin usage`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UsageReport {
    pub organisation_id: Uuid,
    /// First day counted (UTC), inclusive.
    pub from: NaiveDate,
    /// Last day counted (UTC), inclusive.
    pub to: NaiveDate,
    /// Coins left now; `null` for an organisation without a coin limit.
    pub balance: Option<i64>,
    pub unlimited: bool,
    pub totals: UsageTotals,
    /// Per endpoint, busiest first.
    pub by_endpoint: Vec<EndpointUsage>,
    /// Per day with any charged call, oldest first.
    pub by_day: Vec<DayUsage>,
}

/// Charged calls and what they consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct UsageTotals {
    /// Successful calls (each charged once).
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub audio_ms: i64,
    pub coins: i64,
}

impl UsageTotals {
    pub fn add(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.audio_ms += other.audio_ms;
        self.coins += other.coins;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EndpointUsage {
    /// `captureiq.analyze` or `snapreport.analyze`.
    pub endpoint: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayUsage {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

fn milli(rate: f64) -> u128 {
    (rate.max(0.0) * 1000.0).round() as u128
}

impl Rates {
    /// The price of a call. Rates are taken to three decimals.
    pub fn price(&self, usage: TokenUsage, audio_ms: u64) -> i64 {
        // Everything over the common denominator 60,000,000: tokens/1000 ×
        // milli-rate/1000 = tokens × milli / 1e6 = tokens × milli × 60 / 6e7;
        // minutes × milli-rate/1000 = ms × milli / 6e7.
        let numerator = u128::from(usage.input_tokens) * milli(self.input_per_1k) * 60
            + u128::from(usage.output_tokens) * milli(self.output_per_1k) * 60
            + u128::from(audio_ms) * milli(self.audio_per_minute);
        i64::try_from(numerator.div_ceil(60_000_000)).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input_tokens: u64, output_tokens: u64) -> TokenUsage {
        TokenUsage {
            input_tokens,
            output_tokens,
        }
    }

    #[test]
    fn the_contract_example_and_edges() {
        let rates = Rates::default();
        // 500 in, 1200 out: 0.5 + 4.8 = 5.3 → 6
        assert_eq!(rates.price(usage(500, 1200), 0), 6);
        // Whole numbers stay whole.
        assert_eq!(rates.price(usage(1000, 1000), 0), 5);
        assert_eq!(rates.price(usage(3000, 3000), 60_000), 17);
        assert_eq!(rates.price(usage(0, 0), 0), 0);
        assert_eq!(rates.price(usage(1, 0), 0), 1);
        // An hour of audio: 120 coins.
        assert_eq!(rates.price(usage(0, 0), 3_600_000), 120);
        let custom = Rates {
            input_per_1k: 0.1,
            output_per_1k: 0.2,
            audio_per_minute: 0.0,
        };
        // 0.1 × 10 + 0.2 × 10 = 3 exactly, not 3.0000000000000004 → 4.
        assert_eq!(custom.price(usage(10_000, 10_000), 0), 3);
    }
}
