//! Import and export of a user's lists and tasks: the versioned JSON export document, and the files an
//! import reads (that document, Todoist's CSV template, a plain CSV) turned into one checked
//! [`ImportPlan`] for storage to write. No I/O: the API and the command line share it.

mod calendar;
mod csv_files;
mod document;
mod due;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use todo_domain::{list_name_key, ImportPlan, Recurrence, TaskList, Tz, ValidationError};
use utoipa::ToSchema;

pub use calendar::{CalendarLink, CalendarLinkStatus, Feed, FeedKind};
pub use document::{
    Export, ExportConversation, ExportList, ExportMessage, ExportTask, FORMAT, VERSION,
};
pub use due::{read as read_due, Due};

/// Largest file an import reads.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// Most tasks one import creates.
pub const MAX_IMPORT_TASKS: usize = 20_000;
/// Most lists one import names.
pub const MAX_IMPORT_LISTS: usize = 1_000;
/// Tasks a summary shows.
const SAMPLE: usize = 10;

/// What kind of file an import read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// This product's export document.
    TodoExport,
    /// Todoist's CSV template (TYPE, CONTENT, DESCRIPTION, PRIORITY, INDENT, DATE…).
    TodoistCsv,
    /// A CSV with a title column and any of description, due, priority, tags, list, completed.
    Csv,
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// CSV only: the list for rows that name none (the Inbox when `None`).
    pub list: Option<String>,
    /// What relative dates ("tomorrow", "every monday") count from.
    pub now: DateTime<Utc>,
    /// The user's time zone, in which times of day are read.
    pub tz: Tz,
}

/// A file read and checked.
#[derive(Debug, Clone)]
pub struct Reading {
    pub format: ImportFormat,
    pub plan: ImportPlan,
    /// Where each of the plan's tasks is in the file: `rows[N]` or `tasks[N]`.
    pub sources: Vec<String>,
}

/// Reads an import: the export document when `content_type` says JSON or the file starts with `{`,
/// else CSV. Every problem is reported by where it is (`rows[12].due`, `tasks[3].title`).
pub fn read(
    bytes: &[u8],
    content_type: Option<&str>,
    options: &Options,
) -> Result<Reading, ValidationError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ValidationError::field(
            "file",
            format!("must be at most {MAX_IMPORT_BYTES} bytes"),
        ));
    }
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let starts_like_json = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let json = media == "application/json"
        || media.ends_with("+json")
        || (!media.contains("csv") && starts_like_json);
    let reading = if json {
        let (plan, order) = read_document(text)?;
        Reading {
            format: ImportFormat::TodoExport,
            plan,
            sources: order.into_iter().map(|i| format!("tasks[{i}]")).collect(),
        }
    } else {
        let (format, plan, sources) = csv_files::read(text, options)?;
        Reading {
            format,
            plan,
            sources,
        }
    };
    if reading.plan.tasks.len() > MAX_IMPORT_TASKS {
        return Err(ValidationError::field(
            "tasks",
            format!(
                "at most {MAX_IMPORT_TASKS} tasks per import (got {})",
                reading.plan.tasks.len()
            ),
        ));
    }
    if reading.plan.lists.len() > MAX_IMPORT_LISTS {
        return Err(ValidationError::field(
            "lists",
            format!("at most {MAX_IMPORT_LISTS} lists per import"),
        ));
    }
    Ok(reading)
}

fn read_document(bytes: &[u8]) -> Result<(ImportPlan, Vec<usize>), ValidationError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let doc: Export = serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ValidationError::field("file", format!("is not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        let path = e.path().to_string();
        let field = if path == "." { "file".into() } else { path };
        ValidationError::field(field, message)
    })?;
    doc.into_plan()
}

/// What an import creates (or, for a dry run, would create).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportSummary {
    /// Nothing was written.
    pub dry_run: bool,
    pub format: ImportFormat,
    /// Tasks created, subtasks included.
    pub tasks: usize,
    pub subtasks: usize,
    /// Reminders of those tasks (an export document's); those whose time has passed are kept as done.
    pub reminders: usize,
    /// Each list tasks go into, in the file's order, and whether it is new.
    pub lists: Vec<ListSummary>,
    /// The file's first tasks as they will be created.
    pub sample: Vec<SampleTask>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListSummary {
    pub name: String,
    /// Created by the import (the others exist already).
    pub new: bool,
    pub tasks: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SampleTask {
    /// Where it is in the file: `rows[N]` (the CSV row starting on line N, the header's being 1) or `tasks[N]`.
    #[schema(example = "rows[2]")]
    pub source: String,
    pub title: String,
    pub list: String,
    /// The title of its parent, for a subtask.
    pub parent: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub recurrence: Option<Recurrence>,
    pub completed: bool,
}

impl Reading {
    /// For each of the plan's lists, whether an import would create it, given the user's `existing` lists.
    pub fn would_create(&self, existing: &[TaskList]) -> Vec<bool> {
        self.plan
            .lists
            .iter()
            .map(|l| {
                !l.inbox
                    && !existing
                        .iter()
                        .any(|e| list_name_key(&e.name) == list_name_key(&l.name))
            })
            .collect()
    }

    /// The summary of this reading, given which of its lists are (or would be) `created`.
    pub fn summary(&self, created: &[bool], dry_run: bool) -> ImportSummary {
        let plan = &self.plan;
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for t in &plan.tasks {
            *counts.entry(t.list).or_default() += 1;
        }
        let lists = plan
            .lists
            .iter()
            .enumerate()
            .filter(|(i, _)| counts.contains_key(i) || created.get(*i) == Some(&true))
            .map(|(i, l)| ListSummary {
                name: l.name.clone(),
                new: created.get(i) == Some(&true),
                tasks: counts.get(&i).copied().unwrap_or(0),
            })
            .collect();
        // The file's order: a document's tasks are planned parents first.
        let mut first: Vec<usize> = (0..plan.tasks.len()).collect();
        first.sort_by_key(|&i| source_index(&self.sources[i]));
        let sample = first
            .into_iter()
            .take(SAMPLE)
            .map(|i| {
                let t = &plan.tasks[i];
                SampleTask {
                    source: self.sources[i].clone(),
                    title: t.task.title.clone(),
                    list: plan.lists[t.list].name.clone(),
                    parent: t.parent.map(|p| plan.tasks[p].task.title.clone()),
                    due_at: t.task.due_at,
                    recurrence: t.task.recurrence.clone(),
                    completed: t.task.completed,
                }
            })
            .collect();
        ImportSummary {
            dry_run,
            format: self.format,
            tasks: plan.tasks.len(),
            subtasks: plan.tasks.iter().filter(|t| t.parent.is_some()).count(),
            reminders: plan
                .tasks
                .iter()
                .map(|t| t.task.reminders.as_ref().map_or(0, Vec::len))
                .sum(),
            lists,
            sample,
        }
    }
}

/// The number in `rows[N]` / `tasks[N]`.
fn source_index(source: &str) -> usize {
    source
        .split(['[', ']'])
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}
