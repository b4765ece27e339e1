//! The user's wall clock. Everything inside the assistant reads and says times as the user's local
//! time ("tomorrow at 5pm" is 5pm where they are), kept in `DateTime<Utc>` values that stand for
//! local wall-clock times; the tools speak real instants. [`Zoned`] converts at that border, both
//! ways, so the rules and the wording never meet a time zone.
//!
//! A due time at midnight UTC is a date without a time everywhere in the product, so it crosses
//! unchanged: "due friday" stays the date Friday whatever the zone.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use todo_domain::{local_instant, Task, Tz};

use crate::{ToolFailure, Tools};

/// The tools as the assistant's rules see them: times in, times out, on the user's wall clock.
pub(crate) struct Zoned<'t, T> {
    inner: &'t mut T,
    tz: Tz,
}

impl<'t, T> Zoned<'t, T> {
    pub(crate) fn new(inner: &'t mut T, tz: Tz) -> Self {
        Zoned { inner, tz }
    }
}

impl<T: Tools + Send> Tools for Zoned<'_, T> {
    async fn call(&mut self, name: &str, mut arguments: Value) -> Result<Value, ToolFailure> {
        outgoing(&mut arguments, self.tz);
        let mut result = self.inner.call(name, arguments).await?;
        incoming(&mut result, self.tz);
        Ok(result)
    }

    async fn peek(&mut self, id: i64) -> Option<Task> {
        let task = self.inner.peek(id).await?;
        // Through JSON, so a task read here and one a tool returns are converted alike.
        let mut v = serde_json::to_value(&task).ok()?;
        incoming(&mut v, self.tz);
        serde_json::from_value(v).ok()
    }
}

/// The user's wall clock now, as the rules keep times.
pub(crate) fn wall_clock(now: DateTime<Tz>) -> DateTime<Utc> {
    now.naive_local().and_utc()
}

/// Arguments leaving for a tool: wall-clock times become instants.
fn outgoing(args: &mut Value, tz: Tz) {
    let Some(args) = args.as_object_mut() else {
        return;
    };
    let to_instant = |local: DateTime<Utc>| local_instant(tz, local.naive_utc());
    for (key, value) in args.iter_mut() {
        match key.as_str() {
            "due_at" => convert(value, |t| (!is_date(t)).then(|| to_instant(t))),
            "due_before" | "due_after" => convert(value, |t| Some(to_instant(t))),
            "reminders" => {
                for r in value.as_array_mut().into_iter().flatten() {
                    if let Some(at) = r.get_mut("at") {
                        convert(at, |t| Some(to_instant(t)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// A tool's answer: instants become wall-clock times, in tasks however deep (lists of tasks, a
/// task's reminders, the reminders of `list_reminders`).
fn incoming(v: &mut Value, tz: Tz) {
    let to_local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local().and_utc();
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match key.as_str() {
                    "due_at" => convert(value, |t| (!is_date(t)).then(|| to_local(t))),
                    "at" | "fire_at" => convert(value, |t| Some(to_local(t))),
                    _ => incoming(value, tz),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| incoming(i, tz)),
        _ => {}
    }
}

/// Rewrites an RFC 3339 string; anything else (null, a bare date, nonsense) is left as it is.
fn convert(value: &mut Value, f: impl Fn(DateTime<Utc>) -> Option<DateTime<Utc>>) {
    let Some(t) = value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    else {
        return;
    };
    if let Some(t) = f(t.with_timezone(&Utc)) {
        *value = Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
}

/// A due "time" at midnight UTC: a date without a time.
fn is_date(t: DateTime<Utc>) -> bool {
    t.time() == chrono::NaiveTime::MIN
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_cross_both_ways_and_dates_stay_dates() {
        let tz: Tz = "Pacific/Auckland".parse().unwrap();
        // 17:00 on 27 November in Auckland (UTC+13) is 04:00 UTC that day.
        let mut args = json!({
            "due_at": "2026-11-27T17:00:00Z",
            "reminders": [{"at": "2026-11-27T09:00:00Z"}, {"before": "PT10M"}],
            "title": "2026-11-27T17:00:00Z",
        });
        outgoing(&mut args, tz);
        assert_eq!(
            args,
            json!({
                "due_at": "2026-11-27T04:00:00Z",
                "reminders": [{"at": "2026-11-26T20:00:00Z"}, {"before": "PT10M"}],
                "title": "2026-11-27T17:00:00Z",
            })
        );
        let mut date =
            json!({"due_at": "2026-11-27T00:00:00Z", "due_before": "2026-11-28T00:00:00Z"});
        outgoing(&mut date, tz);
        assert_eq!(
            date,
            json!({"due_at": "2026-11-27T00:00:00Z", "due_before": "2026-11-27T11:00:00Z"})
        );
        let mut tasks = json!([{"due_at": "2026-11-27T04:00:00Z",
            "reminders": [{"at": "2026-11-26T20:00:00Z", "fire_at": "2026-11-26T20:00:00Z"}]}]);
        incoming(&mut tasks, tz);
        assert_eq!(
            tasks,
            json!([{"due_at": "2026-11-27T17:00:00Z",
                "reminders": [{"at": "2026-11-27T09:00:00Z", "fire_at": "2026-11-27T09:00:00Z"}]}])
        );
    }
}
