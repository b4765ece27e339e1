//! What the API said is wrong with a form, as sentences to show beside its fields.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::Value;

/// The status of a form page shown again: 422 when it carries errors.
pub fn status(errors: &BTreeMap<String, String>) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "description" => "Notes",
        "priority" => "Priority",
        "tags" => "Tags",
        "due" => "Due date",
        "recurrence" => "Repeats",
        "email" => "Email",
        "password" => "Password",
        "name" => "Name",
        "time_zone" => "Time zone",
        "colour" => "Colour",
        "list" => "List",
        "parent" => "Parent task",
        "repeat_from" => "Repeat from",
        "every" => "Repeat every",
        "month_day" => "Day of the month",
        "nth" => "Week of the month",
        "weekday" => "Weekday",
        "ends" => "Ends",
        "count" => "Number of times",
        "until" => "End date",
        "url" => "URL",
        "events" => "Events",
        "due_time" => "Due time",
        "remind_day_time" => "The day-before time",
        "remind_at" => "The reminder time",
        "default_reminder" => "Default reminder",
        _ => "This",
    }
}

/// The API's 422 `fields`, keyed by this UI's field names and phrased as sentences.
pub fn field_errors(body: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let fields = body["error"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (field, message) in fields {
        let message = message.as_str().unwrap_or("is invalid");
        // serde's wording for a value outside a fixed set is not for people.
        let message = if message.contains("unknown variant") {
            "is not one of the choices"
        } else {
            message
        };
        // `tags[2]` is about the tags field.
        let base = field.split('[').next().unwrap_or_default();
        let key = match base {
            "due_at" => "due",
            "list_id" => "list",
            "parent_id" => "parent",
            "title" | "description" | "priority" | "tags" | "recurrence" | "repeat_from"
            | "email" | "password" | "name" | "time_zone" | "colour" | "every" | "month_day"
            | "nth" | "weekday" | "ends" | "count" | "until" | "url" | "events" | "due_time"
            | "remind_day_time" | "remind_at" | "default_reminder" | "reminders" => base,
            _ => "form",
        };
        let text = if key == "reminders" {
            // The API's reminder messages are sentences about the task, not about a field.
            format!("Reminders: {message}.")
        } else if key == "form" {
            capitalise(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("Please check the form."),
            )
        } else {
            format!("{} {message}.", field_label(key))
        };
        out.entry(key.to_owned()).or_insert(text);
    }
    if out.is_empty() {
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("Please check the form.");
        out.insert("form".into(), capitalise(message));
    }
    out
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_field_errors_land_on_the_form_fields() {
        let body = json!({"error": {"code": "validation_failed", "message": "x",
            "fields": {"tags[1]": "must be at most 32 characters", "due_at": "must be a date"}}});
        let e = field_errors(&body);
        assert_eq!(e["tags"], "Tags must be at most 32 characters.");
        assert_eq!(e["due"], "Due date must be a date.");
        let body =
            json!({"error": {"fields": {"reminders[0].before": "the task has no due time"}}});
        assert_eq!(
            field_errors(&body)["reminders"],
            "Reminders: the task has no due time."
        );
        // An error about no field of the form is shown above it.
        let body = json!({"error": {"code": "validation_failed", "message": "body give at least one field",
            "fields": {"body": "give at least one field"}}});
        assert_eq!(field_errors(&body)["form"], "Body give at least one field");
    }
}
