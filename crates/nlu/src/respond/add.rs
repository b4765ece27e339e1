//! Adding tasks: one tool call per draft, then one sentence for all of them.

use serde_json::{json, Map, Value};
use todo_domain::{ReminderInput, Task, ADD_TASK, LIST_TASKS};

use super::act::find_matches;
use super::whole::NOTHING_YET;
use super::wording::{
    and_list, explain, hashtags, priority_name, rfc3339, rule_text, short, tasks_of, when_text,
};
use super::Context;
use super::{lists, reminders};
use crate::parse::{Draft, ReminderChange};
use crate::Tools;

pub(super) async fn add(ctx: &Context<'_>, drafts: &[Draft], tools: &mut impl Tools) -> String {
    if let Some(question) = repeats(drafts, tools).await {
        return question;
    }
    // "add milk to the groceries list": the list's own name, or the offer to create it.
    let mut drafts = drafts.to_vec();
    let named: Vec<String> = drafts.iter().filter_map(|d| d.list.clone()).collect();
    if let Some(name) = named.first() {
        let titles: Vec<String> = drafts.iter().map(|d| format!("'{}'", d.title)).collect();
        let doing = format!("add {} to it", and_list(&titles));
        match lists::target(ctx, name, &doing, tools).await {
            Ok(list) => drafts
                .iter_mut()
                .filter(|d| d.list.is_some())
                .for_each(|d| d.list = Some(list.clone())),
            Err(answer) => return answer,
        }
    }
    // A reminder that cannot go off (nothing to count back from, a time past) asks before adding.
    for d in drafts.iter().filter(|d| !d.reminders.is_empty()) {
        let at = ReminderChange::Add(d.reminders.clone());
        let name = format!("“{}”", short(&d.title));
        if let Err(question) = reminders::change(ctx, &name, &[], d.due.map(|w| w.at), &at) {
            return format!("{NOTHING_YET} {question}");
        }
    }
    let mut added = Vec::new();
    let mut problems = Vec::new();
    for d in &drafts {
        match tools.call(ADD_TASK, Value::Object(arguments(d))).await {
            Ok(v) => added.push((v["task_id"].as_i64().unwrap_or_default(), d)),
            Err(e) => problems.push(explain(&e, &format!("add “{}”", short(&d.title)))),
        }
    }
    let mut out = match added.as_slice() {
        [] => String::new(),
        [(id, d)] => added_one(ctx, *id, d, ""),
        many => {
            let lines: Vec<String> = many
                .iter()
                .map(|(id, d)| format!("- #{id} {}", d.title))
                .collect();
            let details = draft_details(ctx, many[0].1);
            format!(
                "Added {} tasks{}:\n{}",
                many.len(),
                if details.is_empty() {
                    String::new()
                } else {
                    format!(" ({details})")
                },
                lines.join("\n")
            )
        }
    };
    for p in problems {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&p);
    }
    out
}

/// `add_task`'s arguments for a draft.
fn arguments(d: &Draft) -> Map<String, Value> {
    let mut args = Map::new();
    args.insert("title".into(), json!(d.title));
    if let Some(desc) = &d.description {
        args.insert("description".into(), json!(desc));
    }
    if let Some(p) = d.priority {
        args.insert("priority".into(), json!(p));
    }
    if !d.tags.is_empty() {
        args.insert("tags".into(), json!(d.tags));
    }
    if let Some(due) = d.due {
        args.insert("due_at".into(), json!(rfc3339(due.at)));
    }
    if let Some(r) = &d.recurrence {
        args.insert("recurrence".into(), json!(r.to_string()));
    }
    if let Some(l) = &d.list {
        args.insert("list".into(), json!(l));
    }
    if !d.reminders.is_empty() {
        let at: Vec<ReminderInput> = d.reminders.iter().map(|a| ReminderInput::of(*a)).collect();
        args.insert("reminders".into(), json!(at));
    }
    args
}

/// Adds `drafts` as subtasks of `parent`.
pub(super) async fn subtasks(
    ctx: &Context<'_>,
    parent: &Task,
    drafts: &[Draft],
    tools: &mut impl Tools,
) -> String {
    let mut added = Vec::new();
    let mut problems = Vec::new();
    for d in drafts {
        let mut args = arguments(d);
        args.insert("parent_id".into(), json!(parent.id));
        match tools.call(ADD_TASK, Value::Object(args)).await {
            Ok(v) => added.push((v["task_id"].as_i64().unwrap_or_default(), d)),
            Err(e) => problems.push(explain(&e, &format!("add “{}”", short(&d.title)))),
        }
    }
    let under = format!("'{}' (task {})", parent.title, parent.id);
    let mut lines = match added.as_slice() {
        [] => Vec::new(),
        [(id, d)] => vec![added_one(ctx, *id, d, &format!(" as a subtask of {under}"))],
        many => std::iter::once(format!("Added {} subtasks to {under}:", many.len()))
            .chain(many.iter().map(|(id, d)| format!("- #{id} {}", d.title)))
            .collect(),
    };
    lines.extend(problems);
    lines.join("\n")
}

/// "Added 'Milk' (task 3){placed}, due tomorrow, in Groceries."
fn added_one(ctx: &Context<'_>, id: i64, d: &Draft, placed: &str) -> String {
    let details = draft_details(ctx, d);
    format!(
        "Added '{}' (task {id}){placed}{}.",
        d.title,
        if details.is_empty() {
            String::new()
        } else {
            format!(", {details}")
        }
    )
}

fn draft_details(ctx: &Context<'_>, d: &Draft) -> String {
    let mut parts = Vec::new();
    if let Some(p) = d.priority {
        parts.push(format!("{} priority", priority_name(p)));
    }
    if let Some(due) = d.due {
        parts.push(format!("due {}", when_text(due.at, ctx.now)));
    }
    if let Some(r) = &d.recurrence {
        parts.push(format!("repeating {}", rule_text(r)));
    }
    if let Some(l) = &d.list {
        parts.push(format!("in {l}"));
    }
    if !d.tags.is_empty() {
        parts.push(format!("tagged {}", hashtags(&d.tags)));
    }
    if d.description.is_some() {
        parts.push("with a description".into());
    }
    if !d.reminders.is_empty() {
        let when: Vec<String> = d
            .reminders
            .iter()
            .map(|a| reminders::said(*a, ctx.now))
            .collect();
        parts.push(format!("reminding you {}", and_list(&when)));
    }
    parts.join(", ")
}

/// A task added without saying "add" ("call the dentist", "I need to pay rent") that is already on
/// the list is more likely about that task than a second copy: the question to ask instead.
pub(super) async fn repeats(drafts: &[Draft], tools: &mut impl Tools) -> Option<String> {
    if !drafts.iter().any(|d| d.loose) {
        return None;
    }
    match tools
        .call(LIST_TASKS, json!({"status": "pending", "limit": 200}))
        .await
    {
        Ok(v) => repeated(drafts, &tasks_of(v)),
        Err(e) => Some(explain(&e, "look up your tasks")),
    }
}

/// [`repeats`] among `tasks` (completed ones are no reason to ask).
pub(super) fn repeated(drafts: &[Draft], tasks: &[Task]) -> Option<String> {
    let pending: Vec<Task> = tasks.iter().filter(|t| !t.completed).cloned().collect();
    drafts.iter().filter(|d| d.loose).find_map(|d| {
        // "finish the laundry" is about "Do the laundry" as much as "Finish the laundry" would be.
        let named = d
            .title
            .split_once(' ')
            .filter(|(verb, _)| ["finish", "complete", "do"].contains(&verb.to_lowercase().as_str()))
            .map_or(d.title.as_str(), |(_, rest)| rest);
        let same = find_matches(&pending, named, true, false);
        let t = same.first()?;
        Some(format!(
            "You already have '{}' (task {}). To add another, say “add {}”; or tell me what to do with task {}, e.g. “task {} is done”.",
            t.title,
            t.id,
            d.title.to_lowercase(),
            t.id,
            t.id
        ))
    })
}
