//! The calendar feed: a user's tasks with due dates as an iCalendar (RFC 5545) document, as VTODOs or,
//! for calendar apps that ignore those, as VEVENTs. Components, escaping and line folding come from the
//! `icalendar` crate; the VTIMEZONE its components refer to is derived from the time-zone database here,
//! as that crate has no builder for one.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{
    Alarm, CalendarDateTime, Component, EventLike, EventStatus, Property, Todo, TodoStatus, Trigger,
};
use serde::{Deserialize, Serialize};
use todo_domain::{Priority, RepeatFrom, Task};
use utoipa::ToSchema;

/// A new feed link (`POST /api/{user_id}/calendar-token`). It is shown this once: only its hash is kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarLink {
    #[schema(
        example = "https://todo.example.com/calendar/3q2-7wAAbYk0JcQmWq1bXo4y6LcP9bdT2f0sZr8gE1k.ics"
    )]
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// Whether the user has a feed link, and since when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarLinkStatus {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// Which components the feed is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// VTODO: due dates, done state and priority, as task-aware apps (Thunderbird, Apple Reminders) read them.
    Todos,
    /// VEVENT at each due time, for apps that show only events; done tasks are left out.
    Events,
}

/// What a feed is made from.
pub struct Feed<'a> {
    pub kind: FeedKind,
    /// The user's tasks with due dates (others are skipped).
    pub tasks: &'a [Task],
    /// List names by id, for CATEGORIES.
    pub lists: &'a HashMap<i64, String>,
    /// The user's time zone: DTSTART, DUE and the recurrence rules are in it.
    pub tz: Tz,
    /// The right-hand side of each UID (`task-42@example.com`): the host the feed is served from.
    pub uid_domain: &'a str,
    /// When the feed is made: it bounds the stretch of years the VTIMEZONE spells out.
    pub now: DateTime<Utc>,
}

const PRODID: &str = "-//todo//Calendar feed//EN";
/// How often calendar apps are asked to fetch the feed again (RFC 7986 and the widespread X- name).
const REFRESH: &str = "PT1H";
/// Years around now, at most, whose time-zone changes the VTIMEZONE lists one by one; outside them the
/// yearly rules (or the last offset) go on, as every client reads a VTIMEZONE.
const ZONE_YEARS: i32 = 10;

impl Feed<'_> {
    /// The feed as an `.ics` document (CRLF line ends, folded at 75 octets).
    pub fn render(&self) -> String {
        let dated: Vec<&Task> = self
            .tasks
            .iter()
            .filter(|t| t.due_at.is_some())
            .filter(|t| self.kind == FeedKind::Todos || !t.completed)
            .collect();
        let mut out = String::from("BEGIN:VCALENDAR\r\n");
        let header = [
            Property::new("VERSION", "2.0"),
            Property::new("PRODID", PRODID),
            Property::new("CALSCALE", "GREGORIAN"),
            Property::new("X-WR-CALNAME", "Tasks"),
            Property::new("X-WR-TIMEZONE", self.tz.name()),
            Property::new("REFRESH-INTERVAL", REFRESH)
                .add_parameter("VALUE", "DURATION")
                .done(),
            Property::new("X-PUBLISHED-TTL", REFRESH),
        ];
        for p in header {
            out.push_str(&line(p));
        }
        let years = dated
            .iter()
            .filter_map(|t| t.due_at)
            .map(|d| d.with_timezone(&self.tz).year());
        let this_year = self.now.year();
        let first = years.clone().min().unwrap_or(this_year);
        let last = years.max().unwrap_or(this_year);
        let first = first.clamp(this_year - ZONE_YEARS, this_year);
        let last = last.clamp(this_year, this_year + ZONE_YEARS);
        // The year before the first due date: the observance in force on it began then.
        out.push_str(&vtimezone(self.tz, first - 1, last + 1));
        for task in dated {
            out.push_str(&self.component(task));
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }

    fn uid(&self, id: i64) -> String {
        format!("task-{id}@{}", self.uid_domain)
    }

    /// One task as a VTODO or VEVENT.
    fn component(&self, task: &Task) -> String {
        let due = task.due_at.expect("dated tasks only");
        let local = CalendarDateTime::WithTimezone {
            date_time: local_time(due, self.tz),
            tzid: self.tz.name().to_owned(),
        };
        match self.kind {
            FeedKind::Todos => {
                let mut todo = Todo::new();
                todo.due(local.clone());
                if task.completed {
                    // A done task's last change is, but for later edits, when it was done.
                    todo.status(TodoStatus::Completed)
                        .completed(task.updated_at)
                        .percent_complete(100);
                } else {
                    todo.status(TodoStatus::NeedsAction);
                }
                self.fill(&mut todo, task, local);
                todo.to_string()
            }
            FeedKind::Events => {
                let mut event = icalendar::Event::new();
                // A due time is not a meeting: it leaves the user free.
                event
                    .status(EventStatus::Confirmed)
                    .add_property("TRANSP", "TRANSPARENT");
                self.fill(&mut event, task, local);
                event.to_string()
            }
        }
    }

    /// What VTODO and VEVENT share.
    fn fill<C: EventLike>(&self, c: &mut C, task: &Task, start: CalendarDateTime) {
        let due = task.due_at.expect("dated tasks only");
        c.uid(&self.uid(task.id))
            // Without METHOD, DTSTAMP is when the task last changed (RFC 5545 3.8.7.2), which also
            // keeps an unchanged feed byte for byte the same, and so its ETag.
            .timestamp(task.updated_at)
            .created(task.created_at)
            .last_modified(task.updated_at)
            .summary(&task.title)
            .priority(priority(task.priority))
            .starts(start);
        if let Some(d) = &task.description {
            // TEXT escapes line feeds only; a CR left in would break the content line.
            c.description(&d.replace("\r\n", "\n").replace('\r', "\n"));
        }
        let list = self.lists.get(&task.list_id);
        let categories: Vec<&str> = list
            .map(String::as_str)
            .into_iter()
            .chain(task.tags.iter().map(String::as_str))
            .collect();
        if !categories.is_empty() {
            c.categories(categories);
        }
        if let Some(parent) = task.parent_id {
            c.add_property("RELATED-TO", self.uid(parent));
        }
        let rule = self.rule(task);
        // A done task alarms nobody.
        let reminders = task.reminders.iter().filter(|_| !task.completed);
        for (at, r) in reminders.filter_map(|r| Some((r.fire_at?, r))) {
            // A series' alarms, and "30 minutes before", move with each due time: a duration from
            // DTSTART (the due time). The rest go off at one instant.
            let relative = rule.is_some() || (r.when.before.is_some() && r.when.time.is_none());
            let trigger = if relative {
                Trigger::Duration(at - due, None)
            } else {
                Trigger::from(at)
            };
            c.alarm(Alarm::display(&task.title, trigger));
        }
        if let Some(rule) = rule {
            c.add_property("RRULE", rule);
        }
    }

    /// The RRULE of an open task's series from this task on. A series repeating from completion has no
    /// dates to list before each completion, so it shows its current task alone.
    fn rule(&self, task: &Task) -> Option<String> {
        let due = task.due_at?;
        let recurrence = task.recurrence.as_ref().filter(|_| !task.completed)?;
        if task.repeat_from == RepeatFrom::Completion {
            return None;
        }
        recurrence.rule_from(task.series_start.unwrap_or(due), due, self.tz)
    }
}

/// RFC 5545 PRIORITY: 1–4 high, 5 medium, 6–9 low.
fn priority(p: Priority) -> u32 {
    match p {
        Priority::High => 1,
        Priority::Medium => 5,
        Priority::Low => 9,
    }
}

/// `at` as the wall-clock time in `tz`, to whole seconds (the feed's resolution).
fn local_time(at: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    let local = at.with_timezone(&tz).naive_local();
    local - Duration::nanoseconds(local.and_utc().timestamp_subsec_nanos().into())
}

/// One content line, folded, with its CRLF.
fn line(p: Property) -> String {
    p.try_into().unwrap_or_default()
}

/// The zone's state in force at an instant: what a VTIMEZONE observance states.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offsets {
    /// Seconds east of UTC.
    utc: i32,
    daylight: bool,
    name: String,
}

fn offsets_at(tz: Tz, at: DateTime<Utc>) -> Offsets {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    Offsets {
        utc: offset.fix().local_minus_utc(),
        daylight: !offset.dst_offset().is_zero(),
        name: offset.abbreviation().unwrap_or(tz.name()).to_owned(),
    }
}

/// A change of offset: the instant and the state before and after.
struct Transition {
    at: DateTime<Utc>,
    from: Offsets,
    to: Offsets,
}

impl Transition {
    /// The onset as the local time before it, as an observance's DTSTART is written.
    fn local_start(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(self.from.utc.into())
    }

    /// The BYDAY forms that name this onset's weekday in its month: the nth from the start and, when it
    /// is the month's last such weekday, `-1`.
    fn weekday_rules(&self) -> Vec<i8> {
        let d = self.local_start().date();
        let nth = ((d.day() - 1) / 7 + 1) as i8;
        let last = d + Duration::days(7);
        if last.month() != d.month() {
            vec![nth, -1]
        } else {
            vec![nth]
        }
    }

    /// What two onsets in successive years must share to be one yearly rule.
    fn same_rule(&self, other: &Transition) -> bool {
        let (a, b) = (self.local_start(), other.local_start());
        self.from == other.from
            && self.to == other.to
            && a.month() == b.month()
            && a.weekday() == b.weekday()
            && a.time() == b.time()
    }
}

/// The offset changes of `tz` from the start of `first` to the end of `last`. Found by looking day by
/// day and narrowing to the second: the time-zone database does not list its transitions.
fn transitions(tz: Tz, first: i32, last: i32) -> Vec<Transition> {
    let day_start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let (Some(mut day), Some(end)) = (
        NaiveDate::from_ymd_opt(first, 1, 1),
        NaiveDate::from_ymd_opt(last + 1, 1, 1),
    ) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut state = offsets_at(tz, day_start(day));
    while day < end {
        let next = day + Duration::days(1);
        let after = offsets_at(tz, day_start(next));
        if after != state {
            // The first second in (day, next] at which the state differs.
            let (mut lo, mut hi) = (day_start(day), day_start(next));
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offsets_at(tz, mid) == state {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            found.push(Transition {
                at: hi,
                from: state,
                to: offsets_at(tz, hi),
            });
            // Two changes within one day (no zone has them now) would count as one.
            state = after;
        }
        day = next;
    }
    found
}

/// `+0100`, `-0330`, `+054500` (seconds only where the zone has them).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// The VTIMEZONE of `tz` for the years `first` to `last`: each run of yearly changes on the same
/// weekday rule (the last Sunday of March, the second Sunday of March…) as one observance with a
/// yearly RRULE, open-ended when it runs to `last`; any other change as an observance of its own.
fn vtimezone(tz: Tz, first: i32, last: i32) -> String {
    let found = transitions(tz, first, last);
    let mut out = String::from("BEGIN:VTIMEZONE\r\n");
    out.push_str(&line(Property::new("TZID", tz.name())));
    if found.is_empty() {
        // A zone without changes in these years: one observance from long before.
        let o = offsets_at(
            tz,
            Utc.with_ymd_and_hms(first, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        );
        let start = NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        out.push_str(&observance(&o, o.utc, start, None));
        out.push_str("END:VTIMEZONE\r\n");
        return out;
    }
    // Runs of successive years, each with the BYDAY forms all its onsets share.
    let mut runs: Vec<(Vec<&Transition>, Vec<i8>)> = Vec::new();
    for t in &found {
        let year = t.local_start().year();
        let rules = t.weekday_rules();
        let run = runs.iter_mut().find(|(members, shared)| {
            let prev = members.last().expect("runs are never empty");
            prev.local_start().year() + 1 == year
                && prev.same_rule(t)
                && shared.iter().any(|r| rules.contains(r))
        });
        match run {
            Some((members, shared)) => {
                shared.retain(|r| rules.contains(r));
                members.push(t);
            }
            None => runs.push((vec![t], rules)),
        }
    }
    for (members, shared) in runs {
        let head = members[0];
        let rule = (members.len() > 1).then(|| {
            let tail = members[members.len() - 1];
            let start = head.local_start();
            // Prefer "last" to an nth that only happens to agree over the years seen.
            let n = if shared.contains(&-1) { -1 } else { shared[0] };
            let mut rule = format!(
                "FREQ=YEARLY;BYMONTH={};BYDAY={n}{}",
                start.month(),
                WEEKDAYS[start.weekday().num_days_from_monday() as usize]
            );
            // A run still going in the last year looked at goes on; an ended one stops at its last onset.
            if tail.local_start().year() < last {
                rule.push_str(&format!(";UNTIL={}", tail.at.format("%Y%m%dT%H%M%SZ")));
            }
            rule
        });
        out.push_str(&observance(
            &head.to,
            head.from.utc,
            head.local_start(),
            rule,
        ));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// A STANDARD or DAYLIGHT observance starting at `start` (local time before it) with offset `from`.
fn observance(to: &Offsets, from: i32, start: NaiveDateTime, rule: Option<String>) -> String {
    let kind = if to.daylight { "DAYLIGHT" } else { "STANDARD" };
    let mut out = format!("BEGIN:{kind}\r\n");
    let mut lines = vec![
        Property::new("DTSTART", start.format("%Y%m%dT%H%M%S").to_string()),
        Property::new("TZOFFSETFROM", utc_offset(from)),
        Property::new("TZOFFSETTO", utc_offset(to.utc)),
        Property::new("TZNAME", to.name.as_str()),
    ];
    if let Some(rule) = rule {
        lines.push(Property::new("RRULE", rule));
    }
    for p in lines {
        out.push_str(&line(p));
    }
    out.push_str(&format!("END:{kind}\r\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use todo_domain::Recurrence;

    fn task(id: i64, due: &str) -> Task {
        let at = DateTime::parse_from_rfc3339(due)
            .unwrap()
            .with_timezone(&Utc);
        Task {
            id,
            user_id: "u".into(),
            title: "Pay rent; call Ann, then Bob".into(),
            description: Some("line one\r\nline two, with \\ and ;".into()),
            completed: false,
            priority: Priority::High,
            tags: vec!["home".into()],
            due_at: Some(at),
            recurrence: None,
            repeat_from: RepeatFrom::Due,
            list_id: 1,
            parent_id: None,
            subtask_count: 0,
            subtasks_done: 0,
            created_at: at,
            updated_at: at,
            series_start: None,
            spawned_next: false,
            occurrence: 1,
            reminders: Vec::new(),
        }
    }

    fn render(tasks: &[Task], tz: Tz, kind: FeedKind) -> String {
        let lists = HashMap::from([(1, "Errands, home".to_owned())]);
        Feed {
            kind,
            tasks,
            lists: &lists,
            tz,
            uid_domain: "example.com",
            now: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        }
        .render()
    }

    /// The lines of `ics` unfolded (RFC 5545 3.1).
    fn unfolded(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn zones_with_yearly_rules_get_one_observance_each() {
        let berlin = vtimezone(chrono_tz::Europe::Berlin, 2025, 2028);
        let lines = unfolded(&berlin);
        let rules: Vec<&String> = lines.iter().filter(|l| l.starts_with("RRULE")).collect();
        assert_eq!(
            rules,
            [
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"
            ]
        );
        assert!(
            lines.contains(&"DTSTART:20250330T020000".to_owned()),
            "{berlin}"
        );
        assert!(
            lines.contains(&"DTSTART:20251026T030000".to_owned()),
            "{berlin}"
        );
        let ny = unfolded(&vtimezone(chrono_tz::America::New_York, 2025, 2028));
        assert!(ny.contains(&"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU".to_owned()));
        assert!(ny.contains(&"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU".to_owned()));
        let tokyo = unfolded(&vtimezone(chrono_tz::Asia::Tokyo, 2025, 2028));
        assert!(tokyo.contains(&"TZOFFSETTO:+0900".to_owned()), "{tokyo:?}");
        assert!(!tokyo.iter().any(|l| l.starts_with("RRULE")));
    }

    #[test]
    fn text_is_escaped_and_lines_folded() {
        let mut t = task(7, "2027-01-04T08:00:00Z");
        t.title = "ü".repeat(60);
        let ics = render(&[t], chrono_tz::Europe::Berlin, FeedKind::Todos);
        assert!(ics.lines().all(|l| l.len() <= 76), "{ics}");
        assert!(
            !ics.replace("\r\n", "").contains('\r'),
            "a bare CR: {ics:?}"
        );
        let lines = unfolded(&ics);
        assert!(
            lines.contains(&r"DESCRIPTION:line one\nline two\, with \\ and \;".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&r"CATEGORIES:Errands\, home,home".to_owned()),
            "{lines:?}"
        );
        assert!(lines.contains(&"DUE;TZID=Europe/Berlin:20270104T090000".to_owned()));
        assert!(lines.contains(&"UID:task-7@example.com".to_owned()));
        assert!(lines.contains(&"PRIORITY:1".to_owned()));
    }

    #[test]
    fn recurring_open_tasks_carry_their_rule_and_done_ones_do_not() {
        let mut open = task(1, "2027-01-31T08:00:00Z");
        open.recurrence = Some(Recurrence::MONTHLY);
        let mut done = open.clone();
        done.id = 2;
        done.completed = true;
        let ics = render(&[open, done], chrono_tz::Europe::Berlin, FeedKind::Todos);
        let lines = unfolded(&ics);
        let rules: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("RRULE:FREQ=MONTHLY"))
            .collect();
        assert_eq!(
            rules,
            ["RRULE:FREQ=MONTHLY;BYSETPOS=1;BYMONTHDAY=31,-1"],
            "{ics}"
        );
        assert!(lines.contains(&"STATUS:COMPLETED".to_owned()));
        let events = render(
            &[task(3, "2027-01-04T08:00:00Z")],
            chrono_tz::UTC,
            FeedKind::Events,
        );
        assert!(
            events.contains("BEGIN:VEVENT") && !events.contains("VTODO"),
            "{events}"
        );
    }
}
