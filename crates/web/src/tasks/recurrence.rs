//! The recurrence editor: a preset and plain fields (every N, days, monthly by day or weekday, an
//! end, from completion) as posted, and the RRULE built from them, so no browser has to write one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use todo_domain::Recurrence;

/// The presets of the repeat select, as `(value, label)`.
pub const PRESETS: [(&str, &str); 5] = [
    ("daily", "Daily"),
    ("weekdays", "Every weekday"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("yearly", "Yearly"),
];

/// Weekdays as RRULE names them, with the labels the editor shows.
pub const WEEKDAYS: [(&str, &str); 7] = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
];

/// Which week of the month a "monthly on the Nth weekday" rule means.
pub const ORDINALS: [(&str, &str); 5] = [
    ("1", "first"),
    ("2", "second"),
    ("3", "third"),
    ("4", "fourth"),
    ("-1", "last"),
];

/// The editor's fields besides the preset, as typed. Empty ones are left out of the flash cookie,
/// which carries task forms for Undo.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct RepeatFields {
    /// The interval: every N days, weeks, months or years (empty is 1).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub every: String,
    /// The weekdays of a weekly rule, one field per checkbox (`on` when ticked): a form posts
    /// repeated names, which the form decoder cannot collect.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_mo: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_tu: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_we: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_th: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_fr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_sa: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub on_su: String,
    /// A monthly rule by `day` of the month (the default) or by `weekday` (the Nth weekday).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub monthly: String,
    /// The day of the month, 1–31 or -1 for the last; empty is the due date's day.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub month_day: String,
    /// The week of the month of a by-weekday rule (an [`ORDINALS`] value) and its weekday.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nth: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub weekday: String,
    /// How the series ends: `never` (or empty), `count` or `until`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ends: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub count: String,
    /// The last day, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub until: String,
}

impl RepeatFields {
    /// Whether the weekday `code` (an RRULE name) is ticked.
    pub fn on(&self, code: &str) -> bool {
        !self.day_field(code).is_empty()
    }

    fn day_field(&self, code: &str) -> &str {
        match code {
            "MO" => &self.on_mo,
            "TU" => &self.on_tu,
            "WE" => &self.on_we,
            "TH" => &self.on_th,
            "FR" => &self.on_fr,
            "SA" => &self.on_sa,
            "SU" => &self.on_su,
            _ => "",
        }
    }

    /// Whether any field was filled in, so the editor's options are shown open.
    pub fn used(&self) -> bool {
        !(self.every.is_empty()
            && WEEKDAYS.iter().all(|(d, _)| !self.on(d))
            && self.month_day.is_empty()
            && matches!(self.monthly.as_str(), "" | "day")
            && matches!(self.ends.as_str(), "" | "never"))
    }
}

/// A field that cannot make a rule, and why, worded as the API words it ("must be …").
pub type FieldError = (&'static str, String);

/// The rule for the repeat select's value `choice` with `fields`: `None` for "never", a preset
/// built from the fields, or any other value (a rule of its own, kept by the edit form) as is.
pub fn rule(choice: &str, fields: &RepeatFields) -> Result<Option<String>, FieldError> {
    let choice = choice.trim();
    let freq = match choice {
        "" => return Ok(None),
        "daily" => "DAILY",
        "weekdays" | "weekly" => "WEEKLY",
        "monthly" => "MONTHLY",
        "yearly" => "YEARLY",
        _ => return Ok(Some(choice.to_owned())),
    };
    let mut parts = vec![format!("FREQ={freq}")];
    let every = number(&fields.every, 1, 999, "every")?.unwrap_or(1);
    if every > 1 {
        parts.push(format!("INTERVAL={every}"));
    }
    match choice {
        "weekdays" => parts.push("BYDAY=MO,TU,WE,TH,FR".into()),
        "weekly" => {
            let days: Vec<&str> = WEEKDAYS
                .iter()
                .map(|(d, _)| *d)
                .filter(|d| fields.on(d))
                .collect();
            if !days.is_empty() {
                parts.push(format!("BYDAY={}", days.join(",")));
            }
        }
        "monthly" if fields.monthly == "weekday" => {
            let nth = ORDINALS
                .iter()
                .find(|(v, _)| *v == fields.nth)
                .ok_or(("nth", "is not one of the choices".into()))?;
            let day = WEEKDAYS
                .iter()
                .find(|(d, _)| *d == fields.weekday)
                .ok_or(("weekday", "is not one of the choices".into()))?;
            parts.push(format!("BYDAY={}{}", nth.0, day.0));
        }
        "monthly" => {
            if fields.month_day.trim() == "-1" {
                parts.push("BYMONTHDAY=-1".into());
            } else if let Some(d) = number(&fields.month_day, 1, 31, "month_day")? {
                parts.push(format!("BYMONTHDAY={d}"));
            }
        }
        _ => {}
    }
    match fields.ends.as_str() {
        "" | "never" => {}
        "count" => match number(&fields.count, 1, 999, "count")? {
            Some(n) => parts.push(format!("COUNT={n}")),
            None => return Err(("count", "is required".into())),
        },
        "until" => {
            let until = NaiveDate::parse_from_str(fields.until.trim(), "%Y-%m-%d")
                .map_err(|_| ("until", "must be a date".to_owned()))?;
            // The whole last day counts.
            parts.push(format!("UNTIL={}T235959Z", until.format("%Y%m%d")));
        }
        _ => return Err(("ends", "is not one of the choices".into())),
    }
    let rule = Recurrence::parse(&parts.join(";")).map_err(|e| ("recurrence", e))?;
    Ok(Some(rule.to_string()))
}

/// The preset and fields that build `current` (a rule as the API spells it), so the editor shows
/// a rule it could have made in its own terms; `None` for one it could not (it stays a choice of
/// its own). Only an exact round trip counts: saving unchanged never changes the rule.
pub fn fields_of(current: &str) -> Option<(&'static str, RepeatFields)> {
    let mut f = RepeatFields::default();
    let mut freq = "";
    let mut days: Vec<&str> = Vec::new();
    for part in current.split(';') {
        let (key, value) = part.split_once('=')?;
        match key {
            "FREQ" => freq = value,
            "INTERVAL" => f.every = value.to_owned(),
            "BYDAY" => days = value.split(',').collect(),
            "BYMONTHDAY" => f.month_day = value.to_owned(),
            "COUNT" => {
                f.ends = "count".into();
                f.count = value.to_owned();
            }
            "UNTIL" => {
                let day = NaiveDate::parse_from_str(value.get(..8)?, "%Y%m%d").ok()?;
                f.ends = "until".into();
                f.until = day.to_string();
            }
            _ => return None,
        }
    }
    let preset = match (freq, days.as_slice()) {
        ("DAILY", []) => "daily",
        ("WEEKLY", ["MO", "TU", "WE", "TH", "FR"]) => "weekdays",
        ("WEEKLY", _) => {
            for day in days {
                match day {
                    "MO" => f.on_mo = "on".into(),
                    "TU" => f.on_tu = "on".into(),
                    "WE" => f.on_we = "on".into(),
                    "TH" => f.on_th = "on".into(),
                    "FR" => f.on_fr = "on".into(),
                    "SA" => f.on_sa = "on".into(),
                    "SU" => f.on_su = "on".into(),
                    _ => return None,
                }
            }
            "weekly"
        }
        ("MONTHLY", []) => "monthly",
        ("MONTHLY", [day]) => {
            let (nth, weekday) = day.split_at(day.len().checked_sub(2)?);
            f.monthly = "weekday".into();
            f.nth = nth.to_owned();
            f.weekday = weekday.to_owned();
            "monthly"
        }
        ("YEARLY", []) => "yearly",
        _ => return None,
    };
    (rule(preset, &f).ok()?.as_deref() == Some(current)).then_some((preset, f))
}

/// An optional whole number from `min` to `max` in `field`.
fn number(value: &str, min: u32, max: u32, field: &'static str) -> Result<Option<u32>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err((field, format!("must be a whole number from {min} to {max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(f: impl FnOnce(&mut RepeatFields)) -> RepeatFields {
        let mut r = RepeatFields::default();
        f(&mut r);
        r
    }

    /// The rule built, and the one expected, both as the API spells them.
    fn built(choice: &str, f: &RepeatFields) -> String {
        rule(choice, f).unwrap().unwrap()
    }

    fn canonical(rule: &str) -> String {
        Recurrence::parse(rule).unwrap().to_string()
    }

    #[test]
    fn plain_presets_are_the_shorthands() {
        let none = RepeatFields::default();
        assert_eq!(rule("", &none).unwrap(), None);
        for preset in ["daily", "weekdays", "weekly", "monthly", "yearly"] {
            assert_eq!(built(preset, &none), preset);
        }
    }

    #[test]
    fn the_fields_make_the_rule() {
        let f = fields(|f| {
            f.every = "2".into();
            f.on_mo = "on".into();
            f.on_th = "on".into();
            f.ends = "count".into();
            f.count = "5".into();
        });
        let r = built("weekly", &f);
        assert_eq!(r, canonical("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5"));
        assert_eq!(
            Recurrence::parse(&r).unwrap().describe(),
            "Every other week on Mon and Thu, 5 times"
        );
        let last_friday = fields(|f| {
            f.monthly = "weekday".into();
            f.nth = "-1".into();
            f.weekday = "FR".into();
            f.ends = "until".into();
            f.until = "2027-06-30".into();
        });
        assert_eq!(
            built("monthly", &last_friday),
            canonical("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630T235959Z")
        );
        let last_day = fields(|f| f.month_day = "-1".into());
        assert_eq!(
            built("monthly", &last_day),
            canonical("FREQ=MONTHLY;BYMONTHDAY=-1")
        );
        let the_15th = fields(|f| f.month_day = "15".into());
        assert_eq!(
            built("monthly", &the_15th),
            canonical("FREQ=MONTHLY;BYMONTHDAY=15")
        );
        // Days are for weekly rules only.
        assert_eq!(
            built("daily", &f),
            canonical("FREQ=DAILY;INTERVAL=2;COUNT=5")
        );
    }

    #[test]
    fn rules_the_editor_makes_are_shown_in_its_fields() {
        for (choice, f) in [
            (
                "weekly",
                fields(|f| {
                    f.every = "2".into();
                    f.on_mo = "on".into();
                    f.on_th = "on".into();
                    f.ends = "count".into();
                    f.count = "5".into();
                }),
            ),
            (
                "monthly",
                fields(|f| {
                    f.monthly = "weekday".into();
                    f.nth = "-1".into();
                    f.weekday = "FR".into();
                    f.ends = "until".into();
                    f.until = "2027-06-30".into();
                }),
            ),
            ("monthly", fields(|f| f.month_day = "-1".into())),
            ("weekdays", fields(|f| f.every = "3".into())),
        ] {
            let rule = built(choice, &f);
            let (preset, shown) = fields_of(&rule).unwrap_or_else(|| panic!("{rule}"));
            assert_eq!(preset, choice, "{rule}");
            assert_eq!(built(preset, &shown), rule);
        }
        // Beyond the editor: kept as a choice of its own.
        for other in [
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "FREQ=MONTHLY;BYDAY=1MO,3MO",
            "FREQ=DAILY;UNTIL=20270630T120000Z",
        ] {
            assert!(fields_of(&canonical(other)).is_none(), "{other}");
        }
    }

    #[test]
    fn a_rule_of_its_own_is_kept() {
        let f = fields(|f| f.every = "not a number".into());
        let custom = "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU";
        assert_eq!(built(custom, &f), custom);
    }

    #[test]
    fn bad_fields_name_themselves() {
        let err = |choice: &str, f: RepeatFields| rule(choice, &f).unwrap_err().0;
        assert_eq!(err("daily", fields(|f| f.every = "0".into())), "every");
        assert_eq!(err("weekly", fields(|f| f.every = "two".into())), "every");
        assert_eq!(
            err("monthly", fields(|f| f.month_day = "32".into())),
            "month_day"
        );
        let no_week = fields(|f| {
            f.monthly = "weekday".into();
            f.weekday = "MO".into();
        });
        assert_eq!(err("monthly", no_week), "nth");
        assert_eq!(err("daily", fields(|f| f.ends = "count".into())), "count");
        let bad_until = fields(|f| {
            f.ends = "until".into();
            f.until = "soon".into();
        });
        assert_eq!(err("daily", bad_until), "until");
        assert_eq!(err("daily", fields(|f| f.ends = "later".into())), "ends");
    }
}
