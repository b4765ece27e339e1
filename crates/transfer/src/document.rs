//! The export document (`"format": "todo-export"`, version 1) and reading one back into a plan.
//!
//! Tasks are flat: `ref` numbers them 1, 2, … in the document and `parent` names a parent's `ref`.
//! They come list by list in the lists' order, each top-level task followed by its subtasks (depth
//! first, oldest first), so exporting what an import of a document created gives the same document.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use todo_domain::{
    list_name_key, Colour, CreateList, CreateTask, ImportList, ImportPlan, ImportTask, Message,
    Priority, Recurrence, ReminderInput, RepeatFrom, Role, Task, TaskList, ToolCall,
    ValidationError, MAX_DEPTH,
};
use utoipa::ToSchema;

/// The `format` of an export document.
pub const FORMAT: &str = "todo-export";
/// The version this release writes and reads.
pub const VERSION: u32 = 1;

/// Everything of a user's: `GET /api/{user_id}/export`, and one of the formats `POST …/import` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Export {
    /// Always `todo-export`.
    #[schema(example = "todo-export")]
    pub format: String,
    /// 1 in this release.
    #[schema(example = 1)]
    pub version: u32,
    /// When the document was made; not read on import.
    #[serde(default = "Utc::now")]
    pub exported_at: DateTime<Utc>,
    #[serde(default)]
    pub lists: Vec<ExportList>,
    #[serde(default)]
    pub tasks: Vec<ExportTask>,
    /// With `?conversations=true`: the assistant conversations (an import skips them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<Vec<ExportConversation>>,
}

/// A list. On import, the Inbox and lists the user already has (same name ignoring case) are used as
/// they are; the others are created with this colour, position and archived flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportList {
    #[schema(example = "Groceries")]
    pub name: String,
    #[serde(default)]
    pub colour: Colour,
    /// After the user's other lists when left out.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub archived: bool,
    /// The user's default list (whatever its name): an import puts its tasks in the Inbox.
    #[serde(default)]
    pub inbox: bool,
}

/// A task. Only `title` is required on import; a task's `list` names one of `lists` (or a list the
/// user has, or one to create), the Inbox when left out; a subtask is in its parent's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportTask {
    /// This task's number in the document, which `parent` refers to.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 1)]
    pub reference: Option<u64>,
    /// The `ref` of the task this is a subtask of (at most four levels deep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    /// The name of its list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Inbox")]
    pub list: Option<String>,
    #[schema(example = "Buy milk")]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    #[serde(default)]
    pub repeat_from: RepeatFrom,
    /// Up to 10, as the API takes them: `{"at": RFC 3339}`, `{"before": ISO 8601 duration}` or
    /// `{"before": "P1D", "time": "09:00"}`. An import keeps those whose time has passed as done (they
    /// are not sent), and a `before` one counts back from the task's `due_at` (a task without one keeps
    /// it for when it gets one, as the API does when a due time is cleared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<ReminderInput>,
    /// Where a recurring task's series stands, so it goes on where it was: the series' first due
    /// date, which occurrence this is (from 1), and whether completing it already created the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_start: Option<DateTime<Utc>>,
    #[serde(default = "first", skip_serializing_if = "is_first")]
    pub occurrence: i32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub next_created: bool,
    /// Kept by an import; the time of the import when left out.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

fn first() -> i32 {
    1
}

fn is_first(n: &i32) -> bool {
    *n == 1
}

/// An assistant conversation with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportConversation {
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ExportMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportMessage {
    pub role: Role,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    pub created_at: DateTime<Utc>,
}

impl ExportConversation {
    pub fn new(c: todo_domain::Conversation, messages: Vec<Message>) -> Self {
        ExportConversation {
            title: c.title,
            created_at: c.created_at,
            updated_at: c.updated_at,
            messages: messages
                .into_iter()
                .map(|m| ExportMessage {
                    role: m.role,
                    content: m.content,
                    tool_calls: m.tool_calls,
                    created_at: m.created_at,
                })
                .collect(),
        }
    }
}

impl Export {
    /// The document of `lists` (in their order) and every one of their `tasks`, with their reminders.
    pub fn new(lists: &[TaskList], tasks: &[Task], exported_at: DateTime<Utc>) -> Self {
        let mut children: HashMap<Option<i64>, Vec<&Task>> = HashMap::new();
        for t in tasks {
            children.entry(t.parent_id).or_default().push(t);
        }
        for siblings in children.values_mut() {
            siblings.sort_by_key(|t| t.id);
        }
        let mut out = Vec::with_capacity(tasks.len());
        let mut refs: HashMap<i64, u64> = HashMap::with_capacity(tasks.len());
        for list in lists {
            let mut stack: Vec<&Task> = children
                .get(&None)
                .into_iter()
                .flatten()
                .filter(|t| t.list_id == list.id)
                .rev()
                .copied()
                .collect();
            while let Some(t) = stack.pop() {
                let reference = out.len() as u64 + 1;
                refs.insert(t.id, reference);
                out.push(ExportTask {
                    reference: Some(reference),
                    parent: t.parent_id.and_then(|p| refs.get(&p).copied()),
                    list: Some(list.name.clone()),
                    title: t.title.clone(),
                    description: t.description.clone(),
                    completed: t.completed,
                    priority: t.priority,
                    tags: t.tags.clone(),
                    due_at: t.due_at,
                    recurrence: t.recurrence.clone(),
                    repeat_from: t.repeat_from,
                    reminders: t.reminders.iter().map(|r| r.when.clone()).collect(),
                    series_start: t.series_start,
                    occurrence: t.occurrence,
                    next_created: t.spawned_next,
                    created_at: Some(t.created_at),
                    updated_at: Some(t.updated_at),
                });
                stack.extend(children.get(&Some(t.id)).into_iter().flatten().rev());
            }
        }
        Export {
            format: FORMAT.into(),
            version: VERSION,
            exported_at,
            lists: lists
                .iter()
                .map(|l| ExportList {
                    name: l.name.clone(),
                    colour: l.colour,
                    position: Some(l.position),
                    archived: l.archived,
                    inbox: l.inbox,
                })
                .collect(),
            tasks: out,
            conversations: None,
        }
    }

    /// Checks the document and orders its tasks parents first; errors name `lists[i].…` and
    /// `tasks[i].…` as the document numbers them (from 0). Also returns each task's index in the document.
    pub fn into_plan(self) -> Result<(ImportPlan, Vec<usize>), ValidationError> {
        let mut errors = ValidationError::default();
        if self.format != FORMAT {
            errors.add("format", format!("must be {FORMAT:?}"));
        }
        if self.version != VERSION {
            errors.add(
                "version",
                format!(
                    "this release reads version {VERSION} (got {})",
                    self.version
                ),
            );
        }
        let mut lists: Vec<ImportList> = Vec::with_capacity(self.lists.len());
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut inbox = None;
        for (i, l) in self.lists.into_iter().enumerate() {
            let checked = CreateList {
                name: l.name,
                colour: Some(l.colour),
                position: l.position,
            }
            .validate();
            let new = match checked {
                Ok(new) => new,
                Err(e) => {
                    prefix(&mut errors, &format!("lists[{i}]"), e);
                    continue;
                }
            };
            let key = list_name_key(&new.name);
            if l.inbox && inbox.replace(lists.len()).is_some() {
                errors.add(
                    format!("lists[{i}].inbox"),
                    "only one list can be the Inbox",
                );
            }
            if by_key.insert(key, lists.len()).is_some() {
                errors.add(
                    format!("lists[{i}].name"),
                    "another list of the document has this name",
                );
            }
            lists.push(ImportList {
                name: new.name,
                colour: new.colour,
                position: new.position,
                archived: l.archived && !l.inbox,
                inbox: l.inbox,
            });
        }
        let inbox = *inbox.get_or_insert_with(|| {
            lists.push(ImportList {
                name: todo_domain::INBOX.into(),
                colour: Colour::default(),
                position: None,
                archived: false,
                inbox: true,
            });
            lists.len() - 1
        });
        // A task naming the Inbox by name goes there, unless the document has another list so called.
        by_key
            .entry(list_name_key(&lists[inbox].name))
            .or_insert(inbox);
        let mut by_ref: HashMap<u64, usize> = HashMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            if let Some(r) = t.reference {
                if by_ref.insert(r, i).is_some() {
                    errors.add(format!("tasks[{i}].ref"), "another task has this ref");
                }
            }
        }
        let tasks = self.tasks;
        let mut parents: Vec<Option<usize>> = vec![None; tasks.len()];
        let mut levels = vec![1usize; tasks.len()];
        for (i, t) in tasks.iter().enumerate() {
            let Some(r) = t.parent else { continue };
            match by_ref.get(&r) {
                Some(&p) => parents[i] = Some(p),
                None => errors.add(format!("tasks[{i}].parent"), format!("no task has ref {r}")),
            }
        }
        for (i, level) in levels.iter_mut().enumerate() {
            let mut at = i;
            while let Some(p) = parents[at] {
                *level += 1;
                at = p;
                if *level > MAX_DEPTH {
                    errors.add(
                        format!("tasks[{i}].parent"),
                        format!("subtasks go at most {MAX_DEPTH} levels deep, and a task cannot be under itself"),
                    );
                    break;
                }
            }
        }
        // A subtask is in its parent's list: resolved top-down, so each parent's list is known first.
        let mut order: Vec<usize> = (0..tasks.len()).collect();
        order.sort_by_key(|&i| (levels[i], i));
        let mut list_of = vec![inbox; tasks.len()];
        let mut position = vec![0usize; tasks.len()];
        let mut planned = Vec::with_capacity(tasks.len());
        for (n, &i) in order.iter().enumerate() {
            let t = &tasks[i];
            position[i] = n;
            let named = t.list.as_deref().map(|name| {
                let key = list_name_key(name);
                *by_key.entry(key).or_insert_with(|| {
                    lists.push(ImportList {
                        name: name.trim().to_owned(),
                        colour: Colour::default(),
                        position: None,
                        archived: false,
                        inbox: false,
                    });
                    lists.len() - 1
                })
            });
            let list = match (parents[i], named) {
                (Some(p), Some(l)) if l != list_of[p] => {
                    errors.add(
                        format!("tasks[{i}].list"),
                        "a subtask is in its parent's list",
                    );
                    l
                }
                (Some(p), _) => list_of[p],
                (None, named) => named.unwrap_or(inbox),
            };
            list_of[i] = list;
            if let Some(name) = t.list.as_deref() {
                let checked = CreateList {
                    name: name.into(),
                    colour: None,
                    position: None,
                }
                .validate();
                if checked.is_err() {
                    errors.add(
                        format!("tasks[{i}].list"),
                        "must be a list name of 1–100 characters on one line",
                    );
                }
            }
            let checked = CreateTask {
                title: t.title.clone(),
                description: t.description.clone(),
                completed: Some(t.completed),
                priority: Some(t.priority),
                tags: Some(t.tags.clone()),
                due_at: None,
                recurrence: t.recurrence.clone(),
                repeat_from: Some(t.repeat_from),
                list_id: None,
                parent_id: None,
                // Only the document's reminders: an import does not add the user's default.
                reminders: Some(t.reminders.clone()),
                user_id: None,
            }
            .validate();
            let mut task = match checked {
                Ok(task) => task,
                Err(e) => {
                    prefix(&mut errors, &format!("tasks[{i}]"), e);
                    continue;
                }
            };
            task.due_at = t.due_at;
            task.series_start = t.series_start;
            task.occurrence = t.occurrence.max(1);
            planned.push(ImportTask {
                task,
                list,
                parent: parents[i].map(|p| position[p]),
                created_at: t.created_at,
                updated_at: t.updated_at,
                spawned_next: t.next_created,
            });
        }
        let plan = ImportPlan {
            lists,
            tasks: planned,
        };
        errors.into_result((plan, order))
    }
}

/// Adds `e`'s fields under `at` (`tasks[3]` + `title` → `tasks[3].title`).
pub(crate) fn prefix(errors: &mut ValidationError, at: &str, e: ValidationError) {
    for (field, message) in e.fields {
        errors.add(format!("{at}.{field}"), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(reference: u64, parent: Option<u64>, list: Option<&str>, title: &str) -> ExportTask {
        let mut t: ExportTask =
            serde_json::from_value(serde_json::json!({"title": title})).unwrap();
        t.reference = Some(reference);
        t.parent = parent;
        t.list = list.map(str::to_owned);
        t
    }

    #[test]
    fn a_plan_puts_parents_first_and_names_lists_once() {
        let doc = Export {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: Utc::now(),
            lists: vec![],
            tasks: vec![
                task(3, Some(2), None, "grandchild"),
                task(2, Some(1), Some("work"), "child"),
                task(1, None, Some("Work"), "parent"),
                task(4, None, Some("inbox"), "loose"),
            ],
            conversations: None,
        };
        let (plan, order) = doc.into_plan().unwrap();
        let titles: Vec<&str> = plan.tasks.iter().map(|t| t.task.title.as_str()).collect();
        assert_eq!(titles, ["parent", "loose", "child", "grandchild"]);
        assert_eq!(order, [2, 3, 1, 0]);
        assert_eq!(plan.levels(), [1, 1, 2, 3]);
        let names: Vec<(&str, bool)> = plan
            .lists
            .iter()
            .map(|l| (l.name.as_str(), l.inbox))
            .collect();
        assert_eq!(names, [("Inbox", true), ("Work", false)]);
        assert_eq!(
            plan.tasks.iter().map(|t| t.list).collect::<Vec<_>>(),
            [1, 0, 1, 1]
        );
    }

    #[test]
    fn a_subtask_in_another_list_or_too_deep_is_refused() {
        let doc = |tasks| Export {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: Utc::now(),
            lists: vec![],
            tasks,
            conversations: None,
        };
        let e = doc(vec![
            task(1, None, Some("A"), "a"),
            task(2, Some(1), Some("B"), "b"),
        ])
        .into_plan()
        .unwrap_err();
        assert!(e.fields.contains_key("tasks[1].list"), "{e}");
        let deep = (1..=5)
            .map(|r| task(r, (r > 1).then(|| r - 1), None, "t"))
            .collect();
        let e = doc(deep).into_plan().unwrap_err();
        assert_eq!(e.fields.keys().collect::<Vec<_>>(), ["tasks[4].parent"]);
    }

    fn document(tasks: Vec<ExportTask>) -> Export {
        Export {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: Utc::now(),
            lists: vec![],
            tasks,
            conversations: None,
        }
    }

    #[test]
    fn reminders_are_written_as_the_api_shows_them_and_read_back() {
        let t: Task = serde_json::from_value(serde_json::json!({
            "id": 7, "user_id": "u", "title": "Report", "description": null, "completed": false,
            "priority": "high", "tags": [], "due_at": "2027-01-15T09:00:00Z", "recurrence": null,
            "repeat_from": "due", "list_id": 1, "parent_id": null, "subtask_count": 0,
            "subtasks_done": 0, "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "reminders": [
                {"id": 1, "at": "2027-01-14T08:30:00Z", "fire_at": "2027-01-14T08:30:00Z", "done": false},
                {"id": 2, "before": "PT30M", "fire_at": "2027-01-15T08:30:00Z", "done": false},
                {"id": 3, "before": "P1D", "time": "09:00", "fire_at": null, "done": true}
            ]
        }))
        .unwrap();
        let mut bare = t.clone();
        bare.id = 8;
        bare.reminders.clear();
        let list: TaskList = serde_json::from_value(serde_json::json!({
            "id": 1, "name": "Inbox", "colour": "grey", "position": 0, "archived": false,
            "inbox": true, "open_tasks": 2, "total_tasks": 2,
            "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z"
        }))
        .unwrap();
        let doc = Export::new(&[list], &[t, bare], Utc::now());
        let json = serde_json::to_value(&doc).unwrap();
        // Only the rule: ids, firing times and done are the account's, not the document's.
        assert_eq!(
            json["tasks"][0]["reminders"],
            serde_json::json!([
                {"at": "2027-01-14T08:30:00Z"},
                {"before": "PT30M"},
                {"before": "P1D", "time": "09:00"}
            ])
        );
        assert!(json["tasks"][1].get("reminders").is_none(), "{json}");

        let read: Export = serde_json::from_value(json).unwrap();
        let (plan, _) = read.into_plan().unwrap();
        let when = |ms, time: Option<&str>| todo_domain::When::Before {
            ms,
            on_day_at: time.map(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").unwrap()),
        };
        assert_eq!(
            plan.tasks[0].task.reminders,
            Some(vec![
                todo_domain::When::At("2027-01-14T08:30:00Z".parse().unwrap()),
                when(1_800_000, None),
                when(86_400_000, Some("09:00")),
            ])
        );
        // No reminders is none, not the user's default.
        assert_eq!(plan.tasks[1].task.reminders, Some(vec![]));
    }

    #[test]
    fn a_bad_reminder_is_refused_naming_its_task_and_field() {
        let with = |reference, reminders: serde_json::Value| {
            let mut t = task(reference, None, None, "t");
            t.reminders = serde_json::from_value(reminders).unwrap();
            t
        };
        let e = document(vec![
            task(1, None, None, "fine"),
            with(
                2,
                serde_json::json!([{"before": "PT10M"}, {"before": "soon"}]),
            ),
            with(
                3,
                serde_json::json!([{"at": "2027-01-01T09:00:00Z", "before": "PT5M"}]),
            ),
            with(4, serde_json::json!([{"before": "PT30M", "time": "09:00"}])),
            with(5, serde_json::json!([{"at": "tomorrow"}])),
            with(
                6,
                serde_json::json!(vec![serde_json::json!({"before": "PT1M"}); 11]),
            ),
        ])
        .into_plan()
        .unwrap_err();
        assert_eq!(
            e.fields.keys().collect::<Vec<_>>(),
            [
                "tasks[1].reminders[1].before",
                "tasks[2].reminders[0]",
                "tasks[3].reminders[0].time",
                "tasks[4].reminders[0].at",
                "tasks[5].reminders",
            ],
            "{e}"
        );
        // Not an object of reminders at all: the reader names where.
        let raw = r#"{"format": "todo-export", "version": 1, "tasks": [{"title": "t", "reminders": [5]}]}"#;
        let e = crate::read(raw.as_bytes(), Some("application/json"), &options()).unwrap_err();
        assert!(e.fields.contains_key("tasks[0].reminders[0]"), "{e}");
    }

    fn options() -> crate::Options {
        crate::Options {
            list: None,
            now: Utc::now(),
            tz: todo_domain::Tz::UTC,
        }
    }

    #[test]
    fn a_document_from_before_reminders_reads_and_a_dry_run_counts_them() {
        let old = r#"{"format": "todo-export", "version": 1, "exported_at": "2026-06-01T00:00:00Z",
            "tasks": [{"ref": 1, "title": "Old"}, {"ref": 2, "parent": 1, "title": "Older"}]}"#;
        let reading = crate::read(old.as_bytes(), None, &options()).unwrap();
        let summary = reading.summary(&[false], true);
        assert_eq!((summary.tasks, summary.reminders), (2, 0));
        assert!(reading
            .plan
            .tasks
            .iter()
            .all(|t| t.task.reminders == Some(vec![])));

        let new = r#"{"format": "todo-export", "version": 1, "tasks": [
            {"ref": 1, "title": "A", "due_at": "2027-01-15T09:00:00Z",
             "reminders": [{"before": "PT30M"}, {"at": "2020-01-01T00:00:00Z"}]},
            {"ref": 2, "parent": 1, "title": "B", "reminders": [{"at": "2027-01-01T08:00:00Z"}]}]}"#;
        let reading = crate::read(new.as_bytes(), None, &options()).unwrap();
        assert_eq!(reading.summary(&[false], true).reminders, 3);
    }
}
