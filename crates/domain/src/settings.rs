//! Per-user settings.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::recurrence::parse_time_zone;
use crate::validation::ValidationError;

/// A user's settings, as `GET /api/{user_id}/settings` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// IANA time zone recurrences are computed in (`UTC` until chosen).
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: Tz::UTC.name().to_owned(),
        }
    }
}

/// Body of `PUT /api/{user_id}/settings`: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateSettings {
    #[serde(default)]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
}

/// A validated change of settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub time_zone: Option<Tz>,
}

impl UpdateSettings {
    pub fn validate(self) -> Result<SettingsPatch, ValidationError> {
        let mut errors = ValidationError::default();
        let time_zone = self.time_zone.as_deref().and_then(|tz| {
            parse_time_zone(tz)
                .map_err(|m| errors.add("time_zone", m))
                .ok()
        });
        let patch = SettingsPatch { time_zone };
        if patch == SettingsPatch::default() && errors.fields.is_empty() {
            errors.add("body", "give at least one setting to change");
        }
        errors.into_result(patch)
    }
}
