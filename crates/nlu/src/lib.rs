//! The built-in offline assistant (`LLM_PROVIDER=builtin`, the default without a model key): a
//! deterministic understanding of everyday task requests, with no model and no network. It acts only
//! through [`Tools`]; it must not depend on HTTP, a database or MCP, so it stays testable in seconds.
//! Its example corpora run end to end in `todo-assistant` on the real tools: single requests
//! (`tests/corpus.json`, in `tests/corpus.rs`, over SQLite) and whole conversations
//! (`tests/conversations.json`, in `tests/conversations.rs`, as stored chat turns over SQLite and
//! PostgreSQL, checking the whole task list after every turn).
//!
//! - [`text`]: words, keeping what was typed beside a normalised form (case, punctuation, typos).
//! - [`dates`]: date and time phrases ("next friday 5pm", "in 3 days") -> times on the user's wall
//!   clock; [`zone`] turns them into instants at the tools and back.
//! - [`parse`]: a message -> [`parse::Intent`]s, plain data, unit-tested without I/O.
//! - [`history`]: what the conversation talked about, read back from the answers' own wording: the
//!   tasks listed last (in order), the task just added or changed, a question ("Which one do you
//!   mean?", "Say yes to confirm.").
//! - [`memory`]: what the words cannot carry, stored with each answer by the caller: how to undo
//!   the last change, the request that made it, a bulk request waiting for "yes".
//! - [`respond`]: intents -> tool calls -> friendly sentences.
//!
//! **The safety rule: a message that could mean more than one thing never changes data; it asks.**
//! In practice: a reference that fits several tasks asks which (a parent for subtasks too); a list
//! name that is no list asks before creating one; a loose request that names an
//! existing task ("call the dentist" while "Call the dentist" is on the list) asks instead of
//! adding a second one (an explicit "add …" always adds); a compound request ("add bread and tick
//! off the rent") is checked whole before any part runs, and if one part cannot be done nothing is
//! done; a bulk action ("mark them all done", "clear everything I've finished") states how many
//! tasks it will touch and waits for a yes. The corpora check the whole task state after every
//! turn, so a case that changed anything it should not have fails.
//!
//! Rules worth knowing:
//! - Several tasks in one message ("add milk, eggs and bread") are split only when every item is
//!   a verb with its object ("call mom and pay bills") or none starts with a verb and each is at
//!   most three words; otherwise it is one task ("call Tom and Jerry about the plan", "buy milk and
//!   eggs"). Quoted titles are kept verbatim.
//! - A message that starts with a common task verb and its object ("buy milk", "call mom
//!   tomorrow") is a task to add; a verb alone ("test") is not, it gets the "say add …" hint.
//! - A message that starts with a task number ("task 2 is done", "#3 high priority") is about
//!   that task, never a list question.
//! - A delete that names a task by its title asks first and happens on "yes"; a delete by number,
//!   by "it", or by picking from a list acts at once, as the task is already unambiguous. Bulk
//!   actions ("clear completed tasks", "delete all", "mark them all done", "bring back all completed
//!   ones") always state the count and ask first.
//! - Dates and times are the user's (their time zone setting); a date without a time is that day's
//!   midnight, which the product stores as midnight UTC, a date.
//! - "to the groceries list" names a list (no longer a tag). A list name the user has no list for
//!   is never guessed at: the answer names the lists there are and offers to create it, and a
//!   "yes" does; in a compound request nothing runs.
//! - A repeat rule that names its days ("every other Monday", "on the 1st of every month") also
//!   sets the first due date: the next such day after today. "Every monday" alone stays the plain
//!   weekly rule, due next Monday, as before.
//! - Subtasks go under the one task the message names: a name that fits several asks which.
//! - Reminders: "remind me 10 minutes before" / "the day before at 9" / "when it's due" count back
//!   from the due time (the day's time in the user's zone); "tomorrow at 9", "in 20 minutes" are
//!   instants (a day alone means 9:00, a time already past today means tomorrow). "remind me about
//!   the report …" reminds of the task it names, or adds it when none fits and a time was said;
//!   "remind me to …" adds a task reminded when due. A reminder that cannot go off (no due date to
//!   count back from, a time already past) or that says no time asks "When should I remind you
//!   about …?", and a time alone answers that. New reminders join the task's others; "no
//!   reminders for that" takes them all off; "undo" puts the old list back.

mod dates;
mod history;
mod memory;
mod parse;
mod respond;
mod text;
mod zone;

use std::future::Future;

use chrono::DateTime;
use serde_json::Value;
use todo_domain::{PastMessage, Task, Tz};

/// The task tools as the assistant reaches them, already bound to the signed-in user: the caller
/// records, streams or forwards each call as it likes.
pub trait Tools {
    /// Calls tool `name` (`todo_domain::ADD_TASK`, …) with a JSON object of arguments.
    fn call(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> impl Future<Output = Result<Value, ToolFailure>> + Send;

    /// Task `id` as it stands, read without it counting as a tool call: a change made through
    /// these tools can be undone only when the task it changes could be read first. `None` where
    /// the tools cannot tell (then "undo" says it cannot reverse that change).
    fn peek(&mut self, id: i64) -> impl Future<Output = Option<Task>> + Send {
        let _ = id;
        std::future::ready(None)
    }
}

/// Why a tool call did not succeed, in the detail an answer words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolFailure {
    /// No task with this id for the caller.
    NotFound(i64),
    /// The arguments broke a rule; the tool's message, e.g. "invalid input (title: …)".
    Invalid(String),
    /// The tools (or the store behind them) cannot be reached right now.
    Unreachable,
    /// Any other refusal, as the tool worded it.
    Other(String),
}

/// An answer, and what to store with it for the next turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    /// Hand back as `memory` with the next message of the same conversation.
    pub memory: String,
}

/// Answers `message` (the user's newest message) given the conversation so far (`history`, oldest
/// first, NOT including `message`) and the memory stored with the last answer, acting only through
/// `tools`; `now` is in the user's time zone, which the dates it reads and says are in.
pub async fn reply(
    history: &[PastMessage],
    memory: Option<&str>,
    message: &str,
    tools: &mut (impl Tools + Send),
    now: DateTime<Tz>,
) -> Reply {
    let memory = memory::Memory::read(memory);
    let mut tools = zone::Zoned::new(tools, now.timezone());
    let (text, memory) = respond::answer(history, &memory, message, &mut tools, now).await;
    Reply {
        text,
        memory: memory.write(),
    }
}
