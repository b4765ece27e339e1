//! Placeholder until the built-in assistant lands from its branch.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::turn::{Turn, TurnTools};

pub async fn reply(
    _history: &[Turn],
    message: &str,
    tools: &mut TurnTools<'_>,
    _now: DateTime<Utc>,
) -> String {
    let lower = message.to_lowercase();
    let text = if let Some(title) = lower.strip_prefix("add a task to ") {
        match tools.call("add_task", json!({"title": title})).await {
            Ok(v) => format!("Added '{}'.", v["title"].as_str().unwrap_or_default()),
            Err(e) => format!("Sorry: {e}"),
        }
    } else {
        "I can add tasks.".to_owned()
    };
    tools.say(&text);
    text
}
