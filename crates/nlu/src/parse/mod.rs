//! Text -> intents, as plain data: no I/O, so every phrasing is unit-tested here.
//!
//! The order of the checks is the design: short social messages (greetings, yes/no, "the first
//! one") first; then explicit "add …" requests (their titles may contain any verb: "add a task to
//! delete old emails"); then questions about the list; then actions on existing tasks; and only
//! then the loose ways of adding ("I need to…", a bare "buy milk"). `one()` is that order; each
//! submodule holds one family of requests: `social`, `refs` (naming a task), `attrs` (priority,
//! tags, dates inside a request), `recur` (how a task repeats, and "stop repeating …"), `add`,
//! `list`, `lists` (creating, listing and showing lists, moving a task to one), `subtasks` and
//! `act` (complete, delete, update).

use chrono::{DateTime, Utc};
use todo_domain::{Priority, Recurrence, Status};

use crate::dates::{self, When};
use crate::text::{glue_symbols, words, Word};

mod act;
mod add;
mod attrs;
mod bulk;
mod conversation;
mod list;
mod lists;
mod recur;
mod refs;
mod reminder_time;
mod reminders;
mod social;
mod statements;
mod subtasks;
mod update;

use act::{complete, delete};
use add::{explicit_add, flagged_add, loose_add};
use bulk::bulk;
use conversation::follow_up;
use list::{list, show};
use lists::lists;
use recur::stop_repeating;
use reminders::{clear_reminders, reminders};
pub use reminders::{reminder_answer, Days};
use social::{social, strip_politeness, unsupported};
use statements::statement;
use subtasks::subtasks;
use update::{subject_first_update, update, update_by_adding};

#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Greet,
    Thanks,
    Bye,
    Help,
    /// "yes", "do it": goes ahead with what the last answer asked about.
    Confirm,
    /// "no", "cancel", "never mind".
    Deny,
    /// "2", "the first one": an answer to "which one did you mean?".
    Pick(TaskRef),
    /// Something outside task management ("what's the weather?"), named for the answer.
    Unsupported(&'static str),
    /// "what day is it?": the one question outside tasks the assistant can answer.
    Clock,
    Add(Vec<Draft>),
    List(Filter),
    Complete(TaskRef),
    Reopen(TaskRef),
    Delete(TaskRef),
    /// "clear completed tasks", "delete everything".
    DeleteAll(Status),
    Update(TaskRef, Changes),
    /// "show me task 3", "did I finish the report?".
    Show(TaskRef),
    /// A request to act without saying on what ("delete", "add").
    Incomplete(&'static str),
    /// "I still haven't called the dentist": the task is not done.
    StillOpen(TaskRef),
    /// "mark them all done", "bring back all completed ones": asked about first.
    Bulk(BulkAction, Scope),
    /// "undo", "take that back": reverse the last change.
    Undo,
    /// "the laundry as well", "and the last one": the last change again, on this task.
    Again(TaskRef),
    /// "sorry, I meant the rent one": the last change taken back and made on this task instead.
    Redirect(TaskRef),
    /// "create a list called Work"; an empty name asks for one.
    CreateList(String),
    /// "what lists do I have?".
    Lists,
    /// "what reminders do I have today?", "any reminders this week?".
    Reminders(Days),
    /// "add a subtask to the report: check the figures", "break the report into: outline, draft".
    AddSubtasks(TaskRef, Vec<Draft>),
    /// "remind me about the report tomorrow at 9": reminders for a task the words may name.
    Remind(Remind),
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Complete,
    Reopen,
}

/// Which tasks a bulk action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// "them", "those": the tasks the assistant listed last.
    Listed,
    /// "everything", "all my tasks".
    All,
}

/// How a message names a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// "task 3", "#3", "number 3".
    Id(i64),
    /// A quoted title: matched whole, case-insensitively.
    Title(String),
    /// Some words of the title: "the milk one".
    Words(String),
    /// "the second one" (1-based) in the list the assistant showed last; 0 means the last one.
    Nth(usize),
    /// "it", "that": the one task the assistant just talked about.
    It,
    /// "tasks 1, 2 and 3".
    Many(Vec<i64>),
}

/// When a reminder goes off: at an instant, or before the task's due time.
pub use todo_domain::When as Alarm;

/// "remind me about the report tomorrow at 9": reminders `at` for the task `task` names; when the
/// words name none, `or_add` is the task to add instead (due then, reminded when due). No times
/// means the request did not say when: the answer asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Remind {
    pub task: TaskRef,
    pub at: Vec<Alarm>,
    pub or_add: Option<Draft>,
}

/// A change to a task's reminders.
#[derive(Debug, Clone, PartialEq)]
pub enum ReminderChange {
    /// "remind me 10 minutes before": these as well as the ones it has.
    Add(Vec<Alarm>),
    /// "no reminders for that".
    Clear,
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub tags: Vec<String>,
    pub due: Option<When>,
    pub recurrence: Option<Recurrence>,
    /// The list named ("add milk to the groceries list"), as typed.
    pub list: Option<String>,
    /// "… and remind me 10 minutes before".
    pub reminders: Vec<Alarm>,
    /// Added without saying "add" ("call the dentist"): when a task like it is already on the list,
    /// the message is more likely about that one, so it asks instead.
    pub loose: bool,
}

/// What to change on a task; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub due: Option<Option<When>>,
    /// The new due date was only a time ("move the meeting to 3pm"): keep the task's day.
    pub keep_day: bool,
    /// "push it back a day": move the due date (today when there is none) by this many days.
    pub shift_days: Option<i64>,
    pub recurrence: Option<Option<Recurrence>>,
    /// "move task 3 to the work list": the list named, as typed.
    pub list: Option<String>,
    pub reminders: Option<ReminderChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// Which tasks to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub status: Status,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub due: Option<DueRange>,
    /// "work" in "show my work tasks": a tag if some task carries it, else words to search for.
    pub keyword: Option<String>,
    /// "what's in my work list?": the list named, as typed.
    pub list: Option<String>,
    /// "sorted by due date" / "by priority" / "alphabetically".
    pub sort: Option<SortBy>,
    /// "how many…": answer with the count first.
    pub count: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Due,
    Priority,
    Title,
}

/// Due dates to show: before `before`, and not before `from` when set ("due tomorrow" leaves out
/// today's tasks; "due today" keeps the overdue ones, which are still to do today).
#[derive(Debug, Clone, PartialEq)]
pub struct DueRange {
    pub from: Option<DateTime<Utc>>,
    pub before: DateTime<Utc>,
    pub label: String,
}

/// Understands one message.
pub fn parse(text: &str, now: DateTime<Utc>) -> Vec<Intent> {
    let ws = words(text);
    // Several sentences ("Add milk. Show my list.") are several requests, but only when each one is
    // understood alone: a title may contain a full stop ("Call Dr. Smith").
    let sentences = split_sentences(&ws);
    if sentences.len() > 1 {
        let intents: Vec<Intent> = sentences.iter().map(|s| one(s, now)).collect();
        if intents.iter().all(|i| *i != Intent::Unknown) {
            let actions: Vec<Intent> = intents
                .iter()
                .filter(|i| !matches!(i, Intent::Greet | Intent::Thanks))
                .cloned()
                .collect();
            return if actions.is_empty() {
                intents
            } else {
                reminded_adds(actions)
            };
        }
    }
    // "mark #2 as done and delete #3": two requests joined by "and" before a command word.
    if let Some(i) = (1..ws.len()).find(|&i| {
        ws[i].is_in("and then")
            && ws.get(i + 1).is_some_and(|w| {
                w.is_in(
                    "delete remove complete mark show list rename change update move \
                    reschedule add create tick then tell close finish",
                )
            })
    }) {
        let skip = i + 1 + usize::from(ws[i + 1].is("then"));
        let (a, b) = (one(&ws[..i], now), one(&ws[skip..], now));
        // After an add, "and delete old files" is more likely part of the title than a second
        // request, unless it names a task by number or quotes.
        // Ticking off a task that is not there yet would make no sense as a title, though.
        let named = |i: &Intent| match i {
            Intent::Reopen(r) | Intent::Delete(r) | Intent::Update(r, _) => {
                !matches!(r, TaskRef::Words(_))
            }
            Intent::Complete(_) | Intent::List(_) | Intent::Add(_) => true,
            _ => false,
        };
        if a != Intent::Unknown
            && b != Intent::Unknown
            && (!matches!(a, Intent::Add(_)) || named(&b))
        {
            return reminded_adds(vec![a, b]);
        }
    }
    vec![one(&ws, now)]
}

/// "Add the dentist on friday at 3pm. Remind me an hour before.": the reminder belongs to the task
/// just added, which no earlier answer named yet.
fn reminded_adds(intents: Vec<Intent>) -> Vec<Intent> {
    let mut out: Vec<Intent> = Vec::with_capacity(intents.len());
    for intent in intents {
        if let (
            Intent::Remind(Remind {
                task: TaskRef::It,
                at,
                or_add: None,
            }),
            Some(Intent::Add(drafts)),
        ) = (&intent, out.last_mut())
        {
            if let [d] = drafts.as_mut_slice() {
                if !at.is_empty() {
                    d.reminders.extend(at.iter().copied());
                    continue;
                }
            }
        }
        out.push(intent);
    }
    out
}

fn split_sentences(ws: &[Word]) -> Vec<Vec<Word>> {
    let mut out = vec![Vec::new()];
    for w in ws {
        out.last_mut().expect("never empty").push(w.clone());
        if !w.quoted && w.text.ends_with(['.', '!', '?', ';']) && !w.norm.is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

pub(super) fn one(ws: &[Word], now: DateTime<Utc>) -> Intent {
    let ws = glue_symbols(ws);
    if ws.is_empty() {
        return Intent::Help;
    }
    if let Some(i) = social(&ws) {
        return i;
    }
    if let Some(i) = clear_reminders(&strip_politeness(&ws)) {
        return i;
    }
    // Before courtesy is stripped: "and", "also", "oops" are what make these follow-ups.
    if let Some(i) = follow_up(&ws, now) {
        return i;
    }
    let ws = strip_politeness(&ws);
    if ws.is_empty() {
        return Intent::Thanks;
    }
    if let Some(i) = social(&ws) {
        return i;
    }
    if let Some(i) = follow_up(&ws, now) {
        return i;
    }
    if let Some(i) = reminders(&ws, now) {
        return i;
    }
    if let Some(i) = lists(&ws, now) {
        return i;
    }
    if let Some(i) = subtasks(&ws, now) {
        return i;
    }
    if let Some(i) = stop_repeating(&ws) {
        return i;
    }
    if let Some(i) = update_by_adding(&ws, now) {
        return i;
    }
    if let Some(i) = explicit_add(&ws, now) {
        return i;
    }
    if let Some(i) = flagged_add(&ws, now) {
        return i;
    }
    if let Some(topic) = unsupported(&ws) {
        return if topic == "time" {
            Intent::Clock
        } else {
            Intent::Unsupported(topic)
        };
    }
    if let Some(i) = statement(&ws, now) {
        return i;
    }
    if let Some(i) = subject_first_update(&ws, now) {
        return i;
    }
    if let Some(i) = bulk(&ws) {
        return i;
    }
    if let Some(i) = show(&ws) {
        return i;
    }
    if let Some(i) = list(&ws, now) {
        return i;
    }
    if let Some(i) = delete(&ws, now) {
        return i;
    }
    if let Some(i) = complete(&ws, now) {
        return i;
    }
    if let Some(i) = update(&ws, now) {
        return i;
    }
    if let Some(i) = loose_add(&ws, now) {
        return i;
    }
    // "Tomorrow I need to call the vet", "on friday, pay rent": the date first, then the task.
    if let Some(f) = dates::find(&ws, now).filter(|f| f.start == 0 && f.end < ws.len()) {
        if let Intent::Add(mut drafts) = one(&ws[f.end..], now) {
            for d in &mut drafts {
                d.due.get_or_insert(f.when);
            }
            return Intent::Add(drafts);
        }
    }
    Intent::Unknown
}

#[cfg(test)]
mod tests;
