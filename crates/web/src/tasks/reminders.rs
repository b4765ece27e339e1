//! The reminder picker: plain checkboxes and inputs (no script needed), the API's `reminders` list
//! built from them, and reminders described in words, in the user's time zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use todo_domain::{format_duration, parse_before, Reminder, ReminderInput};

use super::recurrence::FieldError;

/// The "before the due time" choices: `(field suffix, ISO 8601 duration, label)`.
pub const BEFORE: [(&str, &str, &str); 7] = [
    ("due", "PT0S", "At the due time"),
    ("5m", "PT5M", "5 minutes before"),
    ("10m", "PT10M", "10 minutes before"),
    ("15m", "PT15M", "15 minutes before"),
    ("30m", "PT30M", "30 minutes before"),
    ("1h", "PT1H", "1 hour before"),
    ("1d", "P1D", "1 day before"),
];

/// The time a "1 day before at …" reminder offers first.
const DAY_BEFORE_TIME: &str = "09:00";

/// The picker's fields, as posted: one field per checkbox (a form posts repeated names, which the
/// form decoder cannot collect). Empty ones are left out of the flash cookie, which carries task
/// forms for Undo.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct RemindFields {
    /// Set by every form that shows the picker: the reminders it posts are the task's reminders.
    /// Without it (the add-subtask form) the API's default applies.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_shown: String,
    /// "No reminder": overrides the rest, and the user's default reminder.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_none: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_due: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_5m: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_10m: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_15m: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_30m: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_1h: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_1d: String,
    /// "1 day before at" (ticked) and its local time, `HH:MM`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_day: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_day_time: String,
    /// An exact local date-time, as `datetime-local` posts it (`YYYY-MM-DDTHH:MM[:SS]`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_at: String,
    /// Reminders the picker has no control for (set through the API or the assistant), as JSON,
    /// kept while `remind_keep` is ticked, so editing a task does not lose them.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_other: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remind_keep: String,
}

impl RemindFields {
    fn before_field(&self, key: &str) -> &str {
        match key {
            "due" => &self.remind_due,
            "5m" => &self.remind_5m,
            "10m" => &self.remind_10m,
            "15m" => &self.remind_15m,
            "30m" => &self.remind_30m,
            "1h" => &self.remind_1h,
            "1d" => &self.remind_1d,
            _ => "",
        }
    }

    fn before_field_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "due" => &mut self.remind_due,
            "5m" => &mut self.remind_5m,
            "10m" => &mut self.remind_10m,
            "15m" => &mut self.remind_15m,
            "30m" => &mut self.remind_30m,
            "1h" => &mut self.remind_1h,
            "1d" => &mut self.remind_1d,
            _ => return None,
        })
    }

    /// Whether the "before" choice `key` is ticked.
    pub fn on(&self, key: &str) -> bool {
        !self.before_field(key).is_empty()
    }

    /// The time the "1 day before at" input shows.
    pub fn day_time(&self) -> &str {
        if self.remind_day_time.is_empty() {
            DAY_BEFORE_TIME
        } else {
            &self.remind_day_time
        }
    }

    /// The reminders kept from elsewhere, described.
    pub fn others(&self, tz: Tz) -> Vec<String> {
        serde_json::from_str::<Vec<ReminderInput>>(&self.remind_other)
            .unwrap_or_default()
            .iter()
            .map(|r| describe(r, tz))
            .collect()
    }

    /// Whether anything is chosen, so the picker is shown open.
    pub fn used(&self) -> bool {
        BEFORE.iter().any(|(k, _, _)| self.on(k))
            || !self.remind_day.is_empty()
            || !self.remind_at.trim().is_empty()
            || !self.remind_other.is_empty()
            || !self.remind_none.is_empty()
    }

    /// The fields that show `reminders` (a task's, as the API returned them), in `tz`.
    pub fn of(reminders: &[Reminder], tz: Tz) -> RemindFields {
        let mut f = RemindFields {
            remind_shown: "1".into(),
            ..RemindFields::default()
        };
        let mut other = Vec::new();
        for r in reminders {
            let w = &r.when;
            let placed = match (&w.at, &w.before, &w.time) {
                (None, Some(before), None) => match BEFORE
                    .iter()
                    .find(|(_, iso, _)| parse_before(iso).ok() == parse_before(before).ok())
                {
                    Some((key, _, _)) => f.before_field_mut(key).map(|v| *v = "on".into()),
                    None => None,
                },
                (None, Some(before), Some(time))
                    if f.remind_day.is_empty() && parse_before(before) == Ok(DAY_MS) =>
                {
                    f.remind_day = "on".into();
                    f.remind_day_time = time.clone();
                    Some(())
                }
                (Some(at), None, None) if f.remind_at.is_empty() => {
                    DateTime::parse_from_rfc3339(at).ok().map(|at| {
                        let local = at.with_timezone(&tz).naive_local();
                        f.remind_at = local.format("%Y-%m-%dT%H:%M:%S").to_string();
                    })
                }
                _ => None,
            };
            if placed.is_none() {
                other.push(w.clone());
            }
        }
        if !other.is_empty() {
            f.remind_other = serde_json::to_string(&other).unwrap_or_default();
            f.remind_keep = "on".into();
        }
        f
    }

    /// The blank add form's picker: nothing ticked, so the user's default reminder applies.
    pub fn blank() -> RemindFields {
        RemindFields {
            remind_shown: "1".into(),
            ..RemindFields::default()
        }
    }

    /// The API's `reminders` for these fields, with local times in `tz`: `None` to leave them to the
    /// API (a form without the picker, or an add form with nothing chosen: the user's default).
    pub fn reminders(&self, tz: Tz, adding: bool) -> Result<Option<Value>, FieldError> {
        if self.remind_shown.is_empty() {
            return Ok(None);
        }
        if !self.remind_none.is_empty() {
            return Ok(Some(json!([])));
        }
        let mut list: Vec<Value> = BEFORE
            .iter()
            .filter(|(k, _, _)| self.on(k))
            .map(|(_, iso, _)| json!({"before": iso}))
            .collect();
        if !self.remind_day.is_empty() {
            let time = NaiveTime::parse_from_str(self.day_time().trim(), "%H:%M")
                .map_err(|_| ("remind_day_time", "must be a time such as 09:00".to_owned()))?;
            list.push(json!({"before": "P1D", "time": time.format("%H:%M").to_string()}));
        }
        let at = self.remind_at.trim();
        if !at.is_empty() {
            let local =
                parse_local(at).ok_or(("remind_at", "must be a date and time".to_owned()))?;
            list.push(json!({"at": rfc3339(local_instant(tz, local))}));
        }
        if !self.remind_keep.is_empty() {
            if let Ok(kept) = serde_json::from_str::<Vec<ReminderInput>>(&self.remind_other) {
                list.extend(kept.iter().map(|r| json!(r)));
            }
        }
        if adding && list.is_empty() {
            return Ok(None);
        }
        Ok(Some(Value::Array(list)))
    }
}

const DAY_MS: i64 = 86_400_000;

/// `YYYY-MM-DDTHH:MM`, with or without seconds, as `datetime-local` posts it.
fn parse_local(raw: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .ok()
}

/// A local date and time of `tz` as an instant; a time in a DST gap is the instant after it, one in
/// an overlap the first of the two.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// The due date and time of a form, in `tz`, as the API's `due_at`: a date alone is sent as a date
/// (the API's midnight UTC, as before times existed).
pub fn due_at(date: &str, time: &str, tz: Tz) -> Result<Option<String>, FieldError> {
    let (date, time) = (date.trim(), time.trim());
    match (date.is_empty(), time.is_empty()) {
        (true, true) => Ok(None),
        (true, false) => Err(("due", "needs a date for its time".to_owned())),
        (false, true) => Ok(Some(date.to_owned())),
        (false, false) => {
            let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| ("due", "must be a date".to_owned()))?;
            let time = NaiveTime::parse_from_str(time, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
                .map_err(|_| ("due_time", "must be a time such as 17:00".to_owned()))?;
            Ok(Some(rfc3339(local_instant(tz, day.and_time(time)))))
        }
    }
}

/// The form's date and time fields for a task due at `due`: a due at midnight UTC is a plain date
/// (how the form and the API store one); any other is shown in the user's zone.
pub fn due_fields(due: Option<DateTime<Utc>>, tz: Tz) -> (String, String) {
    match due {
        None => (String::new(), String::new()),
        Some(d) if d.time() == NaiveTime::MIN => (d.date_naive().to_string(), String::new()),
        Some(d) => {
            let local = d.with_timezone(&tz);
            (
                local.date_naive().to_string(),
                local.format("%H:%M").to_string(),
            )
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An instant as the user reads it: "Tue 2 Dec 09:00" in their zone.
pub fn local_label(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string()
}

/// One reminder in words: "10 minutes before", "1 day before at 09:00", "at Tue 2 Dec 09:00".
pub fn describe(r: &ReminderInput, tz: Tz) -> String {
    if let Some(at) =
        r.at.as_deref()
            .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
    {
        return format!("at {}", local_label(at.to_utc(), tz));
    }
    let ms = r.before.as_deref().and_then(|b| parse_before(b).ok());
    let Some(ms) = ms else {
        return "a reminder".to_owned();
    };
    let amount = match BEFORE
        .iter()
        .find(|(_, iso, _)| parse_before(iso).ok() == Some(ms))
    {
        Some((_, _, label)) if r.time.is_none() => return label.to_lowercase(),
        _ => amount_words(ms),
    };
    match &r.time {
        Some(time) => format!("{amount} before at {time}"),
        None => format!("{amount} before"),
    }
}

/// A duration in words: "2 hours", "1 day", "1 day 2 hours"; seconds as ISO 8601.
fn amount_words(ms: i64) -> String {
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (d, h, m) = (ms / DAY_MS, ms / 3_600_000 % 24, ms / 60_000 % 60);
    if ms % 60_000 != 0 {
        return format_duration(ms);
    }
    let parts: Vec<String> = [(d, "day"), (h, "hour"), (m, "minute")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| unit(*n, one))
        .collect();
    parts.join(" ")
}

/// What a task's row says about its reminders: the next one to go off in the user's zone, and how
/// many more are waiting; `None` when none is waiting.
pub fn next_label(reminders: &[Reminder], now: DateTime<Utc>, tz: Tz) -> Option<String> {
    let mut waiting: Vec<DateTime<Utc>> = reminders
        .iter()
        .filter(|r| !r.done)
        .filter_map(|r| r.fire_at)
        .filter(|t| *t >= now)
        .collect();
    waiting.sort();
    let next = waiting.first()?;
    let label = local_label(*next, tz);
    Some(match waiting.len() {
        1 => label,
        n => format!("{label} (+{})", n - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    fn reminder(when: ReminderInput) -> Reminder {
        Reminder {
            id: 1,
            when,
            fire_at: None,
            done: false,
        }
    }

    fn before(b: &str, time: Option<&str>) -> ReminderInput {
        ReminderInput {
            before: Some(b.into()),
            time: time.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn the_picker_builds_the_list_in_the_users_zone() {
        let mut f = RemindFields::blank();
        f.remind_10m = "on".into();
        f.remind_day = "on".into();
        f.remind_day_time = "09:00".into();
        f.remind_at = "2026-07-01T08:30".into();
        let list = f.reminders(berlin(), true).unwrap().unwrap();
        assert_eq!(
            list,
            json!([
                {"before": "PT10M"},
                {"before": "P1D", "time": "09:00"},
                {"at": "2026-07-01T06:30:00Z"}
            ])
        );
        // Nothing chosen on an add form: the user's default; on an edit form: none.
        assert_eq!(
            RemindFields::blank().reminders(berlin(), true).unwrap(),
            None
        );
        assert_eq!(
            RemindFields::blank().reminders(berlin(), false).unwrap(),
            Some(json!([]))
        );
        f.remind_none = "on".into();
        assert_eq!(f.reminders(berlin(), true).unwrap(), Some(json!([])));
        // Without the picker (the add-subtask form) the API decides.
        assert_eq!(
            RemindFields::default().reminders(berlin(), false).unwrap(),
            None
        );
        let mut bad = RemindFields::blank();
        bad.remind_at = "soon".into();
        assert_eq!(bad.reminders(berlin(), true).unwrap_err().0, "remind_at");
    }

    #[test]
    fn a_tasks_reminders_show_in_the_picker_and_the_rest_are_kept() {
        let reminders = [
            reminder(before("PT10M", None)),
            reminder(before("P1D", Some("09:00"))),
            reminder(before("PT2H", None)),
            reminder(ReminderInput {
                at: Some("2026-07-01T06:30:00Z".into()),
                ..Default::default()
            }),
        ];
        let f = RemindFields::of(&reminders, berlin());
        assert!(f.on("10m") && !f.on("5m"));
        assert_eq!(f.remind_day_time, "09:00");
        assert_eq!(f.remind_at, "2026-07-01T08:30:00");
        assert_eq!(f.others(berlin()), ["2 hours before"]);
        // Saved unchanged, the same reminders go back.
        let list = f.reminders(berlin(), false).unwrap().unwrap();
        assert_eq!(list.as_array().unwrap().len(), 4);
        assert!(list
            .as_array()
            .unwrap()
            .contains(&json!({"before": "PT2H"})));
        assert!(list
            .as_array()
            .unwrap()
            .contains(&json!({"at": "2026-07-01T06:30:00Z"})));
    }

    #[test]
    fn due_times_are_local_and_dates_stay_dates() {
        assert_eq!(due_at("", "", berlin()).unwrap(), None);
        assert_eq!(
            due_at("2026-07-01", "", berlin()).unwrap().as_deref(),
            Some("2026-07-01")
        );
        assert_eq!(
            due_at("2026-07-01", "17:00", berlin()).unwrap().as_deref(),
            Some("2026-07-01T15:00:00Z")
        );
        assert_eq!(due_at("", "17:00", berlin()).unwrap_err().0, "due");
        assert_eq!(
            due_at("2026-07-01", "5pm", berlin()).unwrap_err().0,
            "due_time"
        );
        let timed = DateTime::parse_from_rfc3339("2026-07-01T15:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            due_fields(Some(timed), berlin()),
            ("2026-07-01".into(), "17:00".into())
        );
        let date = timed.date_naive().and_time(NaiveTime::MIN).and_utc();
        assert_eq!(
            due_fields(Some(date), berlin()),
            ("2026-07-01".into(), String::new())
        );
    }

    #[test]
    fn reminders_are_described_in_words() {
        let tz = berlin();
        assert_eq!(describe(&before("PT10M", None), tz), "10 minutes before");
        assert_eq!(describe(&before("PT0S", None), tz), "at the due time");
        assert_eq!(
            describe(&before("P1D", Some("09:00")), tz),
            "1 day before at 09:00"
        );
        assert_eq!(
            describe(&before("P1DT2H", None), tz),
            "1 day 2 hours before"
        );
        let at = ReminderInput {
            at: Some("2026-12-01T08:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(describe(&at, tz), "at Tue 1 Dec 09:00");
    }

    #[test]
    fn the_row_shows_the_next_waiting_reminder() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .to_utc();
        let at = |s: &str, done| Reminder {
            fire_at: Some(DateTime::parse_from_rfc3339(s).unwrap().to_utc()),
            done,
            ..reminder(before("PT5M", None))
        };
        let list = [
            at("2026-12-02T08:00:00Z", false),
            at("2026-12-01T09:00:00Z", false),
            at("2026-12-01T08:30:00Z", true),
        ];
        assert_eq!(
            next_label(&list, now, berlin()).as_deref(),
            Some("Tue 1 Dec 10:00 (+1)")
        );
        assert_eq!(next_label(&list[2..], now, berlin()), None);
    }
}
