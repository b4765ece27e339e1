//! Due strings as Todoist writes them in its CSV template (`DATE`) and people type them in a plain CSV:
//! ISO dates and times, English dates ("Jan 5 2027", "5 January", "tomorrow 5pm", "friday"), and
//! recurrences ("every day", "every weekday", "every 2 weeks", "every other monday", "every mon, fri
//! at 9am", "every 15th", "every last day", "every first monday", "every jan 5", "every! 3 days",
//! "… starting 2027-01-04", "… until 2027-06-30") mapped to RRULEs.
//!
//! A time of day is in the user's time zone; a date without one is that day's midnight UTC, as a plain
//! `YYYY-MM-DD` due date is everywhere in the product. Relative dates count from the day of the import.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use todo_domain::{parse_due, Recurrence, RepeatFrom, Tz};

/// What a due string says.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub at: Option<DateTime<Utc>>,
    pub recurrence: Option<Recurrence>,
    pub repeat_from: RepeatFrom,
}

const HINT: &str = "is not a date this import understands: use 2027-01-05, 2027-01-05T09:00:00Z, \
    'Jan 5 2027 9am', 'tomorrow', 'every monday at 9am', 'every 2 weeks'";

/// Reads `input` (empty: no due date) relative to `now` in `tz`.
pub fn read(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<Due, String> {
    let s = input.trim();
    let none = Due {
        at: None,
        recurrence: None,
        repeat_from: RepeatFrom::Due,
    };
    if s.is_empty() {
        return Ok(none);
    }
    if let Ok(at) = parse_due(s) {
        return Ok(Due {
            at: Some(at),
            ..none
        });
    }
    let lower = s.to_lowercase().replace(',', " ");
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    let today = now.with_timezone(&tz).date_naive();
    let time = take_time(&mut words)?;
    let repeat_from = match words.first() {
        Some(&"every!") => RepeatFrom::Completion,
        _ => RepeatFrom::Due,
    };
    let repeating = matches!(
        words.first(),
        Some(&("every" | "every!" | "daily" | "weekly" | "monthly" | "yearly" | "annually"))
    );
    if !repeating {
        let date = date(&words, today).ok_or(HINT)?;
        return Ok(Due {
            at: Some(instant(date, time, tz)),
            ..none
        });
    }
    if matches!(words[0], "every" | "every!") {
        words.remove(0);
    }
    let clause = |words: &mut Vec<&str>, starts: &[&str]| -> Result<Option<NaiveDate>, String> {
        let Some(at) = words.iter().position(|w| starts.contains(w)) else {
            return Ok(None);
        };
        let found = date(&words[at + 1..], today).ok_or_else(|| HINT.to_owned())?;
        words.truncate(at);
        Ok(Some(found))
    };
    let until = clause(&mut words, &["until", "ending", "ends"])?;
    let start = clause(&mut words, &["starting", "from", "beginning"])?.unwrap_or(today);
    words.retain(|w| !matches!(*w, "on" | "the" | "and" | "of" | "each"));
    let mut rule = rule(&words).ok_or_else(|| {
        format!("{HINT}; repeating: 'every day', 'every weekday', 'every 2 weeks', 'every mon, fri', 'every 15th', 'every first monday', 'every jan 5'")
    })?;
    if let Some(u) = until {
        rule.push_str(&format!(";UNTIL={}T235959Z", u.format("%Y%m%d")));
    }
    let recurrence = Recurrence::parse(&rule)?;
    let from = instant(start, time, tz);
    let first = recurrence
        .occurrences(from, from - Duration::milliseconds(1), tz, 1)
        .into_iter()
        .next()
        .ok_or("the repetition has already ended")?;
    Ok(Due {
        at: Some(first),
        recurrence: Some(recurrence),
        repeat_from,
    })
}

/// The moment: `date` at `time` in `tz`, or the date's midnight UTC without a time.
fn instant(date: NaiveDate, time: Option<NaiveTime>, tz: Tz) -> DateTime<Utc> {
    match time {
        Some(t) => tz
            .from_local_datetime(&date.and_time(t))
            .earliest()
            // A time skipped by a DST change: the hour after it.
            .or_else(|| {
                tz.from_local_datetime(&(date.and_time(t) + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| date.and_time(t).and_utc(), |d| d.with_timezone(&Utc)),
        None => date.and_time(NaiveTime::MIN).and_utc(),
    }
}

/// Removes a time of day ("at 9am", "9:30", "17:00", "5 pm", "at 9") from `words` and returns it.
fn take_time(words: &mut Vec<&str>) -> Result<Option<NaiveTime>, String> {
    for i in 0..words.len() {
        let after_at = i > 0 && words[i - 1] == "at";
        let meridiem = words
            .get(i + 1)
            .copied()
            .filter(|w| matches!(*w, "am" | "pm"));
        let text = match meridiem {
            Some(m) => format!("{}{m}", words[i]),
            None => words[i].to_owned(),
        };
        let Some(t) = time(&text, after_at) else {
            continue;
        };
        let end = i + 1 + usize::from(meridiem.is_some());
        let start = if after_at { i - 1 } else { i };
        words.drain(start..end);
        return Ok(Some(t));
    }
    if words.last() == Some(&"at") {
        return Err("'at' needs a time, such as 'at 9am' or 'at 17:30'".into());
    }
    Ok(None)
}

/// "9am", "9:30pm", "17:00", "12pm"; a bare hour ("9", "17") only after "at".
fn time(w: &str, bare_hour: bool) -> Option<NaiveTime> {
    let (digits, pm) = match (w.strip_suffix("am"), w.strip_suffix("pm")) {
        (Some(d), _) => (d, Some(false)),
        (_, Some(d)) => (d, Some(true)),
        _ => (w, None),
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if pm.is_some() || bare_hour => (digits.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let h = match pm {
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// "jan", "january", "sept" → 1–12.
fn month(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    let w = if w == "sept" { "sep" } else { w };
    MONTHS
        .iter()
        .position(|m| m.starts_with(w))
        .map(|i| i as u32 + 1)
}

fn weekday(w: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let w = w.trim_end_matches('.');
    // "mondays" as in "every mondays and fridays".
    let w = w.strip_suffix("days").map_or(w, |_| &w[..w.len() - 1]);
    DAYS.iter()
        .find(|(name, _)| w.len() >= 3 && name.starts_with(w))
        .map(|(_, d)| *d)
}

/// "5", "5th", "1st", "22nd", "3rd" → the number.
fn day_number(w: &str) -> Option<u32> {
    let digits = w
        .strip_suffix("st")
        .or_else(|| w.strip_suffix("nd"))
        .or_else(|| w.strip_suffix("rd"))
        .or_else(|| w.strip_suffix("th"))
        .unwrap_or(w);
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// "first" / "1st" … "fourth", and "last" → an RRULE ordinal.
fn ordinal(w: &str) -> Option<i8> {
    match w {
        "first" | "1st" => Some(1),
        "second" | "2nd" => Some(2),
        "third" | "3rd" => Some(3),
        "fourth" | "4th" => Some(4),
        "last" => Some(-1),
        _ => None,
    }
}

/// A calendar date, from words that name only a date.
fn date(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    let year = |w: &str| w.parse::<i32>().ok().filter(|y| (1..=9999).contains(y));
    match words {
        ["today"] => Some(today),
        ["tomorrow"] => today.succ_opt(),
        ["yesterday"] => today.pred_opt(),
        [iso] if iso.contains('-') => NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok(),
        ["next", d] | [d] if weekday(d).is_some() => {
            let want = weekday(d)?;
            let ahead =
                (7 + want.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            let ahead = if words.len() == 2 && ahead == 0 {
                7
            } else {
                ahead
            };
            today.checked_add_signed(Duration::days(ahead.into()))
        }
        [m, d] if month(m).is_some() => upcoming(today, month(m)?, day_number(d)?),
        [d, m] if month(m).is_some() => upcoming(today, month(m)?, day_number(d)?),
        [m, d, y] if month(m).is_some() => {
            NaiveDate::from_ymd_opt(year(y)?, month(m)?, day_number(d)?)
        }
        [d, m, y] if month(m).is_some() => {
            NaiveDate::from_ymd_opt(year(y)?, month(m)?, day_number(d)?)
        }
        _ => None,
    }
}

/// The next `month`/`day` on or after `today`.
fn upcoming(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

fn byday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// The RRULE of what follows "every" (fillers removed).
fn rule(words: &[&str]) -> Option<String> {
    let unit = |w: &str| match w.trim_end_matches('s') {
        "day" => Some("DAILY"),
        "week" => Some("WEEKLY"),
        "month" => Some("MONTHLY"),
        "year" => Some("YEARLY"),
        _ => None,
    };
    let days = |ws: &[&str]| -> Option<String> {
        let days: Option<Vec<&str>> = ws.iter().map(|w| weekday(w).map(byday)).collect();
        days.filter(|d| !d.is_empty()).map(|d| d.join(","))
    };
    let every = |interval: u32, freq: &str| match interval {
        1 => format!("FREQ={freq}"),
        n => format!("FREQ={freq};INTERVAL={n}"),
    };
    match words {
        ["daily"] => Some("FREQ=DAILY".into()),
        ["weekly"] => Some("FREQ=WEEKLY".into()),
        ["monthly"] => Some("FREQ=MONTHLY".into()),
        ["yearly" | "annually"] => Some("FREQ=YEARLY".into()),
        ["weekday" | "weekdays" | "workday" | "workdays"] => {
            Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into())
        }
        ["last", "day"] | ["last", "day", "month"] => Some("FREQ=MONTHLY;BYMONTHDAY=-1".into()),
        [u] if unit(u).is_some() => Some(every(1, unit(u)?)),
        ["other", u] if unit(u).is_some() => Some(every(2, unit(u)?)),
        [n, u] if unit(u).is_some() => Some(every(n.parse().ok().filter(|n| *n > 0)?, unit(u)?)),
        // The rrule crate writes `1MO` back as `MO` (every Monday), so the first is a BYSETPOS.
        [o, d] | [o, d, "month"] if ordinal(o) == Some(1) && weekday(d).is_some() => Some(format!(
            "FREQ=MONTHLY;BYDAY={};BYSETPOS=1",
            byday(weekday(d)?)
        )),
        [o, d] | [o, d, "month"] if ordinal(o).is_some() && weekday(d).is_some() => Some(format!(
            "FREQ=MONTHLY;BYDAY={}{}",
            ordinal(o)?,
            byday(weekday(d)?)
        )),
        [d] | [d, "month"] if day_number(d).is_some() && d.parse::<u32>().is_err() => {
            Some(format!("FREQ=MONTHLY;BYMONTHDAY={}", day_number(d)?))
        }
        [m, d] if month(m).is_some() && day_number(d).is_some() => Some(format!(
            "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={}",
            month(m)?,
            day_number(d)?
        )),
        [d, m] if month(m).is_some() && day_number(d).is_some() => Some(format!(
            "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={}",
            month(m)?,
            day_number(d)?
        )),
        ["other", rest @ ..] => days(rest).map(|d| format!("FREQ=WEEKLY;INTERVAL=2;BYDAY={d}")),
        rest => days(rest).map(|d| format!("FREQ=WEEKLY;BYDAY={d}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Reads `input` on Wednesday 2026-12-02 at noon UTC, in Berlin.
    fn due(input: &str) -> (Option<String>, Option<String>, RepeatFrom) {
        let d = read(input, at("2026-12-02T12:00:00Z"), Tz::Europe__Berlin)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        (
            d.at.map(|a| a.to_rfc3339()),
            d.recurrence.map(|r| r.rule().to_owned()),
            d.repeat_from,
        )
    }

    #[test]
    fn dates_and_times() {
        let day = |s: &str| due(s).0.unwrap();
        assert_eq!(day("2027-01-05"), "2027-01-05T00:00:00+00:00");
        assert_eq!(day("2027-01-05T09:00:00Z"), "2027-01-05T09:00:00+00:00");
        assert_eq!(day("2027-01-05 17:30"), "2027-01-05T16:30:00+00:00");
        assert_eq!(day("Jan 5 2027"), "2027-01-05T00:00:00+00:00");
        assert_eq!(day("5 January 2027 at 9am"), "2027-01-05T08:00:00+00:00");
        assert_eq!(day("January 5, 2027 9:30 pm"), "2027-01-05T20:30:00+00:00");
        assert_eq!(day("tomorrow 5pm"), "2026-12-03T16:00:00+00:00");
        assert_eq!(day("today"), "2026-12-02T00:00:00+00:00");
        assert_eq!(day("friday"), "2026-12-04T00:00:00+00:00");
        assert_eq!(day("next wed"), "2026-12-09T00:00:00+00:00");
        // A day already past this year is next year's.
        assert_eq!(day("Mar 1"), "2027-03-01T00:00:00+00:00");
        assert_eq!(due("").0, None);
        for bad in ["someday", "Feb 30 2027", "at", "13pm", "2027-13-01"] {
            assert!(
                read(bad, at("2026-12-02T12:00:00Z"), Tz::UTC).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn recurrences() {
        let rule = |s: &str| due(s).1.unwrap();
        assert_eq!(rule("every day"), "FREQ=DAILY");
        assert_eq!(rule("daily"), "FREQ=DAILY");
        assert_eq!(rule("every weekday"), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
        assert_eq!(rule("every 2 weeks"), "FREQ=WEEKLY;INTERVAL=2");
        assert_eq!(rule("every other month"), "FREQ=MONTHLY;INTERVAL=2");
        assert_eq!(rule("every mon, fri"), "FREQ=WEEKLY;BYDAY=MO,FR");
        assert_eq!(
            rule("every other monday"),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
        );
        assert_eq!(rule("every 15th"), "FREQ=MONTHLY;BYMONTHDAY=15");
        assert_eq!(rule("every last day"), "FREQ=MONTHLY;BYMONTHDAY=-1");
        assert_eq!(
            rule("every first monday"),
            "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO"
        );
        assert_eq!(rule("every 2nd tue"), "FREQ=MONTHLY;BYDAY=2TU");
        assert_eq!(
            rule("every last friday of the month"),
            "FREQ=MONTHLY;BYDAY=-1FR"
        );
        assert_eq!(rule("every jan 5"), "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=5");
        assert_eq!(
            rule("every day until 2027-06-30"),
            "FREQ=DAILY;UNTIL=20270630T235959Z"
        );
        // The first occurrence from the day of the import, at the time given in the user's zone.
        assert_eq!(
            due("every monday at 9am"),
            (
                Some("2026-12-07T08:00:00+00:00".into()),
                Some("FREQ=WEEKLY;BYDAY=MO".into()),
                RepeatFrom::Due
            )
        );
        assert_eq!(due("every 15th").0.unwrap(), "2026-12-15T00:00:00+00:00");
        assert_eq!(
            due("every week starting 2027-01-04").0.unwrap(),
            "2027-01-04T00:00:00+00:00"
        );
        assert_eq!(due("every! 3 days").2, RepeatFrom::Completion);
        for bad in [
            "every",
            "every blue moon",
            "every 0 days",
            "every day until someday",
        ] {
            assert!(
                read(bad, at("2026-12-02T12:00:00Z"), Tz::UTC).is_err(),
                "{bad}"
            );
        }
    }
}
