//! Reminders: when a task's owner is told about it, and what they are told.

use chrono::{DateTime, Days, LocalResult, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{parse_due, ValidationError};

/// Reminders one task may have.
pub const MAX_REMINDERS: usize = 10;
/// The furthest ahead of its due time a reminder may be set.
const MAX_BEFORE_DAYS: u32 = 365;
const DAY_MS: i64 = 86_400_000;

/// When a reminder goes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// At this instant.
    At(DateTime<Utc>),
    /// This long before the task's due time; with `on_day_at`, that many whole days before, at this
    /// local time of the user's time zone ("1 day before at 9:00").
    Before {
        ms: i64,
        on_day_at: Option<NaiveTime>,
    },
}

impl When {
    /// The instant it goes off for a task due at `due`, in the user's zone `tz`; `None` when it is
    /// relative and the task has no due time.
    pub fn fire_at(&self, due: Option<DateTime<Utc>>, tz: Tz) -> Option<DateTime<Utc>> {
        match *self {
            When::At(at) => Some(at),
            When::Before {
                ms,
                on_day_at: None,
            } => due.map(|d| d - chrono::Duration::milliseconds(ms)),
            When::Before {
                ms,
                on_day_at: Some(time),
            } => {
                let day = due?.with_timezone(&tz).date_naive();
                let day = day.checked_sub_days(Days::new((ms / DAY_MS) as u64))?;
                Some(local_instant(tz, day.and_time(time)))
            }
        }
    }

    /// The same reminder for the next occurrence of a recurring task: relative ones move with the due
    /// time by themselves, absolute ones keep their distance to it.
    pub fn for_next(&self, due: Option<DateTime<Utc>>, next_due: DateTime<Utc>) -> Option<When> {
        match *self {
            When::At(at) => due.map(|d| When::At(at + (next_due - d))),
            relative => Some(relative),
        }
    }
}

/// A local wall-clock time as an instant: in a DST gap the time after the gap (09:30 that does not
/// exist is 10:30), in an overlap the first of the two.
pub fn local_instant(tz: Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            let later = local + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
        }
    }
}

/// A reminder as the API shows it: `at` or `before` (with `time`), plus when it goes off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reminder {
    pub id: i64,
    #[serde(flatten)]
    pub when: ReminderInput,
    /// When it goes off; `null` for a relative reminder of a task without a due time.
    pub fire_at: Option<DateTime<Utc>>,
    /// Whether it has gone off (or was cancelled by completing the task).
    pub done: bool,
}

/// One reminder as a client sends it: exactly one of `at` and `before`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReminderInput {
    /// RFC 3339 instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-05-01T08:30:00Z")]
    pub at: Option<String>,
    /// ISO 8601 duration before the due time (`PT30M`, `P1D`, `P1DT2H`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "PT30M")]
    pub before: Option<String>,
    /// With a `before` of whole days: the local time (`HH:MM`, the user's time zone) on that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "09:00")]
    pub time: Option<String>,
}

impl ReminderInput {
    /// How [`When`] is written back.
    pub fn of(when: When) -> Self {
        match when {
            When::At(at) => ReminderInput {
                at: Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ..Default::default()
            },
            When::Before { ms, on_day_at } => ReminderInput {
                before: Some(format_duration(ms)),
                time: on_day_at.map(|t| t.format("%H:%M").to_string()),
                ..Default::default()
            },
        }
    }

    fn validate(&self, field: &str, errors: &mut ValidationError) -> Option<When> {
        match (&self.at, &self.before) {
            (Some(at), None) => {
                if self.time.is_some() {
                    errors.add(format!("{field}.time"), "goes with `before`, not `at`");
                    return None;
                }
                parse_due(at)
                    .map(When::At)
                    .map_err(|m| errors.add(format!("{field}.at"), m))
                    .ok()
            }
            (None, Some(before)) => {
                let ms = parse_before(before)
                    .map_err(|m| errors.add(format!("{field}.before"), m))
                    .ok()?;
                let on_day_at = match self.time.as_deref() {
                    None => None,
                    Some(_) if ms % DAY_MS != 0 || ms == 0 => {
                        errors.add(
                            format!("{field}.time"),
                            "needs a `before` of whole days (P1D, P2D…)",
                        );
                        return None;
                    }
                    Some(t) => Some(
                        NaiveTime::parse_from_str(t.trim(), "%H:%M")
                            .map_err(|_| {
                                errors.add(format!("{field}.time"), "must be HH:MM, e.g. 09:00")
                            })
                            .ok()?,
                    ),
                };
                Some(When::Before { ms, on_day_at })
            }
            _ => {
                errors.add(
                    field.to_owned(),
                    "give exactly one of `at` (RFC 3339) and `before` (ISO 8601 duration)",
                );
                None
            }
        }
    }
}

/// Validates a task's reminders as sent (`reminders[i]…` on error).
pub fn check_reminders(raw: &[ReminderInput], errors: &mut ValidationError) -> Vec<When> {
    if raw.len() > MAX_REMINDERS {
        errors.add(
            "reminders",
            format!("at most {MAX_REMINDERS} reminders (got {})", raw.len()),
        );
        return Vec::new();
    }
    let mut out: Vec<When> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        if let Some(w) = r.validate(&format!("reminders[{i}]"), errors) {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// An ISO 8601 duration of weeks, days, hours, minutes and seconds, in milliseconds. Years and months
/// have no fixed length and are refused.
pub fn parse_before(raw: &str) -> Result<i64, String> {
    let invalid =
        || format!("must be an ISO 8601 duration such as PT30M, PT2H or P1D (got {raw:?})");
    // The parser takes a bare `PT` for zero; a duration names at least one amount.
    if !raw.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let d = iso8601::duration(raw.trim()).map_err(|_| invalid())?;
    let ms = match d {
        iso8601::Duration::Weeks(w) => i64::from(w) * 7 * DAY_MS,
        iso8601::Duration::YMDHMS {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millisecond,
        } => {
            if year != 0 || month != 0 {
                return Err("years and months vary in length; use days or weeks".into());
            }
            i64::from(day) * DAY_MS
                + i64::from(hour) * 3_600_000
                + i64::from(minute) * 60_000
                + i64::from(second) * 1000
                + i64::from(millisecond)
        }
    };
    if ms > i64::from(MAX_BEFORE_DAYS) * DAY_MS {
        return Err(format!("at most {MAX_BEFORE_DAYS} days before"));
    }
    Ok(ms)
}

/// Milliseconds as the shortest ISO 8601 duration of days, hours, minutes and seconds.
pub fn format_duration(ms: i64) -> String {
    let (days, rest) = (ms / DAY_MS, ms % DAY_MS);
    let (h, m, s) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60);
    let mut out = String::from("P");
    if days > 0 {
        out += &format!("{days}D");
    }
    if h + m + s > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out += &format!("{h}H");
        }
        if m > 0 {
            out += &format!("{m}M");
        }
        if s > 0 || (h == 0 && m == 0) {
            out += &format!("{s}S");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn when(input: ReminderInput) -> Result<When, ValidationError> {
        let mut errors = ValidationError::default();
        let w = check_reminders(&[input], &mut errors);
        errors.into_result(w).map(|w| w[0])
    }

    #[test]
    fn durations_read_and_write_back() {
        for (raw, ms, canonical) in [
            ("PT30M", 1_800_000, "PT30M"),
            ("PT1H30M", 5_400_000, "PT1H30M"),
            ("P1D", DAY_MS, "P1D"),
            ("P1W", 7 * DAY_MS, "P7D"),
            ("P1DT2H", DAY_MS + 7_200_000, "P1DT2H"),
            ("PT0S", 0, "PT0S"),
            ("PT45S", 45_000, "PT45S"),
        ] {
            assert_eq!(parse_before(raw), Ok(ms), "{raw}");
            assert_eq!(format_duration(ms), canonical, "{raw}");
        }
        for bad in ["30 minutes", "P1M", "P1Y", "", "PT", "-PT5M", "P400D"] {
            assert!(parse_before(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn input_names_the_offending_field() {
        let e = when(ReminderInput::default()).unwrap_err();
        assert!(e.fields.contains_key("reminders[0]"), "{e}");
        let e = when(ReminderInput {
            before: Some("soon".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.fields.contains_key("reminders[0].before"), "{e}");
        let e = when(ReminderInput {
            before: Some("PT30M".into()),
            time: Some("09:00".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.fields.contains_key("reminders[0].time"), "{e}");
        let e = when(ReminderInput {
            at: Some("tomorrow".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.fields.contains_key("reminders[0].at"), "{e}");
        let many = vec![
            ReminderInput {
                before: Some("PT1M".into()),
                ..Default::default()
            };
            MAX_REMINDERS + 1
        ];
        let mut errors = ValidationError::default();
        check_reminders(&many, &mut errors);
        assert!(errors.fields.contains_key("reminders"));
    }

    #[test]
    fn a_day_before_at_nine_keeps_nine_across_dst() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let w = when(ReminderInput {
            before: Some("P1D".into()),
            time: Some("09:00".into()),
            ..Default::default()
        })
        .unwrap();
        // Due Monday 30 March 2026 10:00 CEST; the clocks went forward on Sunday 29 March.
        let due = utc("2026-03-30T08:00:00Z");
        // The day before is still CET: 09:00 local is 08:00 UTC.
        assert_eq!(
            w.fire_at(Some(due), berlin),
            Some(utc("2026-03-29T07:00:00Z"))
        );
        // In October the day before is CEST (until 25 October 03:00).
        let due = utc("2026-10-26T09:00:00Z");
        assert_eq!(
            w.fire_at(Some(due), berlin),
            Some(utc("2026-10-25T08:00:00Z"))
        );
        assert_eq!(w.fire_at(None, berlin), None);
    }

    #[test]
    fn relative_reminders_count_back_from_the_due_time() {
        let w = When::Before {
            ms: 1_800_000,
            on_day_at: None,
        };
        let due = utc("2026-03-29T01:15:00Z");
        assert_eq!(
            w.fire_at(Some(due), Tz::UTC),
            Some(utc("2026-03-29T00:45:00Z"))
        );
        // Absolute reminders keep their distance to the next occurrence's due time.
        let at = When::At(utc("2026-03-28T20:00:00Z"));
        let next = utc("2026-03-30T01:15:00Z");
        assert_eq!(
            at.for_next(Some(due), next),
            Some(When::At(utc("2026-03-29T20:00:00Z")))
        );
        assert_eq!(w.for_next(Some(due), next), Some(w));
    }

    #[test]
    fn a_local_time_in_the_spring_gap_goes_off_after_it() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let w = When::Before {
            ms: DAY_MS,
            on_day_at: Some(NaiveTime::from_hms_opt(2, 30, 0).unwrap()),
        };
        // 02:30 on 29 March 2026 does not exist in Berlin; 03:30 CEST is 01:30 UTC.
        let due = utc("2026-03-30T08:00:00Z");
        assert_eq!(
            w.fire_at(Some(due), berlin),
            Some(utc("2026-03-29T01:30:00Z"))
        );
    }
}
