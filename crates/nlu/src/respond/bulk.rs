//! Acting on many tasks at once ("mark them all done", "tick everything off", "bring back all
//! completed ones"): the answer first says how many tasks it will touch and which, and waits for a
//! yes; the yes acts on exactly those (the ones still in the state they were counted in).

use serde_json::json;
use todo_domain::{COMPLETE_TASK, LIST_TASKS, UPDATE_TASK};

use super::wording::{explain, named, tasks_of};
use super::Context;
use crate::history::{self, CONFIRM_DELETE};
use crate::parse::{BulkAction, Scope};
use crate::Tools;

pub(super) async fn bulk(
    ctx: &Context<'_>,
    action: BulkAction,
    scope: Scope,
    tools: &mut impl Tools,
) -> String {
    // The tasks an action applies to: pending ones to complete, completed ones to reopen.
    let (status, verb, done) = match action {
        BulkAction::Complete => ("pending", "Mark", " as done"),
        BulkAction::Reopen => ("completed", "Reopen", ""),
    };
    let tasks = match tools
        .call(LIST_TASKS, json!({"status": status, "limit": 200}))
        .await
    {
        Ok(v) => tasks_of(v),
        Err(e) => return explain(&e, "look at your tasks"),
    };
    let mut ids: Vec<i64> = match scope {
        Scope::Listed => history::listed(ctx.history)
            .into_iter()
            .filter(|id| tasks.iter().any(|t| t.id == *id))
            .collect(),
        Scope::All => {
            let mut ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
            ids.sort_unstable();
            ids
        }
    };
    if let Some(agreed) = &ctx.confirmed {
        ids.retain(|id| agreed.contains(id));
        let mut lines = Vec::new();
        for id in &ids {
            let call = match action {
                BulkAction::Complete => tools.call(COMPLETE_TASK, json!({"task_id": id})).await,
                BulkAction::Reopen => {
                    tools
                        .call(UPDATE_TASK, json!({"task_id": id, "completed": false}))
                        .await
                }
            };
            lines.push(match call {
                Ok(v) => format!("- {}", named(&v, *id)),
                Err(e) => format!("- task {id}: {}", explain(&e, "change it")),
            });
        }
        let did = match action {
            BulkAction::Complete => "Marked as done",
            BulkAction::Reopen => "Reopened",
        };
        return format!("{did} ({}):\n{}", ids.len(), lines.join("\n"));
    }
    match ids.as_slice() {
        [] => format!("There are no {status} tasks there to change."),
        [id] => {
            ctx.ask(ids.clone());
            format!("{verb} 1 {status} task (task {id}){done}? {CONFIRM_DELETE}")
        }
        _ => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            ctx.ask(ids.clone());
            format!(
                "{verb} all {} {status} tasks (tasks {}){done}? {CONFIRM_DELETE}",
                ids.len(),
                list.join(", ")
            )
        }
    }
}
