//! Intents -> tool calls -> friendly sentences. Everything here acts through [`Tools`], which is
//! bound to the signed-in user, so no request can reach another user's tasks.
//!
//! - `follow_up`: "yes", "no" and "the first one" after a question of the last answer.
//! - `conversation`: "undo", "the laundry as well", "sorry, I meant the rent one": requests that
//!   only make sense after the last change.
//! - `whole`: a compound request checked whole before any part of it runs.
//! - `add`, `list`, `act`, `bulk`: adding tasks (and subtasks), listing them, acting on one (or
//!   a few by number), and acting on many after a yes.
//! - `lists`: creating and listing lists, and finding the one a request names.
//! - `record`: the turn's changes and how to undo them.
//! - `wording`: tasks, dates and tool refusals as sentences.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use todo_domain::{PastMessage, Role, Tz};

use crate::history::{self, Pending};
use crate::memory::{Confirm, Memory};
use crate::parse::{self, Changes, Intent, ReminderChange, TaskRef};
use crate::zone::wall_clock;
use crate::Tools;

mod act;
mod add;
mod bulk;
mod conversation;
mod follow_up;
mod list;
mod lists;
mod record;
mod reminders;
mod whole;
mod wording;

use act::{act, Action};
use record::Recorder;

const EXAMPLES: &str = "For example: “add buy milk tomorrow”, “what's pending?”, “mark task 3 as done”, “rename task 2 to Call the bank”, “delete the meeting task”.";

/// What one answer knows besides the message: the clock and what the conversation left open.
pub struct Context<'h> {
    /// The user's wall clock (see [`crate::zone`]).
    pub now: DateTime<Utc>,
    pub zone: Tz,
    pub history: &'h [PastMessage],
    pub memory: &'h Memory,
    /// The request being answered: the message, or the request a "yes" confirmed.
    pub request: String,
    /// The user said yes to this request, counted on these tasks: act without asking again.
    pub confirmed: Option<Vec<i64>>,
    /// A question this answer asks that a "yes" settles.
    pub asks: Mutex<Option<Confirm>>,
}

impl Context<'_> {
    /// Asks "… Say yes to confirm." about this request, counted on `ids`.
    fn ask(&self, ids: Vec<i64>) {
        *self.asks.lock().expect("not poisoned") = Some(Confirm {
            request: self.request.clone(),
            ids,
        });
    }
}

/// Answers `message`; returns the answer and the memory to store with it.
pub async fn answer(
    history: &[PastMessage],
    memory: &Memory,
    message: &str,
    tools: &mut (impl Tools + Send),
    now: DateTime<Tz>,
) -> (String, Memory) {
    let zone = now.timezone();
    let now = wall_clock(now);
    let mut ctx = Context {
        now,
        zone,
        history,
        memory,
        request: message.to_owned(),
        confirmed: None,
        asks: Mutex::new(None),
    };
    let mut intents = parse::parse(message, now);
    // The conversation's own follow-ups become ordinary intents here (or an answer at once).
    let mut rec = Recorder::new(tools);
    match conversation::follow_on(&mut ctx, &intents, &mut rec).await {
        conversation::Next::Reply(text, next) => return (text, next),
        conversation::Next::Run(i) => intents = i,
        conversation::Next::Parsed => {}
    }
    // "yes" to "Delete …? Say yes to confirm.": the change belongs to the request asked about.
    if intents == [Intent::Confirm] && ctx.confirmed.is_none() {
        if let Some(asked) = history.iter().rev().find(|t| t.role == Role::User) {
            ctx.request = asked.content.clone();
        }
    }
    let text = respond(&ctx, message, intents, &mut rec).await;
    let changed = rec.changed;
    let next = Memory {
        undo: match (changed, rec.reversible) {
            (true, true) => rec.undo,
            (true, false) => Vec::new(),
            (false, _) => memory.undo.clone(),
        },
        request: if changed {
            Some(ctx.request.clone())
        } else {
            memory.request.clone()
        },
        confirm: ctx.asks.into_inner().expect("not poisoned"),
    };
    (text, next)
}

async fn respond(
    ctx: &Context<'_>,
    message: &str,
    mut intents: Vec<Intent>,
    tools: &mut (impl Tools + Send),
) -> String {
    // After "when should I remind you about …?", a time alone ("10 minutes before") answers it.
    if let Pending::RemindWhen(id) = history::pending(ctx.history) {
        if let Some(at) = parse::reminder_answer(message, ctx.now) {
            let changes = Changes {
                reminders: Some(ReminderChange::Add(at)),
                ..Default::default()
            };
            intents = vec![Intent::Update(TaskRef::Id(id), changes)];
        }
    }
    // After "which one do you mean?", an answer like "the oat one" names one of the choices.
    if intents == [Intent::Unknown]
        && matches!(history::pending(ctx.history), Pending::Choose { .. })
    {
        intents = vec![Intent::Pick(TaskRef::Words(message.to_owned()))];
    }
    // A few words that are nothing else are likely a task to add: say how.
    let words = message.split_whitespace().count();
    let text = message.trim().trim_end_matches(['?', '!', '.']);
    if intents == [Intent::Unknown]
        && (1..=6).contains(&words)
        && text.chars().any(char::is_alphanumeric)
    {
        return format!(
            "Sorry, I didn't understand that. To add it as a task, say “add {text}”. I can also list, complete, update and delete your tasks. {EXAMPLES}"
        );
    }
    // Several requests run only when every part can: otherwise nothing runs and the answer asks.
    if intents.len() > 1 {
        intents = match whole::prepare(ctx, intents, tools).await {
            Ok(i) => i,
            Err(question) => return question,
        };
    }
    let mut parts = Vec::new();
    for intent in intents {
        parts.push(run(ctx, intent, tools).await);
    }
    parts.join("\n\n")
}

async fn run(ctx: &Context<'_>, intent: Intent, tools: &mut (impl Tools + Send)) -> String {
    match intent {
        Intent::Greet => format!(
            "Hi! I'm your task assistant: I can add, list, complete, update and delete your tasks. {EXAMPLES}"
        ),
        Intent::Thanks => "You're welcome! Anything else I can do for your list?".into(),
        Intent::Bye => "Bye! Your tasks will be here when you get back.".into(),
        Intent::Help => help(),
        Intent::Clock => format!(
            "It's {} ({}).",
            ctx.now.format("%A, %B %-d, %Y, %H:%M"),
            ctx.zone
        ),
        Intent::Unsupported(topic) => format!(
            "Sorry, I can't help with {topic} — I only manage your tasks. I can add, list, complete, update and delete them. {EXAMPLES}"
        ),
        Intent::Unknown => format!(
            "Sorry, I didn't understand that. I can add, list, complete, update and delete your tasks. {EXAMPLES}"
        ),
        Intent::Incomplete(what) => incomplete(what),
        Intent::Confirm => follow_up::confirm(ctx, tools).await,
        Intent::Deny if ctx.memory.confirm.is_some() => {
            "Okay, I've left everything as it is.".into()
        }
        Intent::Deny => match history::pending(ctx.history) {
            Pending::Delete(_) => "Okay, I won't delete anything.".into(),
            Pending::Choose { .. } => "Okay, never mind. What would you like to do instead?".into(),
            Pending::RemindWhen(_) => "Okay, no reminder then.".into(),
            Pending::Nothing => "Okay. Anything else?".into(),
        },
        Intent::Pick(r) => follow_up::pick(ctx, r, tools).await,
        Intent::Add(drafts) => add::add(ctx, &drafts, tools).await,
        Intent::List(filter) => list::list(ctx, &filter, tools).await,
        Intent::DeleteAll(status) => list::delete_all(status, tools).await,
        Intent::Complete(r) => act(ctx, Action::Complete, &r, tools).await,
        Intent::Reopen(r) => act(ctx, Action::Reopen, &r, tools).await,
        Intent::Delete(r) => act(ctx, Action::Delete, &r, tools).await,
        Intent::Update(r, changes) => act(ctx, Action::Update(changes), &r, tools).await,
        Intent::Show(r) => act(ctx, Action::Show, &r, tools).await,
        Intent::StillOpen(r) => act(ctx, Action::StillOpen, &r, tools).await,
        Intent::Bulk(action, scope) => bulk::bulk(ctx, action, scope, tools).await,
        Intent::CreateList(name) => lists::create(&name, tools).await,
        Intent::Lists => lists::show_lists(tools).await,
        Intent::Reminders(days) => reminders::show(days, tools).await,
        Intent::Remind(r) => reminders::remind(ctx, &r, tools).await,
        Intent::AddSubtasks(r, drafts) => act(ctx, Action::AddSubtasks(drafts), &r, tools).await,
        // Handled by `conversation::follow_on` before anything runs.
        Intent::Undo | Intent::Again(_) | Intent::Redirect(_) => {
            "Sorry, I can't tell what that follows on from. What would you like to do?".into()
        }
    }
}

fn help() -> String {
    [
        "I manage your tasks. You can say things like:",
        "- “add buy milk tomorrow”, “remind me to call mom on friday at 5pm”, “add pay rent every month #home !high”",
        "- “show my tasks”, “what's pending?”, “what's due this week?”, “tasks tagged #work”, “search for milk”",
        "- “mark task 3 as done”, “done with the report”",
        "- “rename task 2 to Call the bank”, “make the report high priority”, “move the dentist to friday”, “tag task 2 with #home”",
        "- “delete task 5”, “delete the meeting task” (I'll ask before deleting by name)",
        "- “create a list called Work”, “add milk to the groceries list”, “what's in my work list?”, “move task 3 to the work list”",
        "- “break the report into: outline, draft, review”, “remind me every other Monday to water the plants”, “stop repeating the gym task”",
        "- “remind me about the report 10 minutes before”, “remind me 1 day before at 9”, “what reminders do I have today?”, “no reminders for that”",
    ]
    .join("\n")
}

fn incomplete(what: &str) -> String {
    match what {
        "add" => "What should I add? For example: “add buy milk tomorrow”.".into(),
        "delete" => "Which task should I delete? Give its number or part of its title, e.g. “delete task 3” or “delete the meeting task”.".into(),
        "update" => "What should I change? For example: “rename task 2 to Call the bank” or “make task 3 high priority”.".into(),
        "remind" => "What should I remind you about, and when? For example: “remind me to call mom tomorrow at 9” or “remind me about the report 10 minutes before”.".into(),
        "subtask" => "Which task, and what steps? For example: “add a subtask to the report: check the figures” or “break the report into: outline, draft, review”.".into(),
        _ => "Which task? Give its number or part of its title, e.g. “mark task 3 as done” or “done with the milk one”.".into(),
    }
}
