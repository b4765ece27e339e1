//! Answering a question about reminders: the ones going off on the days asked about, at the user's
//! local times (the tool reads the dates as days of the user's time zone).

use chrono::DateTime;
use serde_json::{json, Value};
use todo_domain::LIST_REMINDERS;

use super::wording::explain;
use crate::parse::Days;
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
