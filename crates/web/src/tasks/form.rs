//! The task form: its values as typed (errors included), the API bodies made from them, and the
//! choices its selects offer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use todo_domain::{Priority, Recurrence, Task};

pub fn priority_label(p: Priority) -> &'static str {
    match p {
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

/// The priority select's `(value, label)` options.
pub fn priority_choices() -> impl Iterator<Item = (&'static str, &'static str)> {
    Priority::ALL
        .into_iter()
        .map(|p| (p.as_str(), priority_label(p)))
}

/// The repeat select's `(value, label)` options: "never", the presets, and `current` when it is a rule
/// of its own (set through the API or the assistant), so editing a task does not lose it.
pub fn recurrence_choices(current: &str) -> Vec<(String, String)> {
    let presets = [
        Recurrence::DAILY,
        Recurrence::WEEKDAYS,
        Recurrence::WEEKLY,
        Recurrence::MONTHLY,
        Recurrence::YEARLY,
    ];
    let mut choices = vec![(String::new(), "Never".to_owned())];
    choices.extend(presets.iter().map(|r| (r.to_string(), r.describe())));
    if let Ok(custom) = Recurrence::parse(current) {
        if !presets.contains(&custom) {
            choices.push((custom.to_string(), custom.describe()));
        }
    }
    choices
}

/// The values and errors of a task form, as posted: a value outside the choices is the API's to
/// refuse, and is shown again as typed.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub tags: String,
    pub due: String,
    pub recurrence: String,
    pub completed: String,
    #[serde(skip)]
    pub errors: BTreeMap<String, String>,
}

impl TaskForm {
    pub fn blank() -> Self {
        TaskForm {
            priority: Priority::default().as_str().into(),
            ..TaskForm::default()
        }
    }

    /// The form that edits `task`, or restores it after a deletion.
    pub fn of(task: &Task) -> Self {
        TaskForm {
            title: task.title.clone(),
            description: task.description.clone().unwrap_or_default(),
            priority: task.priority.as_str().into(),
            tags: task.tags.join(", "),
            due: task
                .due_at
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default(),
            recurrence: task
                .recurrence
                .as_ref()
                .map(Recurrence::to_string)
                .unwrap_or_default(),
            completed: task.completed.to_string(),
            errors: BTreeMap::new(),
        }
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Whether the add form's extra options should be shown open.
    pub fn has_details(&self) -> bool {
        ["priority", "tags", "due", "recurrence", "description"]
            .iter()
            .any(|f| self.errors.contains_key(*f))
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn create_body(&self) -> Value {
        let priority = if self.priority.is_empty() {
            Priority::default().as_str()
        } else {
            self.priority.as_str()
        };
        let mut body = json!({
            "title": self.title.trim(),
            "priority": priority,
            "tags": self.tags(),
            "completed": self.completed == "true",
        });
        for (k, v) in [
            ("description", &self.description),
            ("due_at", &self.due),
            ("recurrence", &self.recurrence),
        ] {
            if !v.trim().is_empty() {
                body[k] = json!(v.trim());
            }
        }
        body
    }

    pub fn update_body(&self) -> Value {
        let opt = |v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Value::Null
            } else {
                json!(v)
            }
        };
        let mut body = json!({
            "title": self.title.trim(),
            "tags": self.tags(),
            "description": opt(&self.description),
            "due_at": opt(&self.due),
            "recurrence": opt(&self.recurrence),
        });
        if !self.priority.is_empty() {
            body["priority"] = json!(self.priority);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emptied_optional_fields_are_cleared_on_update() {
        let form = TaskForm {
            title: " Buy milk ".into(),
            priority: "high".into(),
            tags: "home, , errands".into(),
            ..TaskForm::default()
        };
        let body = form.update_body();
        assert_eq!(body["title"], "Buy milk");
        assert_eq!(body["tags"], json!(["home", "errands"]));
        assert_eq!(body["due_at"], Value::Null);
        assert!(form.create_body().get("due_at").is_none());
    }
}
