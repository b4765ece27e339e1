//! Questions about reminders: "what reminders do I have today?", "any reminders this week?",
//! "reminders for tomorrow". (Setting them by talking is not understood yet.)

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::Intent;
use crate::text::Word;

/// Days a question looks at: `from` up to (not including) `to`, and how the answer names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub label: &'static str,
}

/// A question about reminders: it names them and says nothing but when.
pub(super) fn reminders(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
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
