//! How often a task repeats, read from a phrase into an RFC 5545 rule, with the first due date a
//! rule naming its days implies ("every other Monday" is due next Monday); and "stop repeating …".

use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use todo_domain::{Recurrence, Tz};

use super::refs::{number_word, task_ref};
use super::{Changes, Intent};
use crate::dates::{self, When};
use crate::text::{prefix, Word};

/// A recurrence phrase found at `ws[start..end]`.
#[derive(Debug, PartialEq)]
pub(super) struct Found {
    pub start: usize,
    pub end: usize,
    pub rule: Recurrence,
    /// The first occurrence after today when the rule names its days, at the time said after it.
    pub due: Option<When>,
}

/// A rule being read, as its RRULE parts.
#[derive(Debug, Clone, Default)]
struct Spec {
    freq: &'static str,
    interval: i64,
    by_day: Vec<String>,
    by_month_day: Vec<i64>,
    by_month: Vec<u32>,
    count: Option<i64>,
    until: Option<DateTime<Utc>>,
}

impl Spec {
    fn new(freq: &'static str, interval: i64) -> Spec {
        Spec {
            freq,
            interval,
            ..Spec::default()
        }
    }

    /// Whether the rule names its days, so that it implies a first due date.
    fn anchored(&self) -> bool {
        !(self.by_day.is_empty() && self.by_month_day.is_empty() && self.by_month.is_empty())
    }

    fn rule(&self) -> Option<Recurrence> {
        let mut s = format!("FREQ={}", self.freq);
        if self.interval > 1 {
            s += &format!(";INTERVAL={}", self.interval);
        }
        let list = |v: Vec<String>| v.join(",");
        if !self.by_month.is_empty() {
            s += &format!(
                ";BYMONTH={}",
                list(self.by_month.iter().map(u32::to_string).collect())
            );
        }
        if !self.by_month_day.is_empty() {
            s += &format!(
                ";BYMONTHDAY={}",
                list(self.by_month_day.iter().map(i64::to_string).collect())
            );
        }
        if !self.by_day.is_empty() {
            s += &format!(";BYDAY={}", self.by_day.join(","));
        }
        if let Some(n) = self.count {
            s += &format!(";COUNT={n}");
        }
        if let Some(u) = self.until {
            s += &format!(";UNTIL={}", u.format("%Y%m%dT%H%M%SZ"));
        }
        Recurrence::parse(&s).ok()
    }

    /// The first day after today the rule's days fall on (its interval, count and end aside: the
    /// series starts there).
    fn first_day(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let anchor = Spec {
            interval: 1,
            count: None,
            until: None,
            ..self.clone()
        };
        let today = now.date_naive().and_time(NaiveTime::MIN).and_utc();
        let tomorrow = today + Duration::days(1);
        let first = anchor
            .rule()?
            .occurrences(today, tomorrow - Duration::seconds(1), Tz::UTC, 1);
        first.first().copied()
    }
}

/// The recurrence phrase starting at word `i`: a frequency ("daily", "every 2 weeks", "every other
/// Monday", "every weekday", "every March 3", "every last Friday of the month"), or a day of the
/// month first ("on the 1st of every month", "the last Friday of each month"); then the days it
/// falls on ("… on Monday and Thursday", "… on the 15th", "… on March 3"), a time ("at 9") and an
/// end ("until Friday", "5 times").
pub(super) fn rule_at(ws: &[Word], i: usize, now: DateTime<Utc>) -> Option<Found> {
    let (mut spec, mut end) = every(ws, i).or_else(|| day_of_every_month(ws, i))?;
    if !spec.anchored() {
        if let Some((days, len)) = on_days(&spec, &ws[end..]) {
            spec = days;
            end += len;
        }
    }
    let due_day = if spec.anchored() {
        Some(spec.first_day(now)?)
    } else {
        None
    };
    let mut due = due_day.map(|at| When { at, timed: false });
    if let (Some(day), Some((len, t))) = (due_day, dates::time_after_day(&ws[end..])) {
        due = Some(When {
            at: day.date_naive().and_time(t).and_utc(),
            timed: true,
        });
        end += len;
    }
    if let Some(len) = ending(&mut spec, &ws[end..], now) {
        end += len;
    }
    Some(Found {
        start: i,
        end,
        rule: spec.rule()?,
        due,
    })
}

fn norm(ws: &[Word], i: usize) -> &str {
    ws.get(i)
        .filter(|w| !w.quoted)
        .map_or("", |w| w.norm.as_str())
}

fn unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "day" | "days" => "DAILY",
        "week" | "weeks" => "WEEKLY",
        "month" | "months" => "MONTHLY",
        "year" | "years" => "YEARLY",
        _ => return None,
    })
}

fn day_code(d: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][d.num_days_from_monday() as usize]
}

/// "first", "2nd", "last" before a weekday: its place in the month.
fn nth(w: &str) -> Option<i64> {
    Some(match w {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "last" => -1,
        _ => return None,
    })
}

/// Weekdays joined by commas and "and" ("monday and thursday"): their codes and the words used.
fn weekdays(ws: &[Word]) -> Option<(Vec<String>, usize)> {
    let mut days = Vec::new();
    let mut k = 0;
    while let Some(d) = dates::weekday(norm(ws, k), false) {
        days.push(day_code(d).to_owned());
        k += 1;
        if norm(ws, k) == "and" && dates::weekday(norm(ws, k + 1), false).is_some() {
            k += 1;
        }
    }
    (!days.is_empty()).then_some((days, k))
}

/// "the last friday", "the 2nd tuesday" (`the` optional): a weekday's place in the month.
fn nth_weekday(ws: &[Word]) -> Option<(String, usize)> {
    let k = usize::from(norm(ws, 0) == "the");
    let n = nth(norm(ws, k))?;
    let d = dates::weekday(norm(ws, k + 1), false)?;
    Some((format!("{n}{}", day_code(d)), k + 2))
}

/// "the 1st", "the 15th", "the last day" (`the` optional): a day of the month.
fn month_day(ws: &[Word]) -> Option<(i64, usize)> {
    let k = usize::from(norm(ws, 0) == "the");
    if norm(ws, k) == "last" && norm(ws, k + 1) == "day" {
        return Some((-1, k + 2));
    }
    // A bare number is a day only as an ordinal or after "the" ("the 1st", "the 15").
    let w = norm(ws, k);
    let ordinal = w.ends_with(|c: char| c.is_ascii_alphabetic());
    let d = dates::day_of_month(w).filter(|_| ordinal || k == 1)?;
    Some((i64::from(d), k + 1))
}

/// "march 3", "3 march", "the 3rd of march": a day of the year.
fn year_day(ws: &[Word]) -> Option<(u32, i64, usize)> {
    if let Some(m) = dates::month(norm(ws, 0)) {
        let d = dates::day_of_month(norm(ws, 1))?;
        return Some((m, i64::from(d), 2));
    }
    let k = usize::from(norm(ws, 0) == "the");
    let d = dates::day_of_month(norm(ws, k))?;
    let of = usize::from(norm(ws, k + 1) == "of");
    let m = dates::month(norm(ws, k + 1 + of))?;
    Some((m, i64::from(d), k + 2 + of))
}

/// "of the month", "of every month", "of each month", "every month", "each month": how many words.
fn of_the_month(ws: &[Word]) -> Option<usize> {
    prefix(
        ws,
        "of the month|of every month|of each month|every month|each month|a month",
    )
}

/// A frequency at `i`: "daily", "fortnightly", "every (other|N) (day|week|month|year)", "every
/// weekday", "every other monday", "every monday and thursday", "every march 3", "every 1st of the
/// month", "every last friday of the month"; the rule and the index after it.
fn every(ws: &[Word], i: usize) -> Option<(Spec, usize)> {
    let one = |freq, interval| Some((Spec::new(freq, interval), i + 1));
    match norm(ws, i) {
        "daily" | "everyday" => return one("DAILY", 1),
        "weekly" => return one("WEEKLY", 1),
        "monthly" => return one("MONTHLY", 1),
        "yearly" | "annually" => return one("YEARLY", 1),
        "fortnightly" | "biweekly" => return one("WEEKLY", 2),
        "every" | "each" => {}
        _ => return None,
    }
    let mut k = i + 1;
    let interval = match norm(ws, k) {
        "other" | "second" | "alternate" => {
            k += 1;
            2
        }
        w => match number_word(w).filter(|n| (2..=99).contains(n)) {
            Some(n) if unit(norm(ws, k + 1)).is_some() => {
                k += 1;
                n
            }
            _ => 1,
        },
    };
    let w = norm(ws, k);
    if let Some(freq) = unit(w) {
        return Some((Spec::new(freq, interval), k + 1));
    }
    if interval == 1 && matches!(w, "morning" | "evening" | "night") {
        return Some((Spec::new("DAILY", 1), k + 1));
    }
    if matches!(w, "weekday" | "weekdays" | "workday" | "workdays") {
        let mut s = Spec::new("WEEKLY", interval);
        s.by_day = ["MO", "TU", "WE", "TH", "FR"].map(str::to_owned).to_vec();
        return Some((s, k + 1));
    }
    if w == "weekend" {
        let mut s = Spec::new("WEEKLY", interval);
        s.by_day = vec!["SA".into(), "SU".into()];
        return Some((s, k + 1));
    }
    if let Some((days, len)) = weekdays(&ws[k..]) {
        // "every monday (at 9am)" is simply weekly: the day stays for the due-date reader.
        if interval == 1 && days.len() == 1 {
            return Some((Spec::new("WEEKLY", 1), k));
        }
        let mut s = Spec::new("WEEKLY", interval);
        s.by_day = days;
        return Some((s, k + len));
    }
    if let Some((day, len)) = nth_weekday(&ws[k..]) {
        let mut s = Spec::new("MONTHLY", interval);
        s.by_day = vec![day];
        let of = of_the_month(&ws[k + len..]).unwrap_or(0);
        return Some((s, k + len + of));
    }
    if let Some((m, d, len)) = year_day(&ws[k..]) {
        let mut s = Spec::new("YEARLY", interval);
        s.by_month = vec![m];
        s.by_month_day = vec![d];
        return Some((s, k + len));
    }
    let (d, len) = month_day(&ws[k..])?;
    let of = of_the_month(&ws[k + len..]);
    // "every 15th" or "every 1st of the month"; "every last day" needs "of the month".
    if d < 0 && of.is_none() {
        return None;
    }
    let mut s = Spec::new("MONTHLY", interval);
    s.by_month_day = vec![d];
    Some((s, k + len + of.unwrap_or(0)))
}

/// A day of the month first: "(on) the 1st of every month", "(on) the last Friday of each month",
/// "on the last day of every month".
fn day_of_every_month(ws: &[Word], i: usize) -> Option<(Spec, usize)> {
    let k = i + usize::from(norm(ws, i) == "on");
    let mut s = Spec::new("MONTHLY", 1);
    let len = if let Some((day, len)) = nth_weekday(&ws[k..]) {
        s.by_day = vec![day];
        len
    } else {
        let (d, len) = month_day(&ws[k..])?;
        s.by_month_day = vec![d];
        len
    };
    let of = prefix(
        &ws[k + len..],
        "of every month|of each month|every month|each month",
    )?;
    Some((s, k + len + of))
}

/// The days a frequency falls on, said after it: "… on monday and thursday" (weeks), "… on the
/// 15th" / "… on the last friday" (months), "… on march 3" (years).
fn on_days(spec: &Spec, ws: &[Word]) -> Option<(Spec, usize)> {
    if norm(ws, 0) != "on" {
        return None;
    }
    let rest = &ws[1..];
    let mut s = spec.clone();
    let len = match spec.freq {
        "WEEKLY" => {
            let (days, len) = weekdays(rest)?;
            s.by_day = days;
            len
        }
        "MONTHLY" => match nth_weekday(rest) {
            Some((day, len)) => {
                s.by_day = vec![day];
                len
            }
            None => {
                let (d, len) = month_day(rest)?;
                s.by_month_day = vec![d];
                len
            }
        },
        "YEARLY" => {
            let (m, d, len) = year_day(rest)?;
            s.by_month = vec![m];
            s.by_month_day = vec![d];
            len
        }
        _ => return None,
    };
    Some((s, 1 + len))
}

/// How a series ends, right after the rule: "until friday" (that day included), "5 times", "for 3
/// times".
fn ending(spec: &mut Spec, ws: &[Word], now: DateTime<Utc>) -> Option<usize> {
    if matches!(norm(ws, 0), "until" | "till" | "til") {
        let f = dates::find(&ws[..ws.len().min(4)], now).filter(|f| f.start == 0)?;
        let day = f.when.at.date_naive();
        spec.until = Some(day.and_hms_opt(23, 59, 59)?.and_utc());
        return Some(f.end);
    }
    let k = usize::from(norm(ws, 0) == "for");
    let n = number_word(norm(ws, k)).filter(|n| (1..=999).contains(n))?;
    if !matches!(norm(ws, k + 1), "times" | "time") {
        return None;
    }
    spec.count = Some(n);
    Some(k + 2)
}

/// "stop repeating the gym task", "stop the gym task (from) repeating", "don't repeat the gym task
/// anymore", "make the gym task not repeat".
pub(super) fn stop_repeating(ws: &[Word]) -> Option<Intent> {
    const REPEATING: &str = "repeating recurring repeat recur";
    const LATER: &str = "anymore any more again";
    let stop = |target: &[Word]| {
        let target: Vec<Word> = target.iter().filter(|w| !w.is_in(LATER)).cloned().collect();
        (!target.is_empty()).then(|| {
            Intent::Update(
                task_ref(&target),
                Changes {
                    recurrence: Some(None),
                    ..Changes::default()
                },
            )
        })
    };
    if let Some(k) = prefix(
        ws,
        "stop repeating|stop recurring|dont repeat|do not repeat|no longer repeat|\
        cancel the recurrence of|end the recurrence of|stop the recurrence of",
    ) {
        return stop(&ws[k..]);
    }
    // "stop the gym task (from) repeating", "make the gym task (not|stop) repeat(ing)".
    let last = ws.iter().rposition(|w| w.is_in(REPEATING))?;
    if !ws[last + 1..].iter().all(|w| w.is_in(LATER)) || last < 2 {
        return None;
    }
    let head = prefix(ws, "stop|make")?;
    let mut end = last;
    while end > head && ws[end - 1].is_in("from not no longer stop") {
        end -= 1;
    }
    if ws[0].is("make") && end == last {
        return None;
    }
    stop(&ws[head..end])
}
