//! When a reminder goes off, as said: "10 minutes before", "an hour before it's due", "the day
//! before at 9", "when it's due", "tomorrow at 9", "in 20 minutes", "at 5pm". Relative ones count
//! back from the task's due time (the server computes the instant, "at 9" in the user's zone); a
//! day said without a time means 9:00 that day, since a reminder at midnight wakes nobody; a time
//! alone that has passed today means tomorrow.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use todo_domain::When as Alarm;

use super::refs::number_word;
use crate::dates;
use crate::text::{in_list, prefix, Word};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Reminder times said one after another at the start of `ws` ("1 day before and 10 minutes
/// before"): how many words they take, and the times.
pub(super) fn reminder_times(ws: &[Word], now: DateTime<Utc>) -> Option<(usize, Vec<Alarm>)> {
    let (mut end, first) = reminder_time(ws, now)?;
    let mut all = vec![first];
    loop {
        let mut k = end;
        while ws.get(k).is_some_and(|w| w.is_in("and also plus")) {
            k += 1;
        }
        // Said apart: "1 day before and 10 minutes before", "1 day before, 10 minutes before".
        if k == end && !ws[end - 1].text.ends_with(',') {
            break;
        }
        let Some((len, next)) = reminder_time(&ws[k.min(ws.len())..], now) else {
            break;
        };
        if !all.contains(&next) {
            all.push(next);
        }
        end = k + len;
    }
    Some((end, all))
}

/// One reminder time at the start of `ws`.
fn reminder_time(ws: &[Word], now: DateTime<Utc>) -> Option<(usize, Alarm)> {
    at_due(ws)
        .or_else(|| before(ws))
        .or_else(|| absolute(ws, now))
}

fn norm(ws: &[Word], i: usize) -> &str {
    ws.get(i)
        .filter(|w| !w.quoted)
        .map_or("", |w| w.norm.as_str())
}

/// "when it's due", "at the due time", "on time".
fn at_due(ws: &[Word]) -> Option<(usize, Alarm)> {
    let len = prefix(
        ws,
        "when its due|when it is due|when due|when the task is due|at the due time|at due time|\
        at the time its due|at the time|on time|at the deadline",
    )?;
    Some((
        len,
        Alarm::Before {
            ms: 0,
            on_day_at: None,
        },
    ))
}

/// "10 minutes before", "an hour before it's due", "half an hour early", "2 days before at 9",
/// "the day before", "the night before at 8".
fn before(ws: &[Word]) -> Option<(usize, Alarm)> {
    let (amount, unit_ms, mut k, default_time) = match (norm(ws, 0), norm(ws, 1), norm(ws, 2)) {
        ("the", "day", _) => (1, DAY_MS, 2, None),
        ("the", "night" | "evening", _) => (1, DAY_MS, 2, Some(hm(20, 0))),
        ("half", "an" | "a", "hour") => (30, MINUTE_MS, 3, None),
        ("a", "couple", "of") => (2, unit(norm(ws, 3))?, 4, None),
        ("couple", "of", u) => (2, unit(u)?, 3, None),
        (n, u, _) => {
            let n = match n {
                "a" | "an" => 1,
                n => number_word(n).filter(|n| *n <= 1000)?,
            };
            (n, unit(u)?, 2, None)
        }
    };
    if !in_list("before earlier early ahead prior beforehand", norm(ws, k)) {
        return None;
    }
    k += 1;
    k += tail_len(&ws[k..]);
    let ms = amount * unit_ms;
    // "2 days before at 9": that day, at a time of the user's zone.
    let on_day_at = if ms % DAY_MS == 0 {
        match dates::time_after_day(&ws[k..]) {
            Some((len, t)) => {
                k += len;
                Some(t)
            }
            None => default_time,
        }
    } else {
        None
    };
    Some((k, Alarm::Before { ms, on_day_at }))
}

fn unit(w: &str) -> Option<i64> {
    Some(match w {
        "minute" | "minutes" | "min" | "mins" | "m" => MINUTE_MS,
        "hour" | "hours" | "hr" | "hrs" | "h" => HOUR_MS,
        "day" | "days" => DAY_MS,
        "week" | "weeks" => 7 * DAY_MS,
        _ => return None,
    })
}

/// Words after "before" that only repeat what it is before: "it", "it's due", "the due time".
fn tail_len(ws: &[Word]) -> usize {
    prefix(
        ws,
        "it is due|its due date|its due|it starts|its deadline|the due time|the due date|\
        the deadline|the task|due time|due|hand|it|that|then",
    )
    .unwrap_or(0)
}

/// "tomorrow at 9", "on friday", "in 20 minutes", "at 5pm", "at 9".
fn absolute(ws: &[Word], now: DateTime<Utc>) -> Option<(usize, Alarm)> {
    if let Some(f) = dates::find(ws, now).filter(|f| f.start == 0) {
        let at = if f.when.timed {
            f.when.at
        } else {
            morning_of(f.when.at)
        };
        let said_today = ws[..f.end].iter().any(|w| w.is("today"));
        return Some((f.end, Alarm::At(roll(at, now, said_today))));
    }
    // "at 9": an hour alone, which dates read only after a day.
    let (len, t) = dates::time_after_day(ws).filter(|_| norm(ws, 0) == "at")?;
    let at = now.date_naive().and_time(t).and_utc();
    Some((len, Alarm::At(roll(at, now, false))))
}

/// When a reminder on the day of `at`, said without a time, goes off.
pub(super) fn morning_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.date_naive().and_time(hm(9, 0)).and_utc()
}

/// A time of day that has passed today means tomorrow, unless the user said "today".
fn roll(at: DateTime<Utc>, now: DateTime<Utc>, said_today: bool) -> DateTime<Utc> {
    if at <= now && at.date_naive() == now.date_naive() && !said_today {
        at + Duration::days(1)
    } else {
        at
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::text::words;

    /// Thursday, 26 November 2026, 10:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn said(s: &str) -> Option<Vec<Alarm>> {
        let ws = words(s);
        reminder_times(&ws, now())
            .filter(|(len, _)| *len == ws.len())
            .map(|(_, t)| t)
    }

    fn before(ms: i64) -> Alarm {
        Alarm::Before {
            ms,
            on_day_at: None,
        }
    }

    fn at(d: u32, h: u32, m: u32) -> Alarm {
        Alarm::At(Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap())
    }

    #[test]
    fn relative_times() {
        for (s, ms) in [
            ("10 minutes before", 10 * MINUTE_MS),
            ("ten minutes before it's due", 10 * MINUTE_MS),
            ("an hour before", HOUR_MS),
            ("half an hour early", 30 * MINUTE_MS),
            ("2 hours ahead", 2 * HOUR_MS),
            ("a couple of hours before the deadline", 2 * HOUR_MS),
            ("a week before", 7 * DAY_MS),
            ("when it's due", 0),
            ("at the due time", 0),
            ("on time", 0),
        ] {
            assert_eq!(said(s), Some(vec![before(ms)]), "{s}");
        }
        let day_at = |days: i64, h: u32| Alarm::Before {
            ms: days * DAY_MS,
            on_day_at: Some(hm(h, 0)),
        };
        assert_eq!(said("1 day before at 9"), Some(vec![day_at(1, 9)]));
        assert_eq!(said("the day before at 9am"), Some(vec![day_at(1, 9)]));
        assert_eq!(said("2 days before at 6pm"), Some(vec![day_at(2, 18)]));
        assert_eq!(said("the night before"), Some(vec![day_at(1, 20)]));
        assert_eq!(said("the day before"), Some(vec![before(DAY_MS)]));
        // Minutes have no day to be "at 9" on, and two times are said apart.
        assert_eq!(said("10 minutes before at 9"), None);
        assert_eq!(
            said("1 day before and 10 minutes before"),
            Some(vec![before(DAY_MS), before(10 * MINUTE_MS)])
        );
    }

    #[test]
    fn absolute_times() {
        assert_eq!(said("tomorrow at 9"), Some(vec![at(27, 9, 0)]));
        assert_eq!(said("tomorrow"), Some(vec![at(27, 9, 0)]));
        assert_eq!(said("in 20 minutes"), Some(vec![at(26, 10, 20)]));
        assert_eq!(said("at 5pm"), Some(vec![at(26, 17, 0)]));
        // 9:00 has passed at 10:00: the next 9:00, unless today was said.
        assert_eq!(said("at 9"), Some(vec![at(27, 9, 0)]));
        assert_eq!(said("at 9am"), Some(vec![at(27, 9, 0)]));
        assert_eq!(said("today at 9am"), Some(vec![at(26, 9, 0)]));
        assert_eq!(said("the report"), None);
        assert_eq!(said("10 minutes"), None);
    }
}
