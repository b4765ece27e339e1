//! Date and time phrases ("tomorrow", "next friday 5pm", "in 3 days", "Dec 24", "2026-12-24") turned
//! into times on the user's wall clock (kept as `DateTime<Utc>`, see [`crate::zone`]); a day without
//! a time is that day's midnight, which crosses to the tools as the date itself.
//!
//! Weekdays: "friday" / "this friday" / "on friday" is the next Friday after today; "next friday"
//! is the Friday of next week (so on a Thursday it is eight days away, not tomorrow).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc, Weekday};

use crate::text::Word;

/// A moment a phrase names; `timed` when the phrase gave a time of day, not only a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub at: DateTime<Utc>,
    pub timed: bool,
}

/// Where a phrase sits among the words: `words[start..end]`, including a leading "due"/"by"/"on".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub when: When,
}

/// Words that introduce a date and belong to the phrase ("due on friday").
const LEAD: &str = "due by on at before until till til for from this next";

/// The first date phrase among `ws`.
pub fn find(ws: &[Word], now: DateTime<Utc>) -> Option<Found> {
    (0..ws.len()).find_map(|i| {
        // "at" and "this" start times themselves ("at 5pm", "this evening").
        if ws[i].quoted || (ws[i].is_in(LEAD) && !ws[i].is_in("at this by")) {
            return None;
        }
        let after_lead = i > 0 && ws[i - 1].is_in(LEAD);
        let (len, when) = phrase(&ws[i..], now, after_lead, ws.get(i.wrapping_sub(1)))?;
        let mut start = i;
        while start > 0 && ws[start - 1].is_in(LEAD) && !ws[start - 1].quoted {
            start -= 1;
        }
        Some(Found {
            start,
            end: i + len,
            when,
        })
    })
}

fn phrase(
    ws: &[Word],
    now: DateTime<Utc>,
    after_lead: bool,
    before: Option<&Word>,
) -> Option<(usize, When)> {
    let today = now.date_naive();
    let next_week = before.is_some_and(|w| w.is("next"));
    if let Some((n, date, default_time)) = date_part(ws, today, after_lead, next_week) {
        // "tonight at 8" / "tonight at 8:30": an hour without am/pm is in the evening; after any
        // other day ("saturday at 7"), as `time_after_day` reads it.
        let evening = default_time.is_some_and(|t| t >= hm(18, 0));
        if let Some((m, t)) = time_after_day(&ws[n..]) {
            let t = if evening && t < hm(12, 0) {
                t + Duration::hours(12)
            } else {
                t
            };
            return Some((n + m, at(date, t, true)));
        }
        return Some(match default_time {
            Some(t) => (n, at(date, t, true)),
            None => (n, at(date, NaiveTime::MIN, false)),
        });
    }
    if let Some((m, t)) = time_part(ws, false) {
        let j = m + usize::from(ws.get(m).is_some_and(|w| w.is_in("on this next")));
        let next = ws.get(j.wrapping_sub(1)).is_some_and(|w| w.is("next"));
        if let Some((n, date, _)) = date_part(&ws[j..], today, true, next) {
            return Some((j + n, at(date, t, true)));
        }
        // A time alone is the next time the clock shows it.
        let date = if today.and_time(t) > now.naive_utc() {
            today
        } else {
            today.succ_opt()?
        };
        return Some((m, at(date, t, true)));
    }
    relative(ws, now)
}

/// A time of day right after a day ("… at 9", "… morning", "… at 5pm"): an hour alone counts
/// here, 1 to 7 in the afternoon or evening (few plan for 3 am) and 8 to 11 in the morning.
pub fn time_after_day(ws: &[Word]) -> Option<(usize, NaiveTime)> {
    time_part(ws, true).or_else(|| {
        at_hour(ws).map(|(k, t)| {
            (
                k,
                if t < hm(8, 0) {
                    t + Duration::hours(12)
                } else {
                    t
                },
            )
        })
    })
}

fn at(date: NaiveDate, t: NaiveTime, timed: bool) -> When {
    When {
        at: date.and_time(t).and_utc(),
        timed,
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

pub fn weekday(w: &str, abbreviations: bool) -> Option<Weekday> {
    let full = match w {
        "monday" | "mondays" => Some(Weekday::Mon),
        "tuesday" | "tuesdays" => Some(Weekday::Tue),
        "wednesday" | "wednesdays" => Some(Weekday::Wed),
        "thursday" | "thursdays" => Some(Weekday::Thu),
        "friday" | "fridays" => Some(Weekday::Fri),
        "saturday" | "saturdays" => Some(Weekday::Sat),
        "sunday" | "sundays" => Some(Weekday::Sun),
        _ => None,
    };
    // "sun", "sat", "wed" are words too; only after "on"/"by"/"next" are they days.
    if full.is_some() || !abbreviations {
        return full;
    }
    match w {
        "mon" => Some(Weekday::Mon),
        "tue" | "tues" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" | "thur" | "thurs" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

pub fn month(w: &str) -> Option<u32> {
    let m = match w {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        "mar" | "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    };
    Some(m)
}

/// "24", "24th", "1st" -> a day of the month.
pub fn day_of_month(w: &str) -> Option<u32> {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// The next `target` weekday after `today` (1–7 days ahead).
fn upcoming(today: NaiveDate, target: Weekday) -> NaiveDate {
    let ahead = (target.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    today + Duration::days(if ahead == 0 { 7 } else { ahead.into() })
}

fn next_monday(today: NaiveDate) -> NaiveDate {
    upcoming(today, Weekday::Mon)
}

/// A date at the start of `ws`: (words used, date, time the phrase implies).
fn date_part(
    ws: &[Word],
    today: NaiveDate,
    after_lead: bool,
    next: bool,
) -> Option<(usize, NaiveDate, Option<NaiveTime>)> {
    let w0 = ws.first()?;
    if w0.quoted {
        return None;
    }
    let w = |i: usize| ws.get(i).map_or("", |w| w.norm.as_str());
    let day = |d: i64| today + Duration::days(d);
    match w0.norm.as_str() {
        "today" | "tdy" => return Some((1, today, None)),
        "tonight" | "tonite" => return Some((1, today, Some(hm(20, 0)))),
        "tomorrow" | "tmrw" | "tmr" | "tmw" | "tomorow" => return Some((1, day(1), None)),
        "day" if w(1) == "after" && w(2) == "tomorrow" => return Some((3, day(2), None)),
        "the" if w(1) == "day" && w(2) == "after" && w(3) == "tomorrow" => {
            return Some((4, day(2), None))
        }
        "week" if next => return Some((1, next_monday(today), None)),
        "month" if next => {
            let first = today.with_day(1)?.checked_add_months(Months::new(1))?;
            return Some((1, first, None));
        }
        "weekend" => return Some((1, weekend(today), None)),
        "the" if w(1) == "weekend" => return Some((2, weekend(today), None)),
        "end" if w(1) == "of" => {
            let k = if w(2) == "the" { 3 } else { 2 };
            match w(k) {
                "week" => {
                    return Some((
                        k + 1,
                        upcoming(today - Duration::days(1), Weekday::Fri),
                        None,
                    ))
                }
                "month" => {
                    let first_next = today.with_day(1)?.checked_add_months(Months::new(1))?;
                    return Some((k + 1, first_next - Duration::days(1), None));
                }
                "day" => return Some((k + 1, today, Some(hm(17, 0)))),
                _ => {}
            }
        }
        "eod" => return Some((1, today, Some(hm(17, 0)))),
        "eow" => return Some((1, upcoming(today - Duration::days(1), Weekday::Fri), None)),
        _ => {}
    }
    if let Some(wd) = weekday(&w0.norm, after_lead || next) {
        let mut d = upcoming(today, wd);
        // "next friday": the Friday of next week, even when this week's is still ahead.
        if next && d < next_monday(today) {
            d += Duration::days(7);
        }
        return Some((1, d, None));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&w0.norm, "%Y-%m-%d") {
        return Some((1, d, None));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(&w0.text) {
        let dt = dt.with_timezone(&Utc);
        return Some((1, dt.date_naive(), Some(dt.time())));
    }
    // "Dec 24", "december 24th, 2026", "24 dec", "24th of december", "the 24th of december".
    let (skip_the, rest) = if w0.is("the") { (1, &ws[1..]) } else { (0, ws) };
    let r = |i: usize| rest.get(i).map_or("", |w| w.norm.as_str());
    let (len, m, d) = if let (Some(m), Some(d)) = (month(r(0)), day_of_month(r(1))) {
        (2, m, d)
    } else if let (Some(d), Some(m)) = (day_of_month(r(0)), month(r(1))) {
        (2, m, d)
    } else if let (Some(d), "of", Some(m)) = (day_of_month(r(0)), r(1), month(r(2))) {
        (3, m, d)
    } else if let (1, true, Some(d)) = (skip_the, after_lead, day_of_month(r(0))) {
        // "on the 1st": the next 1st of a month, this one's if still ahead.
        let mut month = today.with_day(1)?;
        for _ in 0..3 {
            if let Some(date) = month.with_day(d).filter(|date| *date >= today) {
                return Some((2, date, None));
            }
            month = month.checked_add_months(Months::new(1))?;
        }
        return None;
    } else {
        return None;
    };
    let (len, year) = match r(len).parse::<i32>() {
        Ok(y) if (1970..=9999).contains(&y) => (len + 1, Some(y)),
        _ => (len, None),
    };
    let date = match year {
        Some(y) => NaiveDate::from_ymd_opt(y, m, d)?,
        None => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), m, d);
            match this_year {
                Some(date) if date >= today => date,
                _ => NaiveDate::from_ymd_opt(today.year() + 1, m, d)?,
            }
        }
    };
    Some((skip_the + len, date, None))
}

fn weekend(today: NaiveDate) -> NaiveDate {
    if today.weekday() == Weekday::Sat {
        today
    } else {
        upcoming(today, Weekday::Sat)
    }
}

/// The first time of day among `ws` ("at 9 am"), for a date said elsewhere in the sentence:
/// "on Friday … at 9 am". Returns where it is and the time.
pub fn find_time(ws: &[Word]) -> Option<(usize, usize, NaiveTime)> {
    (0..ws.len()).find_map(|i| {
        let (len, t) = time_part(&ws[i..], false)?;
        Some((i, i + len, t))
    })
}

/// "at 8": an hour alone, which is a time only right after a day.
fn at_hour(ws: &[Word]) -> Option<(usize, NaiveTime)> {
    let [at, h, ..] = ws else { return None };
    let h: u32 = h.norm.parse().ok().filter(|h| (1..12).contains(h))?;
    (at.is("at") && !at.quoted).then(|| (2, hm(h, 0)))
}

/// A time of day at the start of `ws`. `bare` allows "morning"/"evening" without "at"/"in the"
/// (right after a date: "tomorrow morning").
fn time_part(ws: &[Word], bare: bool) -> Option<(usize, NaiveTime)> {
    let w = |i: usize| {
        ws.get(i)
            .filter(|w| !w.quoted)
            .map_or("", |w| w.norm.as_str())
    };
    let mut k = 0;
    let mut introduced = bare;
    if w(0) == "at" || w(0) == "around" || w(0) == "by" {
        k = 1;
        introduced = true;
    } else if w(0) == "in" && w(1) == "the" {
        k = 2;
        introduced = true;
    } else if w(0) == "this" {
        k = 1;
        introduced = true;
    }
    let part_of_day = match w(k) {
        "noon" | "midday" | "lunch" | "lunchtime" => Some(hm(12, 0)),
        "midnight" => Some(hm(23, 59)),
        "morning" if introduced => Some(hm(9, 0)),
        "afternoon" if introduced => Some(hm(15, 0)),
        "evening" if introduced => Some(hm(18, 0)),
        "night" if introduced => Some(hm(20, 0)),
        _ => None,
    };
    if let Some(t) = part_of_day {
        return Some((k + 1, t));
    }
    // "5pm", "5:30pm", "5.30 pm", "17:00".
    let word = w(k);
    let (clock, meridiem, used) = match word.find(|c: char| c.is_ascii_alphabetic()) {
        Some(p) => (&word[..p], Some(&word[p..]), 1),
        None => match w(k + 1) {
            m @ ("am" | "pm" | "a.m" | "p.m") => (word, Some(m), 2),
            _ => (word, None, 1),
        },
    };
    let meridiem = match meridiem {
        Some("am" | "a.m") => Some(false),
        Some("pm" | "p.m") => Some(true),
        Some(_) => return None,
        None => None,
    };
    // Without am/pm only "17:30" is a time; "3.5" is a version number and "5" a count.
    let (h, m) = match clock.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 && (meridiem.is_some() || clock.contains(':')) => {
            (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)
        }
        None if meridiem.is_some() => (clock.parse::<u32>().ok()?, 0),
        _ => return None,
    };
    let h = match meridiem {
        Some(pm) if (1..=12).contains(&h) => (h % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    (h < 24 && m < 60).then(|| (k + used, hm(h, m)))
}

/// "in 3 days", "in an hour", "in two weeks".
fn relative(ws: &[Word], now: DateTime<Utc>) -> Option<(usize, When)> {
    let w = |i: usize| {
        ws.get(i)
            .filter(|w| !w.quoted)
            .map_or("", |w| w.norm.as_str())
    };
    if w(0) != "in" {
        return None;
    }
    let n: u32 = match w(1) {
        "a" | "an" | "one" => 1,
        "two" | "couple" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        digits => digits.parse().ok().filter(|n| (1..=1000).contains(n))?,
    };
    let unit_at = if w(2) == "of" { 3 } else { 2 };
    let today = now.date_naive();
    let when = match w(unit_at) {
        "minute" | "minutes" | "min" | "mins" => When {
            at: now + Duration::minutes(n.into()),
            timed: true,
        },
        "hour" | "hours" | "hr" | "hrs" => When {
            at: now + Duration::hours(n.into()),
            timed: true,
        },
        "day" | "days" => at(today + Duration::days(n.into()), NaiveTime::MIN, false),
        "week" | "weeks" => at(today + Duration::weeks(n.into()), NaiveTime::MIN, false),
        "month" | "months" => at(
            today.checked_add_months(Months::new(n))?,
            NaiveTime::MIN,
            false,
        ),
        _ => return None,
    };
    Some((unit_at + 1, when))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::words;
    use chrono::TimeZone;

    /// Thursday, 26 November 2026, 10:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    /// The date phrase that makes up all of `ws` (after optional lead words), if it is one.
    fn whole(ws: &[Word], now: DateTime<Utc>) -> Option<When> {
        let found = find(ws, now)?;
        (found.start == 0 && found.end == ws.len()).then_some(found.when)
    }

    fn when(s: &str) -> Option<String> {
        whole(&words(s), now()).map(|w| w.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn days() {
        assert_eq!(when("today").unwrap(), "2026-11-26T00:00:00Z");
        assert_eq!(when("tomorrow").unwrap(), "2026-11-27T00:00:00Z");
        assert_eq!(when("tonight").unwrap(), "2026-11-26T20:00:00Z");
        assert_eq!(when("tonight at 8").unwrap(), "2026-11-26T20:00:00Z");
        assert_eq!(when("tonight at 9:30").unwrap(), "2026-11-26T21:30:00Z");
        assert_eq!(when("tonight at 7pm").unwrap(), "2026-11-26T19:00:00Z");
        assert_eq!(when("day after tomorrow").unwrap(), "2026-11-28T00:00:00Z");
        assert_eq!(when("in 3 days").unwrap(), "2026-11-29T00:00:00Z");
        assert_eq!(when("in a week").unwrap(), "2026-12-03T00:00:00Z");
        assert_eq!(when("in 2 hours").unwrap(), "2026-11-26T12:00:00Z");
        assert_eq!(when("next week").unwrap(), "2026-11-30T00:00:00Z");
        assert_eq!(when("next month").unwrap(), "2026-12-01T00:00:00Z");
        assert_eq!(when("saturday at 7").unwrap(), "2026-11-28T19:00:00Z");
        assert_eq!(when("monday at 9").unwrap(), "2026-11-30T09:00:00Z");
        assert_eq!(when("this weekend").unwrap(), "2026-11-28T00:00:00Z");
        assert_eq!(when("end of month").unwrap(), "2026-11-30T00:00:00Z");
    }

    #[test]
    fn weekdays() {
        assert_eq!(when("friday").unwrap(), "2026-11-27T00:00:00Z");
        assert_eq!(when("on friday").unwrap(), "2026-11-27T00:00:00Z");
        assert_eq!(when("this friday").unwrap(), "2026-11-27T00:00:00Z");
        assert_eq!(when("next friday").unwrap(), "2026-12-04T00:00:00Z");
        assert_eq!(when("on monday").unwrap(), "2026-11-30T00:00:00Z");
        assert_eq!(when("next monday").unwrap(), "2026-11-30T00:00:00Z");
        assert_eq!(when("thursday").unwrap(), "2026-12-03T00:00:00Z");
        assert_eq!(when("on wed").unwrap(), "2026-12-02T00:00:00Z");
        assert_eq!(when("wed"), None, "an abbreviation alone is not a day");
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(when("on 2026-12-24").unwrap(), "2026-12-24T00:00:00Z");
        assert_eq!(when("Dec 24").unwrap(), "2026-12-24T00:00:00Z");
        assert_eq!(when("december 24th, 2027").unwrap(), "2027-12-24T00:00:00Z");
        assert_eq!(when("24 dec").unwrap(), "2026-12-24T00:00:00Z");
        assert_eq!(when("the 3rd of march").unwrap(), "2027-03-03T00:00:00Z");
        assert_eq!(when("on the 1st").unwrap(), "2026-12-01T00:00:00Z");
        assert_eq!(when("by the 30th").unwrap(), "2026-11-30T00:00:00Z");
        assert_eq!(when("the 1st"), None, "an ordinal alone is not a date");
        assert_eq!(when("may"), None);
    }

    #[test]
    fn times() {
        assert_eq!(when("by friday 5pm").unwrap(), "2026-11-27T17:00:00Z");
        assert_eq!(when("tomorrow at 9:30am").unwrap(), "2026-11-27T09:30:00Z");
        assert_eq!(when("tomorrow morning").unwrap(), "2026-11-27T09:00:00Z");
        assert_eq!(when("at 5 pm").unwrap(), "2026-11-26T17:00:00Z");
        assert_eq!(when("at 8am").unwrap(), "2026-11-27T08:00:00Z");
        assert_eq!(when("5pm tomorrow").unwrap(), "2026-11-27T17:00:00Z");
        assert_eq!(when("at noon on friday").unwrap(), "2026-11-27T12:00:00Z");
        assert_eq!(when("17:30").unwrap(), "2026-11-26T17:30:00Z");
        assert_eq!(when("13pm"), None);
    }

    #[test]
    fn finds_a_time_apart_from_its_date() {
        let ws = words("submit the report at 9 am");
        assert_eq!(find_time(&ws), Some((3, 6, hm(9, 0))));
        assert_eq!(find_time(&words("read chapter 3.5")), None);
    }

    #[test]
    fn finds_inside_a_sentence() {
        let ws = words("call mom tomorrow at 6pm please");
        let f = find(&ws, now()).unwrap();
        assert_eq!((f.start, f.end), (2, 5));
        assert!(f.when.timed);
        let ws = words("pay rent due on the 1st of december");
        let f = find(&ws, now()).unwrap();
        assert_eq!((f.start, f.end), (2, 8));
        assert!(find(&words("read chapter 5"), now()).is_none());
    }
}
