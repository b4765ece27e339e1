//! Listing tasks (filtered, sorted, counted) and asking before deleting many.

use serde_json::{json, Map, Value};
use todo_domain::{Status, Task, LIST_TASKS};

use super::wording::{explain, priority_name, rfc3339, status_name, task_line, tasks_of};
use super::{lists, Context};
use crate::history::CONFIRM_DELETE;
use crate::parse::{Filter, SortBy};
use crate::text::capitalise;
use crate::{ToolFailure, Tools};

/// Most tasks one answer lists line by line; the rest are counted.
const SHOWN: usize = 25;

pub(super) async fn list(ctx: &Context<'_>, f: &Filter, tools: &mut impl Tools) -> String {
    let mut f = f.clone();
    // "what's in my work list?": that list by its own name; an unknown one is never guessed at.
    if let Some(name) = f.list.take() {
        let lists = match lists::all_lists(tools).await {
            Ok(l) => l,
            Err(why) => return why,
        };
        match lists::named(&lists, &name) {
            Some(l) => f.list = Some(l.name.clone()),
            None => {
                let name = capitalise(&name);
                return format!(
                    "{} Say “create a list called {name}” to make it.",
                    lists::no_such_list(&name, &lists)
                );
            }
        }
    }
    // "my work tasks": the tasks tagged #work, or failing that, the ones mentioning "work".
    if let Some(k) = f.keyword.take() {
        f.tag = Some(k.clone());
        match fetch(&f, tools).await {
            Ok(tasks) if !tasks.is_empty() => return show(ctx, &f, tasks),
            Ok(_) => {
                f.tag = None;
                f.search = Some(k);
            }
            Err(e) => return explain(&e, "list your tasks"),
        }
    }
    match fetch(&f, tools).await {
        Ok(tasks) => show(ctx, &f, tasks),
        Err(e) => explain(&e, "list your tasks"),
    }
}

async fn fetch(f: &Filter, tools: &mut impl Tools) -> Result<Vec<Task>, ToolFailure> {
    let mut args = Map::new();
    args.insert("status".into(), json!(status_name(f.status)));
    if let Some(p) = f.priority {
        args.insert("priority".into(), json!(p));
    }
    if let Some(t) = &f.tag {
        args.insert("tag".into(), json!(t));
    }
    if let Some(s) = &f.search {
        args.insert("search".into(), json!(s));
    }
    if let Some(d) = &f.due {
        args.insert("due_before".into(), json!(rfc3339(d.before)));
    }
    if let Some(l) = &f.list {
        args.insert("list".into(), json!(l));
    }
    tools
        .call(LIST_TASKS, Value::Object(args))
        .await
        .map(tasks_of)
}

fn show(ctx: &Context<'_>, f: &Filter, mut tasks: Vec<Task>) -> String {
    if let Some(d) = &f.due {
        tasks.retain(|t| {
            t.due_at
                .is_some_and(|at| d.from.is_none_or(|from| at >= from))
        });
        tasks.sort_by_key(|t| t.due_at);
    } else {
        // Still to do first; each group keeps the newest-first order of the tool.
        tasks.sort_by_key(|t| t.completed);
    }
    match f.sort {
        // Undated tasks last.
        Some(SortBy::Due) => tasks.sort_by_key(|t| (t.due_at.is_none(), t.due_at)),
        Some(SortBy::Priority) => tasks.sort_by_key(|t| std::cmp::Reverse(t.priority)),
        Some(SortBy::Title) => tasks.sort_by_key(|t| t.title.to_lowercase()),
        None => {}
    }
    let what = describe(f);
    if tasks.is_empty() {
        let plain = f.priority.is_none()
            && f.tag.is_none()
            && f.search.is_none()
            && f.due.is_none()
            && f.list.is_none();
        return match (f.status, plain) {
            (Status::Pending, true) => "You have no pending tasks — nice!".into(),
            (Status::All, true) => {
                "You don't have any tasks yet. Say “add buy milk” to create one.".into()
            }
            (Status::Completed, true) => "You haven't completed any tasks yet.".into(),
            _ => format!("You have no {what}."),
        };
    }
    let n = tasks.len();
    let header = if f.count {
        format!(
            "You have {n} {}:",
            if n == 1 {
                what.replacen("tasks", "task", 1)
            } else {
                what.clone()
            }
        )
    } else {
        format!("Here are your {what} ({n}):")
    };
    let mut lines = vec![header];
    lines.extend(tasks.iter().take(SHOWN).map(|t| task_line(t, ctx.now)));
    if n > SHOWN {
        lines.push(format!("…and {} more.", n - SHOWN));
    }
    lines.join("\n")
}

/// "pending high-priority tasks tagged #work due today matching “milk”".
fn describe(f: &Filter) -> String {
    let mut s = String::new();
    match f.status {
        Status::Pending => s.push_str("pending "),
        Status::Completed => s.push_str("completed "),
        Status::All => {}
    }
    if let Some(p) = f.priority {
        s.push_str(&format!("{}-priority ", priority_name(p)));
    }
    s.push_str("tasks");
    if let Some(t) = &f.tag {
        s.push_str(&format!(" tagged #{t}"));
    }
    if let Some(d) = &f.due {
        if d.label == "overdue" {
            s = format!("overdue {}", s.trim_start_matches("pending "));
        } else {
            s.push_str(&format!(" due {}", d.label));
        }
    }
    if let Some(q) = &f.search {
        s.push_str(&format!(" matching “{q}”"));
    }
    if let Some(l) = &f.list {
        s.push_str(&format!(" in {l}"));
    }
    s
}

pub(super) async fn delete_all(status: Status, tools: &mut impl Tools) -> String {
    let tasks = match tools
        .call(
            LIST_TASKS,
            json!({"status": status_name(status), "limit": 200}),
        )
        .await
        .map(tasks_of)
    {
        Ok(t) => t,
        Err(e) => return explain(&e, "look at your tasks"),
    };
    let which = match status {
        Status::Completed => "completed ",
        Status::Pending => "pending ",
        Status::All => "",
    };
    if tasks.is_empty() {
        return format!("You have no {which}tasks to delete.");
    }
    let mut tasks = tasks;
    tasks.sort_by_key(|t| t.id);
    let ids: Vec<String> = tasks.iter().map(|t| t.id.to_string()).collect();
    // Always asked first: a bulk delete cannot be undone.
    if let [t] = tasks.as_slice() {
        return format!("Delete '{}' (task {})? {CONFIRM_DELETE}", t.title, t.id);
    }
    format!(
        "Delete all {} {which}tasks (tasks {})? {CONFIRM_DELETE}",
        tasks.len(),
        ids.join(", ")
    )
}
