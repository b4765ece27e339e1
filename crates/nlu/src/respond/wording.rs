//! Wording: tasks, dates and tool refusals as the sentences of an answer.

use chrono::{DateTime, Duration, NaiveTime, SecondsFormat, Timelike, Utc};
use serde_json::{json, Value};
use todo_domain::{Priority, Recurrence, Status, Task};

use crate::ToolFailure;

pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// "'Buy milk' (task 3) is done." / "'Pay rent' (task 4) is still to do: due tomorrow."
pub(super) fn task_state(t: &Task, now: DateTime<Utc>) -> String {
    let mut details = details(t, now);
    // Said outright, as "when is it due?" asks exactly this.
    if t.due_at.is_none() && !t.completed {
        details.push("no due date".into());
    }
    let mut s = if t.completed {
        format!("'{}' (task {}) is done ✓.", t.title, t.id)
    } else {
        format!(
            "'{}' (task {}) is still to do: {}.",
            t.title,
            t.id,
            details.join(", ")
        )
    };
    if let Some(d) = &t.description {
        s.push_str(&format!("\nDescription: {d}"));
    }
    let ahead: Vec<String> = t
        .reminders
        .iter()
        .filter(|r| !r.done)
        .filter_map(|r| r.fire_at)
        .map(|at| when_text(at, now))
        .collect();
    if !ahead.is_empty() {
        s.push_str(&format!("\nReminders: {}", and_list(&ahead)));
    }
    s
}

fn details(t: &Task, now: DateTime<Utc>) -> Vec<String> {
    let mut details = Vec::new();
    if t.priority != Priority::Medium {
        details.push(format!("{} priority", priority_name(t.priority)));
    }
    if let Some(at) = t.due_at {
        if !t.completed && at < now {
            details.push(format!("overdue, was due {}", when_text(at, now)));
        } else {
            details.push(format!("due {}", when_text(at, now)));
        }
    }
    if let Some(r) = &t.recurrence {
        details.push(format!("repeats {}", rule_text(r)));
    }
    if t.subtask_count > 0 {
        details.push(format!(
            "{}/{} subtasks done",
            t.subtasks_done, t.subtask_count
        ));
    }
    if !t.tags.is_empty() {
        details.push(hashtags(&t.tags));
    }
    details
}

pub(super) fn task_line(t: &Task, now: DateTime<Utc>) -> String {
    let details = details(t, now);
    format!(
        "- #{} {}{}{}",
        t.id,
        if t.completed { "✓ " } else { "" },
        t.title,
        if details.is_empty() {
            String::new()
        } else {
            format!(" ({})", details.join(", "))
        }
    )
}

/// A rule in words: its shorthand ("weekly"), else its description ("every other week on Mon").
pub(super) fn rule_text(r: &Recurrence) -> String {
    match r.shorthand() {
        Some(s) => s.to_owned(),
        None => {
            let d = r.describe();
            let mut chars = d.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
        }
    }
}

/// `list_tasks`' arguments for looking a task up by name: every task, subtasks too ("tick off
/// check the figures" names one).
pub(super) fn every_task() -> Value {
    json!({"status": "all", "limit": 200, "include_subtasks": true})
}

pub(super) fn tasks_of(v: Value) -> Vec<Task> {
    serde_json::from_value(v).unwrap_or_default()
}

pub(super) fn status_name(s: Status) -> &'static str {
    match s {
        Status::All => "all",
        Status::Pending => "pending",
        Status::Completed => "completed",
    }
}

pub(super) fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
    }
}

pub(super) fn hashtags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "'Buy milk' (task 3)" from a tool's `{task_id, title}` answer.
pub(super) fn named(v: &Value, id: i64) -> String {
    match v["title"].as_str() {
        Some(t) => format!("'{t}' (task {id})"),
        None => format!("task {id}"),
    }
}

/// "a", "a and b", "a, b and c".
pub(super) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// "today", "tomorrow at 5pm", "on Friday", "on Dec 24", "on Dec 24, 2027".
pub(super) fn when_text(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (day, today) = (at.date_naive(), now.date_naive());
    let date = if day == today {
        "today".to_owned()
    } else if day == today + Duration::days(1) {
        "tomorrow".to_owned()
    } else if day == today - Duration::days(1) {
        "yesterday".to_owned()
    } else if day > today && day < today + Duration::days(7) {
        format!("on {}", day.format("%A"))
    } else if day.format("%Y").to_string() == today.format("%Y").to_string() {
        format!("on {}", day.format("%a, %b %-d"))
    } else {
        format!("on {}", day.format("%b %-d, %Y"))
    };
    if at.time() == chrono::NaiveTime::MIN {
        return date;
    }
    format!("{date} at {}", clock_text(at.time()))
}

/// "5pm", "9:30am".
pub(super) fn clock_text(t: NaiveTime) -> String {
    let (pm, h) = t.hour12();
    let half = if pm { "pm" } else { "am" };
    if t.minute() == 0 {
        format!("{h}{half}")
    } else {
        format!("{h}:{:02}{half}", t.minute())
    }
}

pub(super) fn not_found_id(id: i64) -> String {
    format!("I couldn't find task {id}. Say “show my tasks” to see your tasks and their numbers.")
}

pub(super) fn explain_for(e: &ToolFailure, id: i64, doing: &str) -> String {
    match e {
        ToolFailure::NotFound(_) => not_found_id(id),
        other => explain(other, doing),
    }
}

/// A tool's refusal as a sentence: "I couldn't add “…”: the title must be at most 200 characters."
pub(super) fn explain(e: &ToolFailure, doing: &str) -> String {
    match e {
        ToolFailure::NotFound(id) => not_found_id(*id),
        ToolFailure::Invalid(msg) => {
            // "invalid input (title: must be …; due_at: …)" -> "the title must be …".
            let inner = msg
                .strip_prefix("invalid input (")
                .and_then(|m| m.strip_suffix(')'))
                .unwrap_or(msg);
            let reasons: Vec<String> = inner
                .split("; ")
                .map(|part| match part.split_once(": ") {
                    Some((field, why)) => format!("the {} {why}", field.replace('_', " ")),
                    None => part.to_owned(),
                })
                .collect();
            format!("I couldn't {doing}: {}.", reasons.join("; "))
        }
        ToolFailure::Unreachable => {
            "Your tasks can't be reached right now; please try again in a moment.".into()
        }
        ToolFailure::Other(why) => format!("I couldn't {doing}: {why}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn when_in_words() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        assert_eq!(when_text(at(11, 27, 0), now), "tomorrow");
        assert_eq!(when_text(at(11, 27, 17), now), "tomorrow at 5pm");
        assert_eq!(when_text(at(11, 30, 0), now), "on Monday");
        assert_eq!(when_text(at(12, 24, 9), now), "on Thu, Dec 24 at 9am");
    }

    #[test]
    fn refusals_in_words() {
        let e = ToolFailure::Invalid(
            "invalid input (title: must be at most 200 characters (got 300))".into(),
        );
        assert_eq!(
            explain(&e, "add it"),
            "I couldn't add it: the title must be at most 200 characters (got 300)."
        );
    }
}
