//! Intents -> tool calls -> friendly sentences. Everything here acts through [`TurnTools`], which is
//! bound to the signed-in user, so no request can reach another user's tasks.

use chrono::{DateTime, Duration, SecondsFormat, Timelike, Utc};
use serde_json::{json, Map, Value};
use todo_domain::{Priority, Recurrence, Status, Task};

use super::dates::When;
use super::history::{self, Pending, CONFIRM_DELETE, WHICH_ONE};
use super::parse::{self, Changes, Draft, Filter, Intent, SortBy, TaskRef};
use super::text::content_words;
use crate::tools::{ADD_TASK, COMPLETE_TASK, DELETE_TASK, LIST_TASKS, UPDATE_TASK};
use crate::turn::{Turn, TurnTools};
use crate::ToolError;

/// Most tasks one answer lists line by line; the rest are counted.
const SHOWN: usize = 25;

const EXAMPLES: &str = "For example: “add buy milk tomorrow”, “what's pending?”, “mark task 3 as done”, “rename task 2 to Call the bank”, “delete the meeting task”.";

/// What one answer knows besides the message: the clock and what the conversation left open.
pub struct Context<'h> {
    pub now: DateTime<Utc>,
    pub history: &'h [Turn],
}

pub async fn answer(ctx: &Context<'_>, message: &str, tools: &mut TurnTools<'_>) -> String {
    let mut intents = parse::parse(message, ctx.now);
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
    let mut parts = Vec::new();
    for intent in intents {
        parts.push(run(ctx, intent, tools).await);
    }
    parts.join("\n\n")
}

async fn run(ctx: &Context<'_>, intent: Intent, tools: &mut TurnTools<'_>) -> String {
    match intent {
        Intent::Greet => format!(
            "Hi! I'm your task assistant: I can add, list, complete, update and delete your tasks. {EXAMPLES}"
        ),
        Intent::Thanks => "You're welcome! Anything else I can do for your list?".into(),
        Intent::Bye => "Bye! Your tasks will be here when you get back.".into(),
        Intent::Help => help(),
        Intent::Clock => format!(
            "It's {} (UTC).",
            ctx.now.format("%A, %B %-d, %Y, %H:%M")
        ),
        Intent::Unsupported(topic) => format!(
            "Sorry, I can't help with {topic} — I only manage your tasks. I can add, list, complete, update and delete them. {EXAMPLES}"
        ),
        Intent::Unknown => format!(
            "Sorry, I didn't understand that. I can add, list, complete, update and delete your tasks. {EXAMPLES}"
        ),
        Intent::Incomplete(what) => incomplete(what),
        Intent::Confirm => confirm(ctx, tools).await,
        Intent::Deny => match history::pending(ctx.history) {
            Pending::Delete(_) => "Okay, I won't delete anything.".into(),
            Pending::Choose { .. } => "Okay, never mind. What would you like to do instead?".into(),
            Pending::Nothing => "Okay. Anything else?".into(),
        },
        Intent::Pick(r) => pick(ctx, r, tools).await,
        Intent::Add(drafts) => add(ctx, &drafts, tools).await,
        Intent::List(filter) => list(ctx, &filter, tools).await,
        Intent::DeleteAll(status) => delete_all(status, tools).await,
        Intent::Complete(r) => act(ctx, Action::Complete, &r, tools).await,
        Intent::Reopen(r) => act(ctx, Action::Reopen, &r, tools).await,
        Intent::Delete(r) => act(ctx, Action::Delete, &r, tools).await,
        Intent::Update(r, changes) => act(ctx, Action::Update(changes), &r, tools).await,
        Intent::Show(r) => act(ctx, Action::Show, &r, tools).await,
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
    ]
    .join("\n")
}

fn incomplete(what: &str) -> String {
    match what {
        "add" => "What should I add? For example: “add buy milk tomorrow”.".into(),
        "delete" => "Which task should I delete? Give its number or part of its title, e.g. “delete task 3” or “delete the meeting task”.".into(),
        "update" => "What should I change? For example: “rename task 2 to Call the bank” or “make task 3 high priority”.".into(),
        _ => "Which task? Give its number or part of its title, e.g. “mark task 3 as done” or “done with the milk one”.".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Follow-ups: yes / no / "the first one"

async fn confirm(ctx: &Context<'_>, tools: &mut TurnTools<'_>) -> String {
    match history::pending(ctx.history) {
        Pending::Delete(ids) if !ids.is_empty() => {
            let mut lines = Vec::new();
            for id in ids {
                lines.push(
                    match tools.call(DELETE_TASK, json!({"task_id": id})).await {
                        Ok(v) => format!("Deleted {}.", named(&v, id)),
                        Err(ToolError::NotFound(_)) => format!("Task {id} was already gone."),
                        Err(e) => explain(&e, "delete that"),
                    },
                );
            }
            lines.join("\n")
        }
        Pending::Choose { .. } => {
            format!("{WHICH_ONE} Reply with its task number, or say “the first one”.")
        }
        _ => "Okay! What would you like to do next?".into(),
    }
}

async fn pick(ctx: &Context<'_>, r: TaskRef, tools: &mut TurnTools<'_>) -> String {
    let Pending::Choose { request, ids } = history::pending(ctx.history) else {
        return match r {
            TaskRef::Id(id) => format!("What should I do with task {id}? You can say “complete {id}”, “delete {id}” or “rename task {id} to …”."),
            _ => "What would you like to do with it? You can complete, update or delete a task.".into(),
        };
    };
    // A number is a task id when it is one of the choices, else a position ("2" = the second).
    let chosen = match r {
        TaskRef::Words(w) => {
            let all = match tools
                .call(LIST_TASKS, json!({"status": "all", "limit": 200}))
                .await
            {
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
            _ => None,
        });
    match action {
        Some(action) => act(ctx, action, &TaskRef::Id(id), tools).await,
        None => format!("What should I do with task {id}?"),
    }
}

// ---------------------------------------------------------------------------------------------
// Adding

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn add(ctx: &Context<'_>, drafts: &[Draft], tools: &mut TurnTools<'_>) -> String {
    let mut added = Vec::new();
    let mut problems = Vec::new();
    for d in drafts {
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
        if let Some(r) = d.recurrence {
            args.insert("recurrence".into(), json!(r.as_str()));
        }
        match tools.call(ADD_TASK, Value::Object(args)).await {
            Ok(v) => added.push((v["task_id"].as_i64().unwrap_or_default(), d)),
            Err(e) => problems.push(explain(&e, &format!("add “{}”", short(&d.title)))),
        }
    }
    let mut out = match added.as_slice() {
        [] => String::new(),
        [(id, d)] => {
            let details = draft_details(ctx, d);
            format!(
                "Added '{}' (task {id}){}.",
                d.title,
                if details.is_empty() {
                    String::new()
                } else {
                    format!(", {details}")
                }
            )
        }
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

fn draft_details(ctx: &Context<'_>, d: &Draft) -> String {
    let mut parts = Vec::new();
    if let Some(p) = d.priority {
        parts.push(format!("{} priority", priority_name(p)));
    }
    if let Some(due) = d.due {
        parts.push(format!("due {}", when_text(due.at, ctx.now)));
    }
    if let Some(r) = d.recurrence {
        parts.push(format!("repeating {}", r.as_str()));
    }
    if !d.tags.is_empty() {
        parts.push(format!("tagged {}", hashtags(&d.tags)));
    }
    if d.description.is_some() {
        parts.push("with a description".into());
    }
    parts.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Listing

async fn list(ctx: &Context<'_>, f: &Filter, tools: &mut TurnTools<'_>) -> String {
    let mut f = f.clone();
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

async fn fetch(f: &Filter, tools: &mut TurnTools<'_>) -> Result<Vec<Task>, ToolError> {
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
        let plain =
            f.priority.is_none() && f.tag.is_none() && f.search.is_none() && f.due.is_none();
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
    s
}

/// "'Buy milk' (task 3) is done." / "'Pay rent' (task 4) is still to do: due tomorrow."
fn task_state(t: &Task, now: DateTime<Utc>) -> String {
    let mut details = details(t, now);
    // Said outright, as "when is it due?" asks exactly this.
    if t.due_at.is_none() && !t.completed {
        details.push("no due date".into());
    }
    let mut s = if t.completed {
        format!("'{}' (task {}) is done ✓.", t.title, t.id)
    } else {
        format!(
            "'{}' (task {}) is still to do: {}.",
            t.title,
            t.id,
            details.join(", ")
        )
    };
    if let Some(d) = &t.description {
        s.push_str(&format!("\nDescription: {d}"));
    }
    s
}

fn details(t: &Task, now: DateTime<Utc>) -> Vec<String> {
    let mut details = Vec::new();
    if t.priority != Priority::Medium {
        details.push(format!("{} priority", priority_name(t.priority)));
    }
    if let Some(at) = t.due_at {
        if !t.completed && at < now {
            details.push(format!("overdue, was due {}", when_text(at, now)));
        } else {
            details.push(format!("due {}", when_text(at, now)));
        }
    }
    if let Some(r) = t.recurrence {
        details.push(format!("repeats {}", r.as_str()));
    }
    if !t.tags.is_empty() {
        details.push(hashtags(&t.tags));
    }
    details
}

fn task_line(t: &Task, now: DateTime<Utc>) -> String {
    let details = details(t, now);
    format!(
        "- #{} {}{}{}",
        t.id,
        if t.completed { "✓ " } else { "" },
        t.title,
        if details.is_empty() {
            String::new()
        } else {
            format!(" ({})", details.join(", "))
        }
    )
}

async fn delete_all(status: Status, tools: &mut TurnTools<'_>) -> String {
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

// ---------------------------------------------------------------------------------------------
// Acting on one task

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Complete,
    Reopen,
    Delete,
    Update(Changes),
    Show,
}

impl Action {
    fn verb(&self) -> &'static str {
        match self {
            Action::Complete => "complete",
            Action::Reopen => "reopen",
            Action::Delete => "delete",
            Action::Update(_) => "change",
            Action::Show => "show",
        }
    }
}

/// A task a reference resolved to: its id, and the task itself when it had to be looked up.
struct Found {
    id: i64,
    task: Option<Task>,
    /// Resolved from words of its title (not a number or "it"): deletes ask first.
    by_name: bool,
}

async fn act(ctx: &Context<'_>, action: Action, r: &TaskRef, tools: &mut TurnTools<'_>) -> String {
    // "complete 1, 2 and 3": the same action on each, one line each.
    if let TaskRef::Many(ids) = r {
        let mut lines = Vec::new();
        for id in ids {
            lines.push(act_one(ctx, action.clone(), &TaskRef::Id(*id), tools).await);
        }
        return lines.join("\n");
    }
    act_one(ctx, action, r, tools).await
}

async fn act_one(
    ctx: &Context<'_>,
    action: Action,
    r: &TaskRef,
    tools: &mut TurnTools<'_>,
) -> String {
    let needs_task = action == Action::Show
        || matches!(&action, Action::Update(c) if !c.add_tags.is_empty() || !c.remove_tags.is_empty() || c.keep_day || c.shift_days.is_some());
    let found = match resolve(ctx, r, &action, needs_task, tools).await {
        Ok(f) => f,
        Err(reply) => return reply,
    };
    let id = found.id;
    match action {
        Action::Complete => {
            if let Some(t) = found.task.as_ref().filter(|t| t.completed) {
                return format!("'{}' (task {id}) is already done.", t.title);
            }
            match tools.call(COMPLETE_TASK, json!({"task_id": id})).await {
                Ok(v) => {
                    let repeats = found.task.as_ref().and_then(|t| t.recurrence);
                    let mut s = format!("Marked {} as done. Nice work!", named(&v, id));
                    if let Some(r) = repeats {
                        s.push_str(&format!(
                            " It repeats {}, so the next one is on your list.",
                            r.as_str()
                        ));
                    }
                    s
                }
                Err(e) => explain_for(&e, id, "complete it"),
            }
        }
        Action::Reopen => match tools
            .call(UPDATE_TASK, json!({"task_id": id, "completed": false}))
            .await
        {
            Ok(v) => format!("Reopened {}; it's back on your list.", named(&v, id)),
            Err(e) => explain_for(&e, id, "reopen it"),
        },
        Action::Delete => {
            if found.by_name {
                let title = found
                    .task
                    .as_ref()
                    .map_or(String::new(), |t| t.title.clone());
                return format!("Delete '{title}' (task {id})? {CONFIRM_DELETE}");
            }
            match tools.call(DELETE_TASK, json!({"task_id": id})).await {
                Ok(v) => format!("Deleted {}.", named(&v, id)),
                Err(e) => explain_for(&e, id, "delete it"),
            }
        }
        Action::Update(changes) => update(ctx, id, found.task.as_ref(), &changes, tools).await,
        Action::Show => match &found.task {
            Some(t) => task_state(t, ctx.now),
            None => not_found_id(id),
        },
    }
}

async fn update(
    ctx: &Context<'_>,
    id: i64,
    task: Option<&Task>,
    c: &Changes,
    tools: &mut TurnTools<'_>,
) -> String {
    let mut args = Map::new();
    args.insert("task_id".into(), json!(id));
    let mut said = Vec::new();
    if let Some(t) = &c.title {
        args.insert("title".into(), json!(t));
        said.push(format!("renamed to '{t}'"));
    }
    if let Some(d) = &c.description {
        args.insert("description".into(), json!(d));
        said.push(if d.is_some() {
            "description updated".into()
        } else {
            "description removed".to_owned()
        });
    }
    if let Some(p) = c.priority {
        args.insert("priority".into(), json!(p));
        said.push(format!("{} priority", priority_name(p)));
    }
    let mut due = c.due;
    // "move the meeting to 3pm": the same day as before, at the new time.
    if let (true, Some(Some(w)), Some(day)) = (
        c.keep_day,
        due,
        task.and_then(|t| t.due_at).map(|d| d.date_naive()),
    ) {
        due = Some(Some(When {
            at: day.and_time(w.at.time()).and_utc(),
            timed: true,
        }));
    }
    if let Some(days) = c.shift_days {
        let from = task.and_then(|t| t.due_at).unwrap_or_else(|| {
            ctx.now
                .date_naive()
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
        });
        due = Some(Some(When {
            at: from + Duration::days(days),
            timed: false,
        }));
    }
    if let Some(due) = due {
        args.insert("due_at".into(), json!(due.map(|w| rfc3339(w.at))));
        said.push(match due {
            Some(w) => format!("due {}", when_text(w.at, ctx.now)),
            None => "no due date".into(),
        });
    }
    if let Some(r) = c.recurrence {
        args.insert("recurrence".into(), json!(r.map(Recurrence::as_str)));
        said.push(match r {
            Some(r) => format!("repeating {}", r.as_str()),
            None => "no longer repeating".into(),
        });
    }
    if !c.add_tags.is_empty() || !c.remove_tags.is_empty() {
        let mut tags: Vec<String> = task.map(|t| t.tags.clone()).unwrap_or_default();
        if c.remove_tags.iter().any(|t| t == "*") {
            tags.clear();
        }
        tags.retain(|t| !c.remove_tags.contains(t));
        for t in &c.add_tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        said.push(if tags.is_empty() {
            "no tags".into()
        } else {
            format!("tagged {}", hashtags(&tags))
        });
        args.insert("tags".into(), json!(tags));
    }
    match tools.call(UPDATE_TASK, Value::Object(args)).await {
        Ok(v) => format!("Updated {}: {}.", named(&v, id), said.join(", ")),
        Err(e) => explain_for(&e, id, "change it"),
    }
}

/// Finds the task `r` names. `Err` carries the reply when there is none, or more than one.
async fn resolve(
    ctx: &Context<'_>,
    r: &TaskRef,
    action: &Action,
    needs_task: bool,
    tools: &mut TurnTools<'_>,
) -> Result<Found, String> {
    let pointed = match r {
        TaskRef::Id(id) => Some(*id),
        TaskRef::It => match history::mentioned(ctx.history).as_slice() {
            [id] => Some(*id),
            [] => {
                return Err(format!(
                "Which task do you mean? Give its number or part of its title, e.g. “{} task 3”.",
                action.verb()
            ))
            }
            _ => None,
        },
        TaskRef::Nth(k) => {
            let ids = history::mentioned(ctx.history);
            let id = if *k == 0 { ids.last() } else { ids.get(k - 1) };
            match id {
                Some(id) => Some(*id),
                None if ids.is_empty() => return Err("Which list do you mean? Say “show my tasks” first, then pick one by its number.".into()),
                None => return Err(format!("I only showed {} tasks; which one do you mean? Give its number.", ids.len())),
            }
        }
        TaskRef::Title(_) | TaskRef::Words(_) | TaskRef::Many(_) => None,
    };
    if let Some(id) = pointed {
        if !needs_task {
            return Ok(Found {
                id,
                task: None,
                by_name: false,
            });
        }
    }
    let all = tools
        .call(LIST_TASKS, json!({"status": "all", "limit": 200}))
        .await
        .map(tasks_of)
        .map_err(|e| explain(&e, "look up your tasks"))?;
    if let Some(id) = pointed {
        return match all.into_iter().find(|t| t.id == id) {
            Some(t) => Ok(Found {
                id,
                task: Some(t),
                by_name: false,
            }),
            None => Err(not_found_id(id)),
        };
    }
    // "it" after a list of several: ask which of those.
    if let TaskRef::It = r {
        let ids = history::mentioned(ctx.history);
        let options: Vec<&Task> = ids
            .iter()
            .filter_map(|id| all.iter().find(|t| t.id == *id))
            .collect();
        return Err(ask_which(&options, None));
    }
    let (query, exact) = match r {
        TaskRef::Title(t) => (t.as_str(), true),
        TaskRef::Words(w) => (w.as_str(), false),
        _ => unreachable!("handled above"),
    };
    // "complete all tasks": one at a time, or several by number.
    if content_words(query)
        .iter()
        .all(|w| ["all", "everyth", "everything", "every", "them"].contains(&w.as_str()))
    {
        return Err(format!(
            "I can {} tasks one at a time, or several by number: “{} 1, 2 and 3”. Say “show my tasks” to see the numbers.",
            action.verb(),
            action.verb()
        ));
    }
    if all.is_empty() {
        return Err("You don't have any tasks yet. Say “add buy milk” to create one.".into());
    }
    let prefer_done = *action == Action::Reopen;
    let matches = find_matches(&all, query, exact, prefer_done);
    match matches.as_slice() {
        [] => Err(format!(
            "I couldn't find a task matching “{query}”. Say “show my tasks” to see them all, or start with “add” to make it a new task."
        )),
        [t] => Ok(Found {
            id: t.id,
            task: Some((*t).clone()),
            by_name: true,
        }),
        many => Err(ask_which(many, Some(query))),
    }
}

fn ask_which(options: &[&Task], query: Option<&str>) -> String {
    // Oldest first, so "the first one" is the one the user most likely added first.
    let mut options = options.to_vec();
    options.sort_by_key(|t| t.id);
    let head = match query {
        Some(q) => format!("I found {} tasks matching “{q}”:", options.len()),
        None => "Which task do you mean?".into(),
    };
    let lines: Vec<String> = options
        .iter()
        .map(|t| {
            format!(
                "- #{} {}{}",
                t.id,
                if t.completed { "✓ " } else { "" },
                t.title
            )
        })
        .collect();
    format!(
        "{head}\n{}\n{WHICH_ONE} Reply with its task number, or say “the first one”.",
        lines.join("\n")
    )
}

/// Tasks whose title matches `query`: the same title (ignoring case) first; otherwise every word of
/// the query found among the title's words (stemmed, so "buying" finds "Buy"), or failing that, the
/// tasks sharing the most words with it, at least half of them. Pending tasks win over completed ones
/// (the reverse for reopening) when both match.
fn find_matches<'t>(all: &'t [Task], query: &str, exact: bool, prefer_done: bool) -> Vec<&'t Task> {
    let key = |s: &str| s.trim().to_lowercase();
    let same: Vec<&Task> = all.iter().filter(|t| key(&t.title) == key(query)).collect();
    let found = if !same.is_empty() {
        same
    } else {
        let q = content_words(query);
        if q.is_empty() {
            return Vec::new();
        }
        let score = |t: &Task| {
            let mut words = content_words(&t.title);
            words.extend(t.tags.iter().cloned());
            q.iter()
                .filter(|w| {
                    words
                        .iter()
                        .any(|t| t == *w || (w.len() >= 3 && t.starts_with(w.as_str())))
                })
                .count()
        };
        let scored: Vec<(usize, &Task)> = all
            .iter()
            .map(|t| (score(t), t))
            .filter(|(s, _)| *s > 0)
            .collect();
        let best = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
        let enough = if exact {
            best == q.len()
        } else {
            best * 2 >= q.len()
        };
        if !enough {
            return Vec::new();
        }
        scored
            .into_iter()
            .filter(|(s, _)| *s == best)
            .map(|(_, t)| t)
            .collect()
    };
    let preferred: Vec<&Task> = found
        .iter()
        .copied()
        .filter(|t| t.completed == prefer_done)
        .collect();
    if preferred.is_empty() {
        found
    } else {
        preferred
    }
}

// ---------------------------------------------------------------------------------------------
// Wording

fn tasks_of(v: Value) -> Vec<Task> {
    serde_json::from_value(v).unwrap_or_default()
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::All => "all",
        Status::Pending => "pending",
        Status::Completed => "completed",
    }
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
    }
}

fn hashtags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "'Buy milk' (task 3)" from a tool's `{task_id, title}` answer.
fn named(v: &Value, id: i64) -> String {
    match v["title"].as_str() {
        Some(t) => format!("'{t}' (task {id})"),
        None => format!("task {id}"),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// "today", "tomorrow at 5pm", "on Friday", "on Dec 24", "on Dec 24, 2027".
pub fn when_text(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (day, today) = (at.date_naive(), now.date_naive());
    let date = if day == today {
        "today".to_owned()
    } else if day == today + Duration::days(1) {
        "tomorrow".to_owned()
    } else if day == today - Duration::days(1) {
        "yesterday".to_owned()
    } else if day > today && day < today + Duration::days(7) {
        format!("on {}", day.format("%A"))
    } else if day.format("%Y").to_string() == today.format("%Y").to_string() {
        format!("on {}", day.format("%a, %b %-d"))
    } else {
        format!("on {}", day.format("%b %-d, %Y"))
    };
    if at.time() == chrono::NaiveTime::MIN {
        return date;
    }
    let (pm, h) = at.hour12();
    let time = if at.minute() == 0 {
        format!("{h}{}", if pm { "pm" } else { "am" })
    } else {
        format!("{h}:{:02}{}", at.minute(), if pm { "pm" } else { "am" })
    };
    format!("{date} at {time}")
}

fn not_found_id(id: i64) -> String {
    format!("I couldn't find task {id}. Say “show my tasks” to see your tasks and their numbers.")
}

fn explain_for(e: &ToolError, id: i64, doing: &str) -> String {
    match e {
        ToolError::NotFound(_) => not_found_id(id),
        other => explain(other, doing),
    }
}

/// A tool's refusal as a sentence: "I couldn't add “…”: the title must be at most 200 characters."
fn explain(e: &ToolError, doing: &str) -> String {
    match e {
        ToolError::NotFound(id) => not_found_id(*id),
        ToolError::Invalid(msg) => {
            // "invalid input (title: must be …; due_at: …)" -> "the title must be …".
            let inner = msg
                .strip_prefix("invalid input (")
                .and_then(|m| m.strip_suffix(')'))
                .unwrap_or(msg);
            let reasons: Vec<String> = inner
                .split("; ")
                .map(|part| match part.split_once(": ") {
                    Some((field, why)) => format!("the {} {why}", field.replace('_', " ")),
                    None => part.to_owned(),
                })
                .collect();
            format!("I couldn't {doing}: {}.", reasons.join("; "))
        }
        ToolError::Unavailable | ToolError::Transport(_) => {
            "Your tasks can't be reached right now; please try again in a moment.".into()
        }
        other => format!("I couldn't {doing}: {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn when_in_words() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        assert_eq!(when_text(at(11, 27, 0), now), "tomorrow");
        assert_eq!(when_text(at(11, 27, 17), now), "tomorrow at 5pm");
        assert_eq!(when_text(at(11, 30, 0), now), "on Monday");
        assert_eq!(when_text(at(12, 24, 9), now), "on Thu, Dec 24 at 9am");
    }

    #[test]
    fn refusals_in_words() {
        let e = ToolError::Invalid(
            "invalid input (title: must be at most 200 characters (got 300))".into(),
        );
        assert_eq!(
            explain(&e, "add it"),
            "I couldn't add it: the title must be at most 200 characters (got 300)."
        );
    }
}
