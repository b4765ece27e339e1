//! The task form: its values as typed (errors included), the API bodies made from them, and the
//! choices its selects offer.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use todo_domain::{Priority, Recurrence, RepeatFrom, Task};

use super::recurrence::{self, FieldError, RepeatFields};
use super::reminders::{self, RemindFields};

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
/// of its own (set through the API, the assistant or the editor's fields), so editing a task does
/// not lose it.
pub fn recurrence_choices(current: &str) -> Vec<(String, String)> {
    let mut choices = vec![(String::new(), "Never".to_owned())];
    choices.extend(
        recurrence::PRESETS
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned())),
    );
    if !recurrence::PRESETS.iter().any(|(v, _)| *v == current) {
        if let Ok(custom) = Recurrence::parse(current) {
            choices.push((current.to_owned(), custom.describe()));
        }
    }
    choices
}

/// The repeat-from-completion checkbox's value, as the API spells it.
pub const COMPLETION: &str = "completion";

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
    /// The due time, `HH:MM` in the user's zone; empty for a due date alone.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub due_time: String,
    /// The user's time zone the form's local times are in (the page sets it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub zone: String,
    #[serde(flatten)]
    pub remind: RemindFields,
    /// The repeat select: empty, a preset built with `repeat`, or a rule kept as is.
    pub recurrence: String,
    #[serde(flatten)]
    pub repeat: RepeatFields,
    /// `completion` when the series repeats from the completion date.
    pub repeat_from: String,
    pub completed: String,
    /// The list's id; empty is the Inbox.
    pub list: String,
    /// The parent task's id, for a subtask.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub parent: String,
    #[serde(skip)]
    pub errors: BTreeMap<String, String>,
}

impl TaskForm {
    /// An empty form adding to the list `list` (empty: the Inbox), with local times in `tz`.
    pub fn blank(list: &str, tz: Tz) -> Self {
        TaskForm {
            priority: Priority::default().as_str().into(),
            list: list.to_owned(),
            zone: tz.name().to_owned(),
            remind: RemindFields::blank(),
            ..TaskForm::default()
        }
    }

    /// The form that edits `task`, or restores it after a deletion, with local times in `tz`. A
    /// rule the editor could have made is shown in its fields.
    pub fn of(task: &Task, tz: Tz) -> Self {
        let rule = task
            .recurrence
            .as_ref()
            .map(Recurrence::to_string)
            .unwrap_or_default();
        let (recurrence, repeat) = match recurrence::fields_of(&rule) {
            Some((preset, fields)) => (preset.to_owned(), fields),
            None => (rule, RepeatFields::default()),
        };
        let (due, due_time) = reminders::due_fields(task.due_at, tz);
        TaskForm {
            title: task.title.clone(),
            description: task.description.clone().unwrap_or_default(),
            priority: task.priority.as_str().into(),
            tags: task.tags.join(", "),
            due,
            due_time,
            zone: tz.name().to_owned(),
            remind: RemindFields::of(&task.reminders, tz),
            recurrence,
            repeat,
            repeat_from: match task.repeat_from {
                RepeatFrom::Completion => COMPLETION.into(),
                RepeatFrom::Due => String::new(),
            },
            completed: task.completed.to_string(),
            list: task.list_id.to_string(),
            parent: task.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            errors: BTreeMap::new(),
        }
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// The zone the form's local times are in (UTC for a form from before zones were sent).
    pub fn tz(&self) -> Tz {
        self.zone.parse().unwrap_or(Tz::UTC)
    }

    /// Whether the reminder picker should be shown open.
    pub fn remind_open(&self) -> bool {
        self.remind.used()
            || ["reminders", "remind_day_time", "remind_at"]
                .iter()
                .any(|f| self.errors.contains_key(*f))
    }

    /// Whether the add form's extra options should be shown open.
    pub fn has_details(&self) -> bool {
        self.errors.keys().any(|f| f != "title" && f != "form")
    }

    /// Whether the recurrence editor's options should be shown open.
    pub fn repeat_open(&self) -> bool {
        self.repeat.used()
            || self.repeat_from == COMPLETION
            || [
                "every",
                "month_day",
                "nth",
                "weekday",
                "ends",
                "count",
                "until",
            ]
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

    /// The API's `repeat_from`: the checkbox ticked or not.
    fn repeat_from(&self) -> &'static str {
        if self.repeat_from == COMPLETION {
            COMPLETION
        } else {
            "due"
        }
    }

    /// An optional id field: empty is `None`.
    fn id(value: &str, field: &'static str) -> Result<Option<i64>, FieldError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| (field, "is not one of the choices".to_owned()))
    }

    pub fn create_body(&self) -> Result<Value, FieldError> {
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
        if !self.description.trim().is_empty() {
            body["description"] = json!(self.description.trim());
        }
        if let Some(due) = reminders::due_at(&self.due, &self.due_time, self.tz())? {
            body["due_at"] = json!(due);
        }
        if let Some(list) = self.remind.reminders(self.tz(), true)? {
            body["reminders"] = list;
        }
        if let Some(rule) = recurrence::rule(&self.recurrence, &self.repeat)? {
            body["recurrence"] = json!(rule);
            body["repeat_from"] = json!(self.repeat_from());
        }
        if let Some(list) = Self::id(&self.list, "list")? {
            body["list_id"] = json!(list);
        }
        if let Some(parent) = Self::id(&self.parent, "parent")? {
            body["parent_id"] = json!(parent);
        }
        Ok(body)
    }

    pub fn update_body(&self) -> Result<Value, FieldError> {
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
            "due_at": reminders::due_at(&self.due, &self.due_time, self.tz())?,
            "recurrence": recurrence::rule(&self.recurrence, &self.repeat)?,
            "repeat_from": self.repeat_from(),
        });
        if let Some(list) = self.remind.reminders(self.tz(), false)? {
            body["reminders"] = list;
        }
        if !self.priority.is_empty() {
            body["priority"] = json!(self.priority);
        }
        if let Some(list) = Self::id(&self.list, "list")? {
            body["list_id"] = json!(list);
        }
        Ok(body)
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
        let body = form.update_body().unwrap();
        assert_eq!(body["title"], "Buy milk");
        assert_eq!(body["tags"], json!(["home", "errands"]));
        assert_eq!(body["due_at"], Value::Null);
        assert_eq!(body["recurrence"], Value::Null);
        assert!(form.create_body().unwrap().get("due_at").is_none());
    }

    #[test]
    fn the_editor_builds_the_rule_and_ids_are_numbers() {
        let mut form = TaskForm::blank("7", Tz::UTC);
        form.title = "Water the plants".into();
        form.recurrence = "weekly".into();
        form.repeat.every = "2".into();
        form.repeat.on_mo = "on".into();
        form.repeat_from = "completion".into();
        form.parent = "12".into();
        let body = form.create_body().unwrap();
        assert_eq!(body["recurrence"], "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO");
        assert_eq!(body["repeat_from"], "completion");
        assert_eq!(body["list_id"], 7);
        assert_eq!(body["parent_id"], 12);
        form.list = "work".into();
        assert_eq!(form.update_body().unwrap_err().0, "list");
    }

    #[test]
    fn a_custom_rule_stays_a_choice() {
        let rule = "FREQ=MONTHLY;BYDAY=2TU";
        let choices = recurrence_choices(rule);
        assert_eq!(choices.last().unwrap().0, rule);
        assert_eq!(
            recurrence_choices("weekly").len(),
            1 + recurrence::PRESETS.len()
        );
    }
}
