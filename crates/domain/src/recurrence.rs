//! How tasks repeat: RFC 5545 recurrence rules (computed by the `rrule` crate) in the user's time zone.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{Frequency, NWeekday, RRule, Unvalidated};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::task::MAX_YEAR;

/// How a task repeats: an RFC 5545 `RRULE` (`FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5`, with or
/// without the `RRULE:` prefix) or one of the shorthands `daily`, `weekdays`, `weekly`, `monthly`, `yearly`.
/// FREQ is DAILY, WEEKLY, MONTHLY or YEARLY; the time of day comes from the due date, so BYHOUR, BYMINUTE
/// and BYSECOND are refused; UNTIL is a UTC time (`20271231T235959Z`). Written back as the shorthand when
/// the rule is one, else as the canonical RRULE.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, example = "FREQ=WEEKLY;BYDAY=MO,TH")]
pub struct Recurrence(Cow<'static, str>);

/// Shorthands and the rules they stand for, as [`Recurrence::parse`] writes them canonically.
const SHORTHANDS: [(&str, &str); 5] = [
    ("daily", "FREQ=DAILY"),
    ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("weekly", "FREQ=WEEKLY"),
    ("monthly", "FREQ=MONTHLY"),
    ("yearly", "FREQ=YEARLY"),
];

/// Whether the next occurrence follows the due date (Todoist's "every") or the completion ("every!").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RepeatFrom {
    #[default]
    Due,
    Completion,
}

/// Where a series stands when one of its tasks is completed.
#[derive(Debug, Clone, Copy)]
pub struct SeriesState {
    /// The first due date of the series (for from-completion series, of its current stretch).
    pub start: Option<DateTime<Utc>>,
    pub due: Option<DateTime<Utc>>,
    /// Which occurrence the completed task is, counting from 1.
    pub occurrence: i32,
}

/// The next task of a series: when it is due and where its series now starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextOccurrence {
    pub due: DateTime<Utc>,
    pub series_start: DateTime<Utc>,
}

impl Recurrence {
    pub const DAILY: Recurrence = Recurrence(Cow::Borrowed("FREQ=DAILY"));
    pub const WEEKDAYS: Recurrence = Recurrence(Cow::Borrowed("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"));
    pub const WEEKLY: Recurrence = Recurrence(Cow::Borrowed("FREQ=WEEKLY"));
    pub const MONTHLY: Recurrence = Recurrence(Cow::Borrowed("FREQ=MONTHLY"));
    pub const YEARLY: Recurrence = Recurrence(Cow::Borrowed("FREQ=YEARLY"));

    /// Reads a shorthand or an RRULE; the error says what is wrong in words a user can act on.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if let Some((_, rule)) = SHORTHANDS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            return Ok(Recurrence(Cow::Borrowed(rule)));
        }
        let body = s
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("RRULE:"))
            .map_or(s, |_| &s[6..]);
        if !body.contains('=') || body.len() > 500 || body.contains(['\n', '\r']) {
            return Err(
                "must be daily, weekdays, weekly, monthly, yearly or an RRULE such as FREQ=WEEKLY;BYDAY=MO"
                    .into(),
            );
        }
        let rule = RRule::<Unvalidated>::from_str(&body.to_ascii_uppercase())
            .map_err(|e| format!("is not a valid RRULE: {e}"))?;
        if !matches!(
            rule.get_freq(),
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
        ) {
            return Err("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY".into());
        }
        if !(rule.get_by_hour().is_empty()
            && rule.get_by_minute().is_empty()
            && rule.get_by_second().is_empty())
        {
            return Err(
                "the time of day comes from the due date: leave out BYHOUR, BYMINUTE and BYSECOND"
                    .into(),
            );
        }
        if rule.get_count() == Some(0) {
            return Err("COUNT must be at least 1".into());
        }
        // `rrule` reads these without complaint, but RFC 5545 has no zero interval or day 0.
        if rule.get_interval() == 0 {
            return Err("INTERVAL must be at least 1".into());
        }
        if rule.get_by_month_day().contains(&0) {
            return Err("BYMONTHDAY must be 1 to 31 or -31 to -1".into());
        }
        let canonical = canonical(&rule);
        // Validated against a start long ago, which every UNTIL follows, to catch what parsing lets through.
        let probe = rrule::Tz::UTC
            .with_ymd_and_hms(1900, 1, 1, 0, 0, 0)
            .unwrap();
        rule.validate(probe).map_err(|e| match e {
            rrule::RRuleError::ValidationError(
                rrule::ValidationError::DtStartUntilMismatchTimezone { .. },
            ) => "UNTIL must be a UTC time ending in Z, such as 20271231T235959Z".to_owned(),
            e => format!("is not a valid RRULE: {e}"),
        })?;
        Ok(Recurrence(Cow::Owned(canonical)))
    }

    /// The canonical RRULE, without the `RRULE:` prefix: what is stored.
    pub fn rule(&self) -> &str {
        &self.0
    }

    /// The shorthand naming this rule, if one does.
    pub fn shorthand(&self) -> Option<&'static str> {
        SHORTHANDS
            .iter()
            .find(|(_, rule)| *rule == self.0)
            .map(|(name, _)| *name)
    }

    /// Reads a stored rule; rules are validated before they are stored, so this only fails on a damaged row.
    pub fn from_stored(rule: &str) -> Option<Self> {
        Self::parse(rule).ok()
    }

    fn parsed(&self) -> RRule<Unvalidated> {
        RRule::from_str(&self.0).expect("a rule parsed once parses again")
    }

    /// The rule's COUNT, if it has one.
    pub fn count(&self) -> Option<u32> {
        self.parsed().get_count()
    }

    /// The occurrences of a series starting at `start` in `tz`, from `after` (exclusive), at most `limit`.
    /// A plain `monthly`/`yearly` rule keeps to the month's last day when it is shorter than the start's
    /// day (the 31st, then February 28th), as people mean it; an explicit BYMONTHDAY follows RFC 5545,
    /// which skips months without that day.
    pub fn occurrences(
        &self,
        start: DateTime<Utc>,
        after: DateTime<Utc>,
        tz: Tz,
        limit: u16,
    ) -> Vec<DateTime<Utc>> {
        // The rule works in whole seconds; a start's fraction of a second is carried to every occurrence.
        let fraction = chrono::Duration::nanoseconds(start.timestamp_subsec_nanos().into());
        let (start, after) = (start - fraction, after - fraction);
        let rtz = rrule::Tz::Tz(tz);
        let dtstart = start.with_timezone(&rtz);
        let rule = self.expanded(&dtstart);
        let Ok(set) = rule.build(dtstart) else {
            return Vec::new();
        };
        let from = (after + chrono::Duration::milliseconds(1)).with_timezone(&rtz);
        set.after(from)
            .all(limit)
            .dates
            .into_iter()
            .map(|d| d.with_timezone(&Utc) + fraction)
            .take_while(|d| d.year() <= MAX_YEAR)
            .collect()
    }

    /// The rule as expanded from `dtstart`: a plain `monthly`/`yearly` rule starting after the 28th
    /// keeps to the month's last day when it is shorter (see [`Recurrence::occurrences`]).
    fn expanded(&self, dtstart: &DateTime<rrule::Tz>) -> RRule<Unvalidated> {
        let rule = self.parsed();
        let plain = rule.get_by_weekday().is_empty()
            && rule.get_by_month_day().is_empty()
            && rule.get_by_year_day().is_empty()
            && rule.get_by_week_no().is_empty()
            && rule.get_by_set_pos().is_empty();
        let day = dtstart.day();
        if !plain || day <= 28 {
            return rule;
        }
        match rule.get_freq() {
            Frequency::Monthly => rule.by_month_day(vec![day as i8, -1]).by_set_pos(vec![1]),
            Frequency::Yearly if rule.get_by_month().len() <= 1 => {
                let month = chrono::Month::try_from(dtstart.month() as u8).expect("a month number");
                rule.by_month(&[month])
                    .by_month_day(vec![day as i8, -1])
                    .by_set_pos(vec![1])
            }
            _ => rule,
        }
    }

    /// The RRULE a calendar expands, with DTSTART at `due` in `tz`, into the occurrences of this series
    /// (started at `start`) from `due` on, the same [`Recurrence::occurrences`] gives: the day a plain
    /// monthly or yearly rule keeps to is written out, and COUNT becomes the occurrences left.
    /// `None` when the series has no occurrence from `due` on.
    pub fn rule_from(&self, start: DateTime<Utc>, due: DateTime<Utc>, tz: Tz) -> Option<String> {
        let rtz = rrule::Tz::Tz(tz);
        let mut rule = self.expanded(&start.with_timezone(&rtz));
        if let Some(count) = rule.get_count() {
            let limit = u16::try_from(count).unwrap_or(u16::MAX);
            let before = start - chrono::Duration::milliseconds(1);
            let past = self
                .occurrences(start, before, tz, limit)
                .into_iter()
                .take_while(|d| *d < due)
                .count();
            let left = count.saturating_sub(u32::try_from(past).unwrap_or(u32::MAX));
            if left == 0 {
                return None;
            }
            rule = rule.count(left);
        }
        Some(canonical(&rule))
    }

    /// The next due date after completing a task of this series at `now`.
    /// From the due date: the first occurrence of the series after both the due date and now (a daily
    /// task completed three days late is next due tomorrow); COUNT and UNTIL end it.
    /// From completion: the rule restarts at the completion day, at the due date's time of day.
    /// `None` when the series has ended.
    pub fn next(
        &self,
        from: RepeatFrom,
        state: SeriesState,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Option<NextOccurrence> {
        match from {
            RepeatFrom::Due => {
                let start = state.start.or(state.due).unwrap_or(now);
                let after = state.due.map_or(now, |d| d.max(now));
                let due = *self.occurrences(start, after, tz, 1).first()?;
                Some(NextOccurrence {
                    due,
                    series_start: start,
                })
            }
            RepeatFrom::Completion => {
                if self
                    .count()
                    .is_some_and(|c| i64::from(state.occurrence) >= i64::from(c))
                {
                    return None;
                }
                let local_now = now.with_timezone(&tz);
                let anchor = match state.due {
                    Some(due) => {
                        let time = due.with_timezone(&tz).time();
                        tz.from_local_datetime(&local_now.date_naive().and_time(time))
                            .earliest()
                            .map_or(now, |d| d.with_timezone(&Utc))
                    }
                    None => now,
                };
                // COUNT is kept by the task's occurrence number here, as each stretch restarts the rule.
                let rule = self.without_count();
                let due = *rule.occurrences(anchor, anchor, tz, 1).first()?;
                Some(NextOccurrence {
                    due,
                    series_start: anchor,
                })
            }
        }
    }

    fn without_count(&self) -> Recurrence {
        let kept: Vec<&str> = self
            .0
            .split(';')
            .filter(|p| !p.starts_with("COUNT="))
            .collect();
        Recurrence(Cow::Owned(kept.join(";")))
    }

    /// A sentence a person reads: "Every 2 weeks on Mon and Thu, 5 times".
    pub fn describe(&self) -> String {
        let rule = self.parsed();
        let (one, many) = match rule.get_freq() {
            Frequency::Daily => ("day", "days"),
            Frequency::Weekly => ("week", "weeks"),
            Frequency::Monthly => ("month", "months"),
            _ => ("year", "years"),
        };
        let mut s = if self.shorthand() == Some("weekdays") {
            "Every weekday".to_owned()
        } else {
            match rule.get_interval() {
                1 => format!("Every {one}"),
                2 => format!("Every other {one}"),
                n => format!("Every {n} {many}"),
            }
        };
        if !rule.get_by_month().is_empty() {
            let months: Vec<&str> = rule
                .get_by_month()
                .iter()
                .filter_map(|m| MONTHS.get(usize::from(*m).wrapping_sub(1)).copied())
                .collect();
            s += &format!(" in {}", join_words(&months));
        }
        if !rule.get_by_month_day().is_empty() {
            let days: Vec<String> = rule
                .get_by_month_day()
                .iter()
                .map(|d| day_of_month(*d))
                .collect();
            s += &format!(" on the {}", join_words(&days));
        }
        if !rule.get_by_weekday().is_empty() && self.shorthand() != Some("weekdays") {
            let days: Vec<String> = rule.get_by_weekday().iter().map(weekday_words).collect();
            s += &format!(" on {}", join_words(&days));
        }
        if let Some(n) = rule.get_count() {
            s += &match n {
                1 => ", once".to_owned(),
                n => format!(", {n} times"),
            };
        }
        if let Some(until) = rule.get_until() {
            s += &format!(", until {}", until.format("%Y-%m-%d"));
        }
        s
    }
}

/// The rule as text. `rrule` writes the first weekday of a period (`1MO`) as plain `MO`, which reads back as
/// every Monday, so BYDAY is written here.
fn canonical(rule: &RRule<Unvalidated>) -> String {
    let byday: Vec<String> = rule
        .get_by_weekday()
        .iter()
        .map(|d| match d {
            NWeekday::Every(w) => weekday_code(*w).to_owned(),
            NWeekday::Nth(n, w) => format!("{n}{}", weekday_code(*w)),
        })
        .collect();
    rule.to_string()
        .split(';')
        .map(|part| match part.strip_prefix("BYDAY=") {
            Some(_) => format!("BYDAY={}", byday.join(",")),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn weekday_code(w: chrono::Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][w.num_days_from_monday() as usize]
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn join_words<S: AsRef<str>>(words: &[S]) -> String {
    match words {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

fn ordinal(n: i32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn day_of_month(d: i8) -> String {
    match d {
        -1 => "last day".to_owned(),
        d if d < 0 => format!("{} last day", ordinal(-i32::from(d))),
        d => ordinal(d.into()),
    }
}

fn weekday_words(d: &NWeekday) -> String {
    let name = |w: chrono::Weekday| {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][w.num_days_from_monday() as usize]
    };
    match d {
        NWeekday::Every(w) => name(*w).to_owned(),
        NWeekday::Nth(-1, w) => format!("the last {}", name(*w)),
        NWeekday::Nth(n, w) if *n < 0 => {
            format!("the {} last {}", ordinal(-i32::from(*n)), name(*w))
        }
        NWeekday::Nth(n, w) => format!("the {} {}", ordinal(i32::from(*n)), name(*w)),
    }
}

impl fmt::Display for Recurrence {
    /// The API's spelling: the shorthand when there is one, else the RRULE.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shorthand().unwrap_or(&self.0))
    }
}

impl Serialize for Recurrence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Recurrence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Recurrence::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Recurrence {
    fn schema_name() -> Cow<'static, str> {
        "Recurrence".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "daily, weekdays, weekly, monthly, yearly or an RFC 5545 RRULE",
            "maxLength": 500
        })
    }
}

/// A user's IANA time zone (`Europe/Berlin`); recurrences are computed in it.
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| format!("must be an IANA time zone such as Europe/Berlin (got {name:?})"))
}

#[cfg(test)]
mod tests;
