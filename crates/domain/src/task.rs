use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::recurrence::{Recurrence, RepeatFrom, SeriesState};
use crate::reminder::{check_reminders, Reminder, ReminderInput, When};
use crate::validation::{check_line, parse_due, ValidationError};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 32;
/// Levels a task tree may have: a task and three levels of subtasks (Todoist's INDENT 1–4).
pub const MAX_DEPTH: usize = 4;
/// The last year an RFC 3339 date can name.
pub(crate) const MAX_YEAR: i32 = 9999;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    JsonSchema,
    Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    /// Every priority, most important first (the order people choose from).
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    /// The name the API writes and reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
        }
    }

    /// Stored as a small integer so `sort=priority` orders by importance, not alphabetically.
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Self {
        match rank {
            1 => Priority::Low,
            3 => Priority::High,
            _ => Priority::Medium,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The key titles sort by: Unicode lower case, computed here so both databases compare the same text.
pub fn title_key(title: &str) -> String {
    title.to_lowercase()
}

/// What `q` searches: title and description, lower-cased like [`title_key`].
pub fn search_text(title: &str, description: Option<&str>) -> String {
    match description {
        Some(d) => format!("{}\n{}", title.to_lowercase(), d.to_lowercase()),
        None => title.to_lowercase(),
    }
}

/// A task as stored and returned by the API. Its JSON Schema (the MCP tools' output schema) names
/// the fields a client acts on; the owner, times, counts, reminders and `repeat_from` are in the data but left out
/// of it, which keeps the whole `tools/list` under 2,000 tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct Task {
    #[schema(example = 42)]
    pub id: i64,
    /// The owner: the `sub` of the token that created it.
    #[schemars(skip)]
    pub user_id: String,
    #[schema(example = "Buy milk")]
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    #[schema(example = json!(["home"]))]
    pub tags: Vec<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub recurrence: Option<Recurrence>,
    /// What the next occurrence of a recurring task counts from.
    #[schemars(skip)]
    pub repeat_from: RepeatFrom,
    /// The list it belongs to.
    #[schema(example = 1)]
    pub list_id: i64,
    /// The task it is a subtask of (in the same list), or `null` at the top level.
    pub parent_id: Option<i64>,
    /// Direct subtasks, and how many of them are completed.
    #[schemars(skip)]
    pub subtask_count: i64,
    #[schemars(skip)]
    pub subtasks_done: i64,
    /// When its owner is reminded of it.
    #[serde(default)]
    #[schemars(skip)]
    pub reminders: Vec<Reminder>,
    #[schemars(skip)]
    pub created_at: DateTime<Utc>,
    #[schemars(skip)]
    pub updated_at: DateTime<Utc>,
    /// First due date of the recurring series this task belongs to (internal bookkeeping).
    #[serde(skip)]
    pub series_start: Option<DateTime<Utc>>,
    /// Whether completing this task already produced the series' next occurrence (internal).
    #[serde(skip)]
    pub spawned_next: bool,
    /// Which occurrence of its series this task is, from 1 (internal).
    #[serde(skip)]
    pub occurrence: i32,
}

/// A validated task ready to be inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub recurrence: Option<Recurrence>,
    pub repeat_from: RepeatFrom,
    /// `None`: the parent's list, or the Inbox at the top level.
    pub list_id: Option<i64>,
    pub parent_id: Option<i64>,
    /// `None`: the user's default reminder, when the task has a due time.
    pub reminders: Option<Vec<When>>,
    pub series_start: Option<DateTime<Utc>>,
    pub occurrence: i32,
}

/// Body of `POST /api/{user_id}/tasks`.
/// Unknown fields are ignored, so a client may send back a task it read (with `id`, `created_at`…).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateTask {
    /// 1–200 characters after trimming, on one line.
    #[schema(
        example = "Buy milk",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    /// Up to 1000 characters; empty means none.
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    /// Create it already completed.
    #[serde(default)]
    pub completed: Option<bool>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Up to 10 labels of 1–32 letters (of any script), digits, `-` or `_`; one leading `#` is dropped
    /// and case is folded. The pattern in this document shows the ASCII subset.
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 date-time (or a plain `YYYY-MM-DD` date, taken as midnight UTC); `null` for none.
    #[serde(default)]
    #[schema(example = "2026-05-01T17:00:00Z", format = DateTime)]
    pub due_at: Option<String>,
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// `due` (default) or `completion`: what the next occurrence counts from.
    #[serde(default)]
    pub repeat_from: Option<RepeatFrom>,
    /// The list to put it in; the parent's list for a subtask, else the Inbox, when left out.
    #[serde(default)]
    pub list_id: Option<i64>,
    /// Make it a subtask of this task (same list, at most four levels deep).
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Up to 10; left out, a task with a due time gets the user's default reminder.
    #[serde(default)]
    pub reminders: Option<Vec<ReminderInput>>,
    /// Accepted for compatibility with earlier clients; must be the caller when given.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// OpenAPI schema of `tags`: up to 10 labels of letters, digits, `-` or `_`, each optionally after a `#`.
fn tags_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let label = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^#?[A-Za-z0-9_-]{1,32}$"))
        .examples(["home"]);
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(label)
        .max_items(Some(MAX_TAGS))
        .build()
}

/// Body of `PUT /api/{user_id}/tasks/{id}`: only the fields present change; `null` clears an optional
/// field. Unknown fields are ignored, so a task read from the API can be sent back whole.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateTask {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub completed: Option<bool>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<String>>,
    /// Left out: the rule stays as it is; `null`: the task stops repeating.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Recurrence>)]
    pub recurrence: Option<Option<Recurrence>>,
    #[serde(default)]
    pub repeat_from: Option<RepeatFrom>,
    /// Move it (with its subtasks) to this list; a subtask moved alone becomes a top-level task there.
    #[serde(default)]
    pub list_id: Option<i64>,
    /// Make it a subtask of this task, or `null` to move it to the top level.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    /// Replaces the task's reminders (`[]` removes them all).
    #[serde(default)]
    pub reminders: Option<Vec<ReminderInput>>,
    /// Accepted for compatibility with earlier clients; the owner never changes.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// Distinguishes a field sent as `null` (`Some(None)`) from a field left out (`None`, via `default`).
pub(crate) fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A validated partial update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub recurrence: Option<Option<Recurrence>>,
    pub repeat_from: Option<RepeatFrom>,
    pub list_id: Option<i64>,
    pub parent_id: Option<Option<i64>>,
    pub reminders: Option<Vec<When>>,
}

fn check_description(raw: Option<&str>, errors: &mut ValidationError) -> Option<String> {
    let d = raw.map(str::trim).filter(|d| !d.is_empty())?;
    let n = d.chars().count();
    if d.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.add(
            "description",
            "must not contain control characters other than line breaks and tabs",
        );
    } else if n > MAX_DESCRIPTION_CHARS {
        errors.add(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters (got {n})"),
        );
    }
    Some(d.to_owned())
}

fn check_due(raw: Option<&str>, errors: &mut ValidationError) -> Option<DateTime<Utc>> {
    match parse_due(raw?) {
        Ok(d) => Some(d),
        Err(msg) => {
            errors.add("due_at", msg);
            None
        }
    }
}

/// Normalises a tag the way users type them (`#Work` -> `work`); `None` when it is not a valid label.
pub(crate) fn normalize_tag(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    // Checked before lower-casing, which can add combining marks (`İ` -> `i̇`).
    let ok = !t.is_empty()
        && t.chars().count() <= MAX_TAG_CHARS
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    ok.then(|| t.to_lowercase())
}

/// The tags [`normalize_tag`] accepts, as a JSON Schema pattern (Unicode classes, as ECMA-262 with
/// the `u` flag reads them).
pub fn tag_pattern() -> String {
    format!(r"^#?[\p{{L}}\p{{N}}_-]{{1,{MAX_TAG_CHARS}}}$")
}

fn check_tags(raw: &[String], errors: &mut ValidationError) -> Vec<String> {
    if raw.len() > MAX_TAGS {
        errors.add(
            "tags",
            format!("at most {MAX_TAGS} tags (got {})", raw.len()),
        );
        return Vec::new();
    }
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        match normalize_tag(t) {
            Some(t) if !tags.contains(&t) => tags.push(t),
            Some(_) => {}
            None => errors.add(
                format!("tags[{i}]"),
                format!("must be 1–{MAX_TAG_CHARS} letters, digits, '-' or '_'"),
            ),
        }
    }
    tags
}

impl CreateTask {
    pub fn validate(self) -> Result<NewTask, ValidationError> {
        let mut errors = ValidationError::default();
        let task = NewTask {
            title: check_line("title", &self.title, MAX_TITLE_CHARS, &mut errors),
            description: check_description(self.description.as_deref(), &mut errors),
            completed: self.completed.unwrap_or(false),
            priority: self.priority.unwrap_or_default(),
            tags: check_tags(self.tags.as_deref().unwrap_or_default(), &mut errors),
            due_at: check_due(self.due_at.as_deref(), &mut errors),
            recurrence: self.recurrence,
            repeat_from: self.repeat_from.unwrap_or_default(),
            list_id: self.list_id,
            parent_id: self.parent_id,
            reminders: self
                .reminders
                .as_deref()
                .map(|r| check_reminders(r, &mut errors)),
            series_start: None,
            occurrence: 1,
        };
        errors.into_result(task)
    }
}

impl UpdateTask {
    pub fn validate(self) -> Result<TaskPatch, ValidationError> {
        let mut errors = ValidationError::default();
        let patch = TaskPatch {
            title: self
                .title
                .as_deref()
                .map(|t| check_line("title", t, MAX_TITLE_CHARS, &mut errors)),
            description: self
                .description
                .map(|d| check_description(d.as_deref(), &mut errors)),
            completed: self.completed,
            priority: self.priority,
            tags: self.tags.as_deref().map(|t| check_tags(t, &mut errors)),
            due_at: self.due_at.map(|d| check_due(d.as_deref(), &mut errors)),
            recurrence: self.recurrence,
            repeat_from: self.repeat_from,
            list_id: self.list_id,
            parent_id: self.parent_id,
            reminders: self
                .reminders
                .as_deref()
                .map(|r| check_reminders(r, &mut errors)),
        };
        if patch == TaskPatch::default() {
            errors.add("body", "give at least one field to change");
        }
        errors.into_result(patch)
    }
}

impl TaskPatch {
    pub fn toggle(current: &Task) -> Self {
        TaskPatch {
            completed: Some(!current.completed),
            ..Default::default()
        }
    }
}

impl Task {
    /// Applies `patch` and returns, when this completes a recurring task, the task's next occurrence,
    /// computed in the user's time zone `tz`. Where the task lives (`list_id`, `parent_id`) is the
    /// storage layer's to change, as it moves whole subtrees.
    pub fn apply(&mut self, patch: TaskPatch, now: DateTime<Utc>, tz: Tz) -> Option<NewTask> {
        let was_completed = self.completed;
        if let Some(t) = patch.title {
            self.title = t;
        }
        if let Some(d) = patch.description {
            self.description = d;
        }
        if let Some(c) = patch.completed {
            self.completed = c;
        }
        if let Some(p) = patch.priority {
            self.priority = p;
        }
        if let Some(t) = patch.tags {
            self.tags = t;
        }
        // A different due date or rule starts a new series (a task sent back unchanged does not).
        let due_changed = patch.due_at.is_some_and(|d| d != self.due_at);
        let rule_changed = patch
            .recurrence
            .as_ref()
            .is_some_and(|r| *r != self.recurrence)
            || patch.repeat_from.is_some_and(|f| f != self.repeat_from);
        if due_changed || rule_changed {
            self.series_start = None;
            self.spawned_next = false;
            self.occurrence = 1;
        }
        if let Some(d) = patch.due_at {
            self.due_at = d;
        }
        if let Some(r) = patch.recurrence {
            self.recurrence = r;
        }
        if let Some(f) = patch.repeat_from {
            self.repeat_from = f;
        }
        self.updated_at = now;
        // A task advances its series once: completing it again after an undo adds nothing.
        let recurrence = self
            .recurrence
            .as_ref()
            .filter(|_| self.completed && !was_completed && !self.spawned_next)?;
        let state = SeriesState {
            start: self.series_start,
            due: self.due_at,
            occurrence: self.occurrence,
        };
        let next = recurrence.next(self.repeat_from, state, now, tz)?;
        self.spawned_next = true;
        Some(NewTask {
            title: self.title.clone(),
            description: self.description.clone(),
            completed: false,
            priority: self.priority,
            tags: self.tags.clone(),
            due_at: Some(next.due),
            recurrence: Some(recurrence.clone()),
            repeat_from: self.repeat_from,
            list_id: Some(self.list_id),
            parent_id: self.parent_id,
            // Storage carries this occurrence's reminders over to the next.
            reminders: Some(Vec::new()),
            series_start: Some(next.series_start),
            occurrence: self.occurrence.saturating_add(1),
        })
    }
}

#[cfg(test)]
mod tests;
