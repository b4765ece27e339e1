//! Follow-ups: "yes" / "no" / "the first one" after a question of the last answer.

use serde_json::json;
use todo_domain::{Task, DELETE_TASK, LIST_TASKS};

use super::act::{act, find_matches, Action, WHICH_ONE_TAIL};
use super::wording::{every_task, explain, named, tasks_of};
use super::Context;
use crate::history::{self, Pending, WHICH_ONE};
use crate::parse::{self, Intent, TaskRef};
use crate::{ToolFailure, Tools};

pub(super) async fn confirm(ctx: &Context<'_>, tools: &mut impl Tools) -> String {
    match history::pending(ctx.history) {
        Pending::Delete(ids) if !ids.is_empty() => {
            let mut lines = Vec::new();
            for id in ids {
                lines.push(
                    match tools.call(DELETE_TASK, json!({"task_id": id})).await {
                        Ok(v) => format!("Deleted {}.", named(&v, id)),
                        Err(ToolFailure::NotFound(_)) => format!("Task {id} was already gone."),
                        Err(e) => explain(&e, "delete that"),
                    },
                );
            }
            lines.join("\n")
        }
        Pending::Choose { .. } => WHICH_ONE_TAIL.into(),
        _ => "Okay! What would you like to do next?".into(),
    }
}

pub(super) async fn pick(ctx: &Context<'_>, r: TaskRef, tools: &mut impl Tools) -> String {
    let Pending::Choose { request, ids } = history::pending(ctx.history) else {
        return match r {
            TaskRef::Id(id) => format!("What should I do with task {id}? You can say “complete {id}”, “delete {id}” or “rename task {id} to …”."),
            _ => "What would you like to do with it? You can complete, update or delete a task.".into(),
        };
    };
    // A number is a task id when it is one of the choices, else a position ("2" = the second).
    let chosen = match r {
        TaskRef::Words(w) => {
            let all = match tools.call(LIST_TASKS, every_task()).await {
                Ok(v) => tasks_of(v),
                Err(e) => return explain(&e, "look up your tasks"),
            };
            let options: Vec<Task> = all.into_iter().filter(|t| ids.contains(&t.id)).collect();
            match find_matches(&options, &w, false, false).as_slice() {
                [t] => Some(t.id),
                _ => None,
            }
        }
        TaskRef::Id(n) if ids.contains(&n) => Some(n),
        TaskRef::Id(n) => usize::try_from(n)
            .ok()
            .and_then(|k| ids.get(k.wrapping_sub(1)).copied()),
        TaskRef::Nth(0) => ids.last().copied(),
        TaskRef::Nth(k) => ids.get(k - 1).copied(),
        _ => None,
    };
    let Some(id) = chosen else {
        return format!(
            "That isn't one of the choices. {WHICH_ONE}\n{}",
            ids.iter()
                .map(|i| format!("- #{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    };
    // Re-read the ambiguous request and apply it to the chosen task. Picking by number is as
    // explicit as "delete task 5", so a delete happens without a second question.
    let action = parse::parse(&request, ctx.now)
        .into_iter()
        .find_map(|i| match i {
            Intent::Complete(_) => Some(Action::Complete),
            Intent::Reopen(_) => Some(Action::Reopen),
            Intent::Delete(_) => Some(Action::Delete),
            Intent::Update(_, c) => Some(Action::Update(c)),
            Intent::AddSubtasks(_, d) => Some(Action::AddSubtasks(d)),
            _ => None,
        });
    match action {
        Some(action) => act(ctx, action, &TaskRef::Id(id), tools).await,
        None => format!("What should I do with task {id}?"),
    }
}
