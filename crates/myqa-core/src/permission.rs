//! What a key may do (SPEC §3).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Permission {
    /// `POST /api/v1/captureiq/analyze`
    #[serde(rename = "captureiq:analyze")]
    CaptureIqAnalyze,
    /// `POST /api/v1/snapreport/analyze`
    #[serde(rename = "snapreport:generate")]
    SnapReportGenerate,
}

impl Permission {
    pub const ALL: [Permission; 2] = [Permission::CaptureIqAnalyze, Permission::SnapReportGenerate];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::CaptureIqAnalyze => "captureiq:analyze",
            Permission::SnapReportGenerate => "snapreport:generate",
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown permission `{0}`; expected one of: captureiq:analyze, snapreport:generate")]
pub struct UnknownPermission(pub String);

impl std::str::FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_and_json() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("captureiq:Analyze".parse::<Permission>().is_err());
    }
}
