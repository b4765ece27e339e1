//! What an import creates, once its file has been read and checked: the lists it names and its tasks
//! in an order where every parent comes before its subtasks. Readers (the export document, CSV) build
//! it; storage writes it in one transaction.

use chrono::{DateTime, Utc};

use crate::list::Colour;
use crate::task::NewTask;

/// A list an import puts tasks in. One the user already has (the Inbox, or a list of the same name
/// ignoring case) is used as it is; a missing one is created with these attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportList {
    pub name: String,
    pub colour: Colour,
    /// After the user's other lists when `None`.
    pub position: Option<i64>,
    pub archived: bool,
    /// The user's Inbox, whatever it is called.
    pub inbox: bool,
}

/// A task to import, placed by index: `list` into [`ImportPlan::lists`], `parent` into
/// [`ImportPlan::tasks`] before this one (in the same list, at most [`crate::MAX_DEPTH`] levels).
/// `task.list_id` and `task.parent_id` are not used.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportTask {
    pub task: NewTask,
    pub list: usize,
    pub parent: Option<usize>,
    /// Kept from an export; the time of the import when `None`.
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether completing it already produced its series' next occurrence.
    pub spawned_next: bool,
}

/// Everything one import creates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    pub lists: Vec<ImportList>,
    pub tasks: Vec<ImportTask>,
}

impl ImportPlan {
    /// The level of every task, 1 at the top: a parent's level is known before its subtasks'.
    pub fn levels(&self) -> Vec<usize> {
        let mut levels = Vec::with_capacity(self.tasks.len());
        for t in &self.tasks {
            let level = t.parent.and_then(|p| levels.get(p)).map_or(1, |l| l + 1);
            levels.push(level);
        }
        levels
    }
}
