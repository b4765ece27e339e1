//! Per-user settings.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::recurrence::parse_time_zone;
use crate::reminder::{format_duration, parse_before};
use crate::validation::ValidationError;

/// A user's settings, as `GET /api/{user_id}/settings` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// IANA time zone recurrences and reminders are computed in (`UTC` until chosen).
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Reminders appear in the app's notifications.
    pub notify_in_app: bool,
    /// Reminders are pushed to the browsers and phones that subscribed.
    pub notify_push: bool,
    /// Events go to the user's webhooks.
    pub notify_webhooks: bool,
    /// ISO 8601 duration before the due time that a new task with a due time is reminded at, or `null`.
    #[schema(example = "PT30M")]
    pub default_reminder: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: Tz::UTC.name().to_owned(),
            notify_in_app: true,
            notify_push: true,
            notify_webhooks: true,
            default_reminder: None,
        }
    }
}

impl Settings {
    /// The time zone as a zone (UTC should a stored name no longer be known).
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }

    /// The default reminder as milliseconds before the due time.
    pub fn default_reminder_ms(&self) -> Option<i64> {
        self.default_reminder
            .as_deref()
            .and_then(|d| parse_before(d).ok())
    }
}

/// Body of `PUT /api/{user_id}/settings`: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateSettings {
    #[serde(default)]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub notify_in_app: Option<bool>,
    #[serde(default)]
    pub notify_push: Option<bool>,
    #[serde(default)]
    pub notify_webhooks: Option<bool>,
    /// An ISO 8601 duration (`PT30M`); `null` or `""` for none.
    #[serde(default, deserialize_with = "crate::task::present")]
    #[schema(value_type = Option<String>, example = "PT30M")]
    pub default_reminder: Option<Option<String>>,
}

/// A validated change of settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub time_zone: Option<Tz>,
    pub notify_in_app: Option<bool>,
    pub notify_push: Option<bool>,
    pub notify_webhooks: Option<bool>,
    /// `Some(None)` clears it; the duration is kept in its canonical form.
    pub default_reminder: Option<Option<String>>,
}

impl UpdateSettings {
    pub fn validate(self) -> Result<SettingsPatch, ValidationError> {
        let mut errors = ValidationError::default();
        let time_zone = self.time_zone.as_deref().and_then(|tz| {
            parse_time_zone(tz)
                .map_err(|m| errors.add("time_zone", m))
                .ok()
        });
        let default_reminder = self.default_reminder.map(|d| {
            d.filter(|d| !d.trim().is_empty()).and_then(|d| {
                parse_before(&d)
                    .map(format_duration)
                    .map_err(|m| errors.add("default_reminder", m))
                    .ok()
            })
        });
        let patch = SettingsPatch {
            time_zone,
            notify_in_app: self.notify_in_app,
            notify_push: self.notify_push,
            notify_webhooks: self.notify_webhooks,
            default_reminder,
        };
        if patch == SettingsPatch::default() && errors.fields.is_empty() {
            errors.add("body", "give at least one setting to change");
        }
        errors.into_result(patch)
    }
}
