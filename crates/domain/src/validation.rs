use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Invalid client input, with a message per offending field so the caller can show it next to the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationError {
    pub fields: BTreeMap<String, String>,
}

impl ValidationError {
    pub fn field(name: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.add(name, message);
        e
    }

    pub fn add(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.fields
            .entry(name.into())
            .or_insert_with(|| message.into());
    }

    /// `Ok(value)` when no field was flagged, so validators can collect every problem before failing.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.fields.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        write!(f, "invalid input ({})", parts.join("; "))
    }
}

impl std::error::Error for ValidationError {}

/// A one-line text of 1 to `max` characters after trimming (a title, a name), flagged on `field`.
pub(crate) fn check_line(
    field: &str,
    raw: &str,
    max: usize,
    errors: &mut ValidationError,
) -> String {
    let text = raw.trim();
    let n = text.chars().count();
    if n == 0 {
        errors.add(field, "must not be empty");
    } else if text.chars().any(char::is_control) {
        errors.add(field, "must be one line without control characters");
    } else if n > max {
        errors.add(field, format!("must be at most {max} characters (got {n})"));
    }
    text.to_owned()
}

/// Accepts an RFC 3339 date-time or a plain `YYYY-MM-DD` date (taken as midnight UTC).
pub fn parse_due(input: &str) -> Result<DateTime<Utc>, &'static str> {
    let s = input.trim();
    let parsed = match DateTime::parse_from_rfc3339(s) {
        Ok(dt) => Some(dt.with_timezone(&Utc)),
        Err(_) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc()),
    };
    // Years RFC 3339 can write, in both directions (an offset can push 9999-12-31 into year 10000).
    parsed
        .filter(|d| (1..=crate::task::MAX_YEAR).contains(&d.year()))
        .ok_or("must be an RFC 3339 date-time (2026-05-01T17:00:00Z) or a date (2026-05-01), years 0001–9999")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_accepts_datetime_and_date() {
        assert_eq!(
            parse_due("2026-05-01T17:00:00+02:00").unwrap().to_rfc3339(),
            "2026-05-01T15:00:00+00:00"
        );
        assert_eq!(
            parse_due("2026-05-01").unwrap().to_rfc3339(),
            "2026-05-01T00:00:00+00:00"
        );
        assert!(parse_due("tomorrow").is_err());
        assert!(parse_due("2026-13-01").is_err());
        assert!(parse_due("+10000-01-01").is_err());
        assert!(parse_due("-0001-01-01").is_err());
        assert!(
            parse_due("9999-12-31T23:00:00-05:00").is_err(),
            "year 10000 in UTC"
        );
    }
}
