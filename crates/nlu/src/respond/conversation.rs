//! Requests that only make sense after the last answer: "undo" (reverse the last change), "the
//! laundry as well" / "and the last one" (the last change again, on another task), "sorry, I meant
//! the rent one" (the last change moved to another task), and "yes" to a bulk or compound request
//! the last answer asked about. Each becomes ordinary intents, or an answer at once.

use todo_domain::{ADD_TASK, DELETE_TASK};

use super::wording::{explain, named};
use super::{whole, Context};
use crate::memory::Memory;
use crate::parse::{self, Draft, Intent, TaskRef};
use crate::text::capitalise;
use crate::Tools;

pub(super) enum Next {
    /// Answer with this, storing this memory.
    Reply(String, Memory),
    /// Run these intents instead of the message's own.
    Run(Vec<Intent>),
    /// Run the message's own intents.
    Parsed,
}

pub(super) async fn follow_on(
    ctx: &mut Context<'_>,
    intents: &[Intent],
    tools: &mut (impl Tools + Send),
) -> Next {
    let memory = ctx.memory;
    match intents {
        [Intent::Undo] => {
            let (text, undone) = undo(memory, tools).await;
            let next = Memory {
                // Undone once: a second "undo" must not redo it.
                undo: Vec::new(),
                request: None,
                confirm: None,
            };
            Next::Reply(text, if undone { next } else { memory.clone() })
        }
        [Intent::Confirm] => match &memory.confirm {
            Some(c) => {
                ctx.request = c.request.clone();
                ctx.confirmed = Some(c.ids.clone());
                Next::Run(parse::parse(&c.request, ctx.now))
            }
            None => Next::Parsed,
        },
        [Intent::Again(r)] => match retarget(ctx, r) {
            Ok(intents) => Next::Run(intents),
            Err(text) => Next::Reply(text, memory.clone()),
        },
        [Intent::Redirect(r)] => {
            let intents = match retarget(ctx, r) {
                Ok(i) => i,
                Err(text) => return Next::Reply(text, memory.clone()),
            };
            if memory.undo.is_empty() {
                return Next::Reply(
                    "Sorry, I can't take back my last change, so I haven't changed anything. Tell me exactly what to do, e.g. “complete task 3”.".into(),
                    memory.clone(),
                );
            }
            // The new target must be found before the old change is taken back.
            let intents = match whole::prepare(ctx, intents, tools).await {
                Ok(i) => i,
                Err(question) => return Next::Reply(question, memory.clone()),
            };
            match undo(memory, tools).await {
                (_, true) => Next::Run(intents),
                (text, false) => Next::Reply(text, memory.clone()),
            }
        }
        _ => Next::Parsed,
    }
}

const NOT_SURE: &str = "Sorry, I'm not sure what you'd like me to do with that. Say what to do, e.g. “complete the laundry”.";

/// The last change's request, aimed at `r` instead. Keeps the request for a further "as well".
fn retarget(ctx: &mut Context<'_>, r: &TaskRef) -> Result<Vec<Intent>, String> {
    let Some(request) = ctx.memory.request.clone() else {
        return Err(NOT_SURE.into());
    };
    let aimed: Option<Vec<Intent>> = parse::parse(&request, ctx.now)
        .into_iter()
        .find_map(|i| aim(i, r))
        .map(|i| vec![i]);
    ctx.request = request;
    aimed.ok_or_else(|| NOT_SURE.into())
}

/// The same action as `i`, on `r`.
fn aim(i: Intent, r: &TaskRef) -> Option<Intent> {
    Some(match i {
        Intent::Complete(_) => Intent::Complete(r.clone()),
        Intent::Reopen(_) => Intent::Reopen(r.clone()),
        Intent::Delete(_) => Intent::Delete(r.clone()),
        Intent::StillOpen(_) => Intent::StillOpen(r.clone()),
        Intent::Update(_, c) => Intent::Update(r.clone(), c),
        // "add milk tomorrow" … "the bread as well": another task with the same details.
        Intent::Add(drafts) => {
            let TaskRef::Words(w) = r else { return None };
            let first = drafts.into_iter().next()?;
            Intent::Add(vec![Draft {
                title: capitalise(w),
                description: None,
                ..first
            }])
        }
        _ => return None,
    })
}

/// Runs the calls that reverse the last change; the answer, and whether anything was undone.
async fn undo(memory: &Memory, tools: &mut impl Tools) -> (String, bool) {
    if memory.undo.is_empty() {
        let text = if memory.request.is_some() {
            "Sorry, I can't undo my last change."
        } else {
            "There's nothing for me to undo."
        };
        return (text.into(), false);
    }
    let mut lines = Vec::new();
    for op in &memory.undo {
        let id = op.arguments["task_id"].as_i64().unwrap_or_default();
        lines.push(match tools.call(&op.name, op.arguments.clone()).await {
            Ok(v) => match op.name.as_str() {
                DELETE_TASK => format!("removed {}", named(&v, id)),
                ADD_TASK => format!(
                    "brought back {}",
                    named(&v, v["task_id"].as_i64().unwrap_or_default())
                ),
                _ => format!("put {} back as it was", named(&v, id)),
            },
            Err(e) => {
                return (
                    format!("Sorry, {}", lower_first(&explain(&e, "undo that"))),
                    false,
                )
            }
        });
    }
    (format!("Undone: {}.", lines.join("; ")), true)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
