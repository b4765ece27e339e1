//! Reminders: answering a question about them (the ones going off on the days asked about, at the
//! user's local times: the tool reads the dates as days of the user's zone), and setting or taking
//! them off a task.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use todo_domain::{Reminder, ReminderInput, LIST_REMINDERS, LIST_TASKS};

use super::act::{act, find_matches, locate, update, Action};
use super::add;
use super::wording::{clock_text, every_task, explain, tasks_of, when_text};
use super::Context;
use crate::history::{self, REMIND_WHEN};
use crate::parse::{Alarm, Changes, Days, Remind, ReminderChange, TaskRef};
use crate::Tools;

pub(super) async fn show(days: Days, tools: &mut impl Tools) -> String {
    let args = json!({"from": days.from.to_string(), "to": days.to.to_string()});
    let found = match tools.call(LIST_REMINDERS, args).await {
        Ok(v) => v,
        Err(e) => return explain(&e, "look up your reminders"),
    };
    let list = found["reminders"].as_array().cloned().unwrap_or_default();
    let one_day = days.to - days.from == chrono::Duration::days(1);
    let lines: Vec<String> = list.iter().map(|r| line(r, one_day)).collect();
    match lines.len() {
        0 => format!("You have no reminders {}.", days.label),
        n => format!(
            "You have {n} reminder{} {}:\n{}",
            if n == 1 { "" } else { "s" },
            days.label,
            lines.join("\n")
        ),
    }
}

/// "- 09:50 “Send the report”" (with the day, "Fri 4 Jun 09:50", over several days).
fn line(r: &Value, one_day: bool) -> String {
    let when = r["fire_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            let format = if one_day { "%H:%M" } else { "%a %-d %b %H:%M" };
            t.format(format).to_string()
        })
        .unwrap_or_default();
    let title = r["title"].as_str().unwrap_or("a task");
    let done = if r["done"] == true { " (done)" } else { "" };
    format!("- {when} “{title}”{done}")
}

/// "remind me about the report tomorrow at 9": the reminders for the task the words name, or, when
/// they name none and say when, that task added; "remind me tomorrow" with no task talked about
/// asks which.
pub(super) async fn remind(ctx: &Context<'_>, r: &Remind, tools: &mut impl Tools) -> String {
    if r.task == TaskRef::It && history::mentioned(ctx.history).is_empty() {
        return format!(
            "What should I remind you about{}? For example “remind me to call mom tomorrow at 9” or “remind me about the report 10 minutes before”.",
            match r.at.as_slice() {
                [one] => format!(" {}", said(*one, ctx.now)),
                _ => String::new(),
            }
        );
    }
    let changes = Changes {
        reminders: Some(ReminderChange::Add(r.at.clone())),
        ..Default::default()
    };
    let action = Action::Update(changes.clone());
    let (Some(draft), TaskRef::Words(query) | TaskRef::Title(query)) = (&r.or_add, &r.task) else {
        return act(ctx, action, &r.task, tools).await;
    };
    let all = match tools.call(LIST_TASKS, every_task()).await {
        Ok(v) => tasks_of(v),
        Err(e) => return explain(&e, "look up your tasks"),
    };
    let exact = matches!(r.task, TaskRef::Title(_));
    if find_matches(&all, query, exact, false).is_empty() {
        return add::add(ctx, std::slice::from_ref(draft), tools).await;
    }
    match locate(ctx, &r.task, &action, &all, tools).await {
        Ok((task, _)) => update(ctx, task.id, Some(&task), &changes, tools).await,
        Err(reply) => reply,
    }
}

/// What a task's `reminders` becomes for `change` when it `has` these (due `due` after the change),
/// and the new reminders in words (none when they are taken off); `Err` is the question to ask
/// instead: no time said, nothing to count back from, a time already past.
pub(super) fn change(
    ctx: &Context<'_>,
    name: &str,
    has: &[Reminder],
    due: Option<DateTime<Utc>>,
    change: &ReminderChange,
) -> Result<(Value, Vec<String>), String> {
    let new = match change {
        ReminderChange::Clear => return Ok((json!([]), Vec::new())),
        ReminderChange::Add(new) => new,
    };
    let ask = format!(
        "{REMIND_WHEN} {name}? For example “10 minutes before it's due” or “tomorrow at 9”."
    );
    if new.is_empty() {
        return Err(ask);
    }
    let mut words = Vec::new();
    for at in new {
        let fires = match (*at, due) {
            (Alarm::At(t), _) => Some(t),
            (Alarm::Before { .. }, None) => {
                return Err(format!("{name} has no due date to count back from. {ask}"))
            }
            (
                Alarm::Before {
                    ms,
                    on_day_at: None,
                },
                Some(due),
            ) => Some(due - Duration::milliseconds(ms)),
            // At a time of the user's zone, which only the server knows.
            (Alarm::Before { .. }, Some(_)) => None,
        };
        match fires {
            Some(t) if t <= ctx.now => {
                return Err(format!(
                    "That would be {}, which has already passed. {ask}",
                    when_text(t, ctx.now)
                ))
            }
            Some(t) if matches!(at, Alarm::Before { ms, .. } if *ms > 0) => words.push(format!(
                "{} ({})",
                said(*at, ctx.now),
                when_text(t, ctx.now)
            )),
            _ => words.push(said(*at, ctx.now)),
        }
    }
    let mut list: Vec<ReminderInput> = has.iter().map(|r| r.when.clone()).collect();
    for at in new {
        let input = ReminderInput::of(*at);
        if !list.contains(&input) {
            list.push(input);
        }
    }
    Ok((json!(list), words))
}

/// A reminder time in words: "10 minutes before it's due", "the day before at 9am", "tomorrow at 9am".
pub(super) fn said(at: Alarm, now: DateTime<Utc>) -> String {
    match at {
        Alarm::At(t) => when_text(t, now),
        Alarm::Before {
            ms: 0,
            on_day_at: None,
        } => "when it's due".into(),
        Alarm::Before {
            ms,
            on_day_at: None,
        } => format!("{} before it's due", span(ms)),
        Alarm::Before {
            ms,
            on_day_at: Some(t),
        } => {
            let days = if ms == DAY_MS {
                "the day".to_owned()
            } else {
                span(ms)
            };
            format!("{days} before at {}", clock_text(t))
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// "10 minutes", "1 hour", "1 hour 30 minutes", "2 days", "1 week".
fn span(ms: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let minutes = ms / 60_000;
    if ms % (7 * DAY_MS) == 0 {
        plural(ms / (7 * DAY_MS), "week")
    } else if ms % DAY_MS == 0 {
        plural(ms / DAY_MS, "day")
    } else if minutes % 60 == 0 {
        plural(minutes / 60, "hour")
    } else if minutes < 60 {
        plural(minutes, "minute")
    } else {
        format!(
            "{} {}",
            plural(minutes / 60, "hour"),
            plural(minutes % 60, "minute")
        )
    }
}
