//! Reminders: questions ("what reminders do I have today?"), setting them ("remind me 10 minutes
//! before", "remind me about the report tomorrow at 9", "set a reminder for task 3 at 5pm") and
//! taking them off ("no reminders for that", "don't remind me about the report"). A reminder
//! inside an add or a change ("add the dentist friday 3pm and remind me an hour before") is an
//! attribute, read in `attrs`; "remind me to call mom at 5" adds a task, in `add`.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::attrs::{attributes, tidy_title};
use super::refs::{explicit_ref_len, task_ref};
use super::reminder_time::reminder_times;
use super::social::strip_politeness;
use super::{Alarm, Changes, Draft, Intent, Remind, ReminderChange, TaskRef};
use crate::dates::When;
use crate::text::{prefix, words, Word};

/// Days a question looks at: `from` up to (not including) `to`, and how the answer names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub label: &'static str,
}

pub(super) fn reminders(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    question(ws, now)
        .or_else(|| remind_me(ws, now))
        .or_else(|| set_reminder(ws, now))
}

/// A message that is only a reminder time ("10 minutes before", "tomorrow at 9, please"): the
/// answer to "When should I remind you about …?".
pub fn reminder_answer(text: &str, now: DateTime<Utc>) -> Option<Vec<Alarm>> {
    let ws = strip_politeness(&words(text));
    let lead = prefix(
        &ws,
        "remind me|make it|maybe|how about|lets say|say|oh|ok|okay",
    )
    .unwrap_or(0);
    let ws = &ws[lead..];
    reminder_times(ws, now)
        .filter(|(len, _)| *len == ws.len())
        .map(|(_, at)| at)
}

/// A question about reminders: it names them and says nothing but when.
fn question(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    if !ws.iter().any(|w| w.is_in("reminder reminders")) {
        return None;
    }
    let asks = ws.iter().all(|w| {
        w.is_in(
            "what which show list any do i have are there my me the got get for today tomorrow \
             this week next coming upcoming reminders reminder set is planned",
        )
    });
    if !asks {
        return None;
    }
    let today = now.date_naive();
    let has = |word: &str| ws.iter().any(|w| w.is(word));
    let days = if has("today") {
        Days {
            from: today,
            to: today + Duration::days(1),
            label: "today",
        }
    } else if has("tomorrow") {
        Days {
            from: today + Duration::days(1),
            to: today + Duration::days(2),
            label: "tomorrow",
        }
    } else {
        Days {
            from: today,
            to: today + Duration::days(7),
            label: "in the next 7 days",
        }
    };
    Some(Intent::Reminders(days))
}

/// "no reminders for that", "remove the reminders from task 3", "turn off reminders for the
/// report", "don't remind me about the dentist", "stop reminding me". Read before follow-ups, where
/// "no …" would be a correction.
pub(super) fn clear_reminders(ws: &[Word]) -> Option<Intent> {
    let lead = prefix(
        ws,
        "dont remind me|do not remind me|stop reminding me|no need to remind me|\
        you dont need to remind me|no more reminders|no reminders|no reminder|\
        turn off|switch off|remove|delete|clear|cancel|drop|disable|mute|silence|turn|switch",
    )?;
    let mut k = lead;
    let said_reminder = ws[..lead]
        .iter()
        .any(|w| w.is_in("remind reminding reminder reminders"));
    if !said_reminder {
        // "remove the reminders from …", "turn the reminder off for …".
        while ws
            .get(k)
            .is_some_and(|w| w.is_in("the all my its any every those these that"))
        {
            k += 1;
        }
        if !ws
            .get(k)
            .is_some_and(|w| w.is_in("reminder reminders alarm alarms"))
        {
            return None;
        }
        k += 1;
        if lead == 1 && ws[0].is_in("turn switch") {
            if !ws.get(k).is_some_and(|w| w.is("off")) {
                return None;
            }
            k += 1;
        }
    }
    let target = &ws[k..];
    let target = match target.first() {
        Some(w) if w.is_in("for on from of about in to with") => &target[1..],
        _ => target,
    };
    let task = if target.is_empty() {
        TaskRef::It
    } else {
        task_ref(target)
    };
    let changes = Changes {
        reminders: Some(ReminderChange::Clear),
        ..Default::default()
    };
    Some(Intent::Update(task, changes))
}

/// "remind me 10 minutes before", "remind me tomorrow at 9 about the report", "remind me about the
/// report", "remind me 10 minutes before the dentist". "remind me to …" / "remind me that …" add a
/// task, as does a time followed by "to …" ("remind me tomorrow to call mom").
fn remind_me(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(ws, "remind me|ping me|nudge me|alert me|notify me")?;
    let rest = &ws[k..];
    let Some(first) = rest.first() else {
        return Some(Intent::Incomplete("remind"));
    };
    if first.is_in("to that") {
        return None;
    }
    if first.is_in("about of") {
        return Some(about(&rest[1..], now));
    }
    let (len, at) = reminder_times(rest, now)?;
    let tail = &rest[len..];
    match tail.first() {
        None => Some(remind(TaskRef::It, at, None)),
        Some(w) if w.is_in("to that") => None,
        Some(w) if w.is_in("about of for on") => Some(named(&tail[1..], at, now)),
        // "remind me 10 minutes before the dentist".
        Some(_) => Some(named(tail, at, now)),
    }
}

/// "remind me about the report [tomorrow at 9]": the time, when given, ends the message.
fn about(body: &[Word], now: DateTime<Utc>) -> Intent {
    let split = (1..body.len())
        .find(|&j| reminder_times(&body[j..], now).is_some_and(|(len, _)| len == body.len() - j));
    match split {
        Some(j) => {
            let at = reminder_times(&body[j..], now).map_or_else(Vec::new, |(_, at)| at);
            named(&body[..j], at, now)
        }
        None => named(body, Vec::new(), now),
    }
}

/// Reminders `at` for the task `what` names; a new task when it names none and the times say when.
fn named(what: &[Word], at: Vec<Alarm>, now: DateTime<Utc>) -> Intent {
    if what.is_empty() {
        return remind(TaskRef::It, at, None);
    }
    let task = task_ref(what);
    let or_add = match task {
        TaskRef::Words(_) | TaskRef::Title(_) => new_task(what, &at, now),
        _ => None,
    };
    remind(task, at, or_add)
}

fn remind(task: TaskRef, at: Vec<Alarm>, or_add: Option<Draft>) -> Intent {
    Intent::Remind(Remind { task, at, or_add })
}

/// "the dentist appointment" reminded "tomorrow at 9" as a new task: due then, reminded when due.
/// Only a reminder at a time gives it a due time.
fn new_task(what: &[Word], at: &[Alarm], now: DateTime<Utc>) -> Option<Draft> {
    let due = match at {
        [Alarm::At(t)] => When {
            at: *t,
            timed: true,
        },
        [] => return Some(draft(what, None, Vec::new(), now)).filter(|d| !d.title.is_empty()),
        _ => return None,
    };
    let at_due = vec![Alarm::Before {
        ms: 0,
        on_day_at: None,
    }];
    Some(draft(what, Some(due), at_due, now)).filter(|d| !d.title.is_empty())
}

fn draft(what: &[Word], due: Option<When>, reminders: Vec<Alarm>, now: DateTime<Utc>) -> Draft {
    let what = match what.first() {
        Some(w) if w.is_in("the my a an") && what.len() > 1 => &what[1..],
        _ => what,
    };
    let (a, rest) = attributes(what, now);
    let d = a.into_draft(tidy_title(&rest));
    Draft {
        due: due.or(d.due),
        reminders,
        ..d
    }
}

/// "set a reminder for task 3 at 5pm", "add a reminder to the report for tomorrow at 9", "set a
/// reminder 10 minutes before the dentist", "put a reminder on it". "add a reminder to renew the
/// passport" stays a task to add: after "to", only a task already named ("the report", "task 3",
/// "it") is reminded about.
fn set_reminder(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(
        ws,
        "set a reminder|add a reminder|create a reminder|put a reminder|make a reminder|\
        schedule a reminder|set reminder|add reminder|set up a reminder|set an alarm|\
        set reminders|add reminders",
    )?;
    let rest = &ws[k..];
    let Some(first) = rest.first() else {
        return Some(Intent::Incomplete("remind"));
    };
    if let Some((len, at)) = reminder_times(rest, now) {
        let tail = &rest[len..];
        return match tail.first() {
            None => Some(remind(TaskRef::It, at, None)),
            Some(w) if w.is_in("to that") => None,
            Some(w) if w.is_in("for on about of") => Some(named(&tail[1..], at, now)),
            Some(_) => Some(named(tail, at, now)),
        };
    }
    if !first.is_in("for on about of to") {
        return None;
    }
    let body = &rest[1..];
    let pointed = explicit_ref_len(body).is_some()
        || body
            .first()
            .is_some_and(|w| w.quoted || w.is_in("the it that this"));
    if first.is("to") && !pointed {
        return None;
    }
    Some(about(body, now))
}
