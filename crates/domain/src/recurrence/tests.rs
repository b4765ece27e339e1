use super::*;
use chrono::TimeZone;

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn rule(s: &str) -> Recurrence {
    Recurrence::parse(s).unwrap()
}

/// The first `n` occurrences of a series starting at `start` (itself included when it matches).
fn first(r: &str, start: DateTime<Utc>, tz: Tz, n: u16) -> Vec<DateTime<Utc>> {
    rule(r).occurrences(start, start - chrono::Duration::seconds(1), tz, n)
}

#[test]
fn shorthands_and_rrules_read_and_write_back() {
    for (name, canonical) in SHORTHANDS {
        let r = rule(name);
        assert_eq!(r.rule(), canonical);
        assert_eq!(r.to_string(), name);
        assert_eq!(rule(canonical), r, "{canonical} is the shorthand's rule");
        assert_eq!(serde_json::to_value(&r).unwrap(), name);
    }
    let r = rule("rrule:freq=weekly;interval=2;byday=MO,TH;count=5");
    assert_eq!(r.rule(), "FREQ=WEEKLY;COUNT=5;INTERVAL=2;BYDAY=MO,TH");
    assert_eq!(r.to_string(), r.rule());
    assert_eq!(rule(r.rule()), r, "the canonical form reads back");
    assert_eq!(r.describe(), "Every other week on Mon and Thu, 5 times");
    assert_eq!(
        rule("FREQ=MONTHLY;BYDAY=2TU").describe(),
        "Every month on the 2nd Tue"
    );
    assert_eq!(
        rule("FREQ=MONTHLY;BYMONTHDAY=-1").describe(),
        "Every month on the last day"
    );
    assert_eq!(rule("weekdays").describe(), "Every weekday");
}

#[test]
fn bad_rules_say_what_is_wrong() {
    for (input, says) in [
        ("hourly", "must be daily"),
        ("", "must be daily"),
        ("FREQ=HOURLY", "FREQ must be"),
        ("FREQ=DAILY;BYHOUR=9", "time of day"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        (
            "FREQ=DAILY;UNTIL=20270101T000000",
            "UNTIL must be a UTC time",
        ),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "not a valid RRULE"),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", "must be daily"),
    ] {
        let e = Recurrence::parse(input).unwrap_err();
        assert!(e.contains(says), "{input:?}: {e}");
    }
}

#[test]
fn wall_clock_time_holds_across_daylight_saving_changes() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer (the clocks change on 29 March 2026).
    let got = first("weekly", utc(2026, 3, 19, 8), berlin, 3);
    assert_eq!(
        got,
        vec![utc(2026, 3, 19, 8), utc(2026, 3, 26, 8), utc(2026, 4, 2, 7)]
    );
    // …and back in October (25 October 2026).
    let got = first("daily", utc(2026, 10, 24, 7), berlin, 2);
    assert_eq!(got, vec![utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)]);
    // The same series computed in UTC would drift by an hour.
    assert_eq!(
        first("weekly", utc(2026, 3, 19, 8), Tz::UTC, 3)[2],
        utc(2026, 4, 2, 8)
    );
}

#[test]
fn ordinals_last_days_and_the_end_of_a_series() {
    let utc_tz = Tz::UTC;
    // The first Monday keeps its ordinal (the `rrule` crate would write it back as every Monday).
    assert_eq!(
        rule("FREQ=MONTHLY;BYDAY=1MO").rule(),
        "FREQ=MONTHLY;BYDAY=1MO"
    );
    assert_eq!(
        first("FREQ=MONTHLY;BYDAY=1MO", utc(2026, 1, 1, 9), utc_tz, 2),
        vec![utc(2026, 1, 5, 9), utc(2026, 2, 2, 9)]
    );
    // The 2nd Tuesday and the last Friday of each month.
    assert_eq!(
        first("FREQ=MONTHLY;BYDAY=2TU", utc(2026, 1, 1, 9), utc_tz, 3),
        vec![
            utc(2026, 1, 13, 9),
            utc(2026, 2, 10, 9),
            utc(2026, 3, 10, 9)
        ]
    );
    assert_eq!(
        first("FREQ=MONTHLY;BYDAY=-1FR", utc(2026, 1, 1, 9), utc_tz, 2),
        vec![utc(2026, 1, 30, 9), utc(2026, 2, 27, 9)]
    );
    // The last day of the month, and a plain monthly rule started on the 31st keeps to month ends.
    assert_eq!(
        first("FREQ=MONTHLY;BYMONTHDAY=-1", utc(2026, 1, 5, 9), utc_tz, 3),
        vec![
            utc(2026, 1, 31, 9),
            utc(2026, 2, 28, 9),
            utc(2026, 3, 31, 9)
        ]
    );
    assert_eq!(
        first("monthly", utc(2026, 1, 31, 9), utc_tz, 4),
        vec![
            utc(2026, 1, 31, 9),
            utc(2026, 2, 28, 9),
            utc(2026, 3, 31, 9),
            utc(2026, 4, 30, 9)
        ]
    );
    // An explicit BYMONTHDAY=31 follows RFC 5545 and skips short months.
    assert_eq!(
        first("FREQ=MONTHLY;BYMONTHDAY=31", utc(2026, 1, 31, 9), utc_tz, 2),
        vec![utc(2026, 1, 31, 9), utc(2026, 3, 31, 9)]
    );
    // Yearly on 29 February: the 28th in other years.
    assert_eq!(
        first("yearly", utc(2028, 2, 29, 9), utc_tz, 2),
        vec![utc(2028, 2, 29, 9), utc(2029, 2, 28, 9)]
    );
    // COUNT and UNTIL end the series.
    assert_eq!(
        first("FREQ=DAILY;COUNT=2", utc(2026, 1, 1, 9), utc_tz, 5).len(),
        2
    );
    assert_eq!(
        first(
            "FREQ=DAILY;UNTIL=20260103T090000Z",
            utc(2026, 1, 1, 9),
            utc_tz,
            5
        )
        .len(),
        3
    );
}

#[test]
fn next_follows_the_due_date_or_the_completion() {
    let tz = Tz::UTC;
    let now = utc(2026, 1, 10, 12);
    let due = |d: DateTime<Utc>, occurrence| SeriesState {
        start: Some(d),
        due: Some(d),
        occurrence,
    };
    // From the due date: a daily task completed three days late is next due tomorrow.
    let next = rule("daily").next(RepeatFrom::Due, due(utc(2026, 1, 7, 9), 1), now, tz);
    assert_eq!(next.map(|n| n.due), Some(utc(2026, 1, 11, 9)));
    // From completion: every 3 days counts from the day it was done, at the due time of day.
    let next = rule("FREQ=DAILY;INTERVAL=3").next(
        RepeatFrom::Completion,
        due(utc(2026, 1, 7, 9), 1),
        now,
        tz,
    );
    assert_eq!(next.map(|n| n.due), Some(utc(2026, 1, 13, 9)));
    // COUNT ends both kinds of series.
    let ended = rule("FREQ=DAILY;COUNT=2");
    let second = SeriesState {
        start: Some(utc(2026, 1, 9, 9)),
        due: Some(utc(2026, 1, 10, 9)),
        occurrence: 2,
    };
    assert_eq!(
        ended.next(RepeatFrom::Due, second, utc(2026, 1, 10, 10), tz),
        None
    );
    assert_eq!(
        ended.next(RepeatFrom::Completion, second, utc(2026, 1, 10, 10), tz),
        None
    );
    assert!(ended
        .next(
            RepeatFrom::Completion,
            SeriesState {
                occurrence: 1,
                ..second
            },
            now,
            tz
        )
        .is_some());
    // A task without a due date repeats from now.
    let open = SeriesState {
        start: None,
        due: None,
        occurrence: 1,
    };
    assert_eq!(
        rule("weekly")
            .next(RepeatFrom::Due, open, now, tz)
            .map(|n| n.due),
        Some(utc(2026, 1, 17, 12))
    );
}

#[test]
fn time_zones_are_iana_names() {
    assert_eq!(parse_time_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
    assert!(parse_time_zone("Mars/Olympus")
        .unwrap_err()
        .contains("IANA"));
}
