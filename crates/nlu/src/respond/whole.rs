//! A request of several parts ("add bread and tick off the rent", "close the dentist task and tell
//! me what's left", "sorry, I meant the rent one") is checked whole before any part runs: every task
//! it names must be found, exactly one each, and a new task must not repeat one on the list.
//! Otherwise nothing runs and the answer says why; a delete by name among the parts asks for a yes
//! to the whole.

use todo_domain::LIST_TASKS;

use super::act::{locate, Action, WHICH_ONE_TAIL};
use super::add::repeated;
use super::wording::{every_task, explain, tasks_of};
use super::{lists, Context};
use crate::history::CONFIRM_DELETE;
use crate::parse::{Draft, Intent, TaskRef};
use crate::text::capitalise;
use crate::Tools;

/// Opens an answer that did none of a request of several parts.
pub(super) const NOTHING_YET: &str = "I haven't done any of that yet:";

/// The intents with every task pinned to its number, or the answer to give instead.
pub(super) async fn prepare(
    ctx: &Context<'_>,
    intents: Vec<Intent>,
    tools: &mut impl Tools,
) -> Result<Vec<Intent>, String> {
    // The tasks are read once, and only when some part names one.
    let names_one = intents.iter().any(|i| match i {
        Intent::Add(drafts) => drafts.iter().any(|d| d.loose),
        Intent::List(_) | Intent::Greet | Intent::Thanks | Intent::Help => false,
        _ => true,
    });
    let all = if names_one {
        match tools.call(LIST_TASKS, every_task()).await {
            Ok(v) => tasks_of(v),
            Err(e) => return Err(explain(&e, "look up your tasks")),
        }
    } else {
        Vec::new()
    };
    unknown_list(&intents, tools).await?;
    let mut out = Vec::new();
    let mut deletes = Vec::new();
    for intent in intents {
        let (action, r) = match intent {
            Intent::Add(drafts) => {
                if let Some(question) = repeated(&drafts, &all) {
                    return Err(format!("{NOTHING_YET} {question}"));
                }
                let drafts = drafts
                    .into_iter()
                    .map(|d| Draft { loose: false, ..d })
                    .collect();
                out.push(Intent::Add(drafts));
                continue;
            }
            Intent::Complete(r) => (Action::Complete, r),
            Intent::Reopen(r) => (Action::Reopen, r),
            Intent::Delete(r) => (Action::Delete, r),
            Intent::StillOpen(r) => (Action::StillOpen, r),
            Intent::Show(r) => (Action::Show, r),
            Intent::Update(r, c) => (Action::Update(c), r),
            Intent::AddSubtasks(r, d) => (Action::AddSubtasks(d), r),
            other => {
                out.push(other);
                continue;
            }
        };
        let mut ids = Vec::new();
        let refs = match r {
            TaskRef::Many(ids) => ids.into_iter().map(TaskRef::Id).collect(),
            r => vec![r],
        };
        for r in refs {
            match locate(ctx, &r, &action, &all, tools).await {
                Ok((task, by_name)) => {
                    if by_name && action == Action::Delete {
                        deletes.push(format!("'{}' (task {})", task.title, task.id));
                    }
                    ids.push(task.id);
                }
                // Not a "which one?": its answer would run only the part it was asked for.
                Err(why) => {
                    return Err(format!(
                        "{NOTHING_YET} {}",
                        why.replace(WHICH_ONE_TAIL, "Say it all again with the task's number.")
                    ))
                }
            }
        }
        let r = match ids.as_slice() {
            [id] => TaskRef::Id(*id),
            _ => TaskRef::Many(ids),
        };
        out.push(match action {
            Action::Complete => Intent::Complete(r),
            Action::Reopen => Intent::Reopen(r),
            Action::Delete => Intent::Delete(r),
            Action::StillOpen => Intent::StillOpen(r),
            Action::Show => Intent::Show(r),
            Action::Update(c) => Intent::Update(r, c),
            Action::AddSubtasks(d) => Intent::AddSubtasks(r, d),
        });
    }
    if !deletes.is_empty() && ctx.confirmed.is_none() {
        ctx.ask(Vec::new());
        return Err(format!(
            "That deletes {} along with the rest. Do all of it? {CONFIRM_DELETE}",
            deletes.join(" and "),
        ));
    }
    Ok(out)
}

/// A list some part names that does not exist: the answer (creating it is offered only for a
/// request of one part).
async fn unknown_list(intents: &[Intent], tools: &mut impl Tools) -> Result<(), String> {
    let names: Vec<&String> = intents
        .iter()
        .flat_map(|i| match i {
            Intent::Add(drafts) => drafts.iter().filter_map(|d| d.list.as_ref()).collect(),
            Intent::Update(_, c) => c.list.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let all = lists::all_lists(tools).await?;
    match names.iter().find(|n| lists::named(&all, n).is_none()) {
        Some(name) => {
            let name = capitalise(name);
            Err(format!(
                "{NOTHING_YET} {} Say “create a list called {name}” first.",
                lists::no_such_list(&name, &all)
            ))
        }
        None => Ok(()),
    }
}
