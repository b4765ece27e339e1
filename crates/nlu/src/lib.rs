//! The built-in offline assistant (`LLM_PROVIDER=builtin`, the default without a model key): a
//! deterministic understanding of everyday task requests, with no model and no network. It acts only
//! through [`Tools`]; it must not depend on HTTP, a database or MCP, so it stays testable in seconds.
//! Its example corpus (`tests/corpus.json`) runs end to end in `todo-assistant`
//! (`tests/corpus.rs`), on the real tools over SQLite.
//!
//! - [`text`]: words, keeping what was typed beside a normalised form (case, punctuation, typos).
//! - [`dates`]: date and time phrases ("next friday 5pm", "in 3 days") -> UTC instants.
//! - [`parse`]: a message -> [`parse::Intent`]s, plain data, unit-tested without I/O.
//! - [`history`]: the question the last answer asked ("Say yes to confirm."), read back from the
//!   conversation, since nothing is remembered between requests.
//! - [`respond`]: intents -> tool calls -> friendly sentences.
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
//!   deletes ("clear completed tasks", "delete all") always ask. There is no bulk complete
//!   ("mark all as done" says how to complete several by number).
//! - Dates are UTC; a date without a time is that day's midnight.

mod dates;
mod history;
mod parse;
mod respond;
mod text;

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;
use todo_domain::PastMessage;

/// The task tools as the assistant reaches them, already bound to the signed-in user: the caller
/// records, streams or forwards each call as it likes.
pub trait Tools {
    /// Calls tool `name` (`todo_domain::ADD_TASK`, …) with a JSON object of arguments.
    fn call(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> impl Future<Output = Result<Value, ToolFailure>> + Send;
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

/// Answers `message` (the user's newest message) given the conversation so far (`history`, oldest
/// first, NOT including `message`), acting only through `tools`.
pub async fn reply(
    history: &[PastMessage],
    message: &str,
    tools: &mut impl Tools,
    now: DateTime<Utc>,
) -> String {
    let ctx = respond::Context { now, history };
    respond::answer(&ctx, message, tools).await
}
