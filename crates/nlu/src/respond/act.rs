//! Acting on one task (or several by number): finding the task a reference names, then completing,
//! reopening, deleting, updating or describing it.

use chrono::Duration;
use serde_json::{json, Map, Value};
use todo_domain::{Recurrence, Task, COMPLETE_TASK, DELETE_TASK, LIST_TASKS, UPDATE_TASK};

use super::whole::NOTHING_YET;
use super::wording::{
    and_list, every_task, explain, explain_for, hashtags, named, not_found_id, priority_name,
    rfc3339, rule_text, task_state, tasks_of, when_text,
};
use super::Context;
use super::{add, lists, reminders};
use crate::dates::When;
use crate::history::{self, CONFIRM_DELETE};
use crate::parse::{Changes, Draft, TaskRef};
use crate::text::content_words;
use crate::Tools;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Action {
    Complete,
    Reopen,
    Delete,
    Update(Changes),
    Show,
    /// "I still haven't called the dentist": reopen it if it was ticked off, else say it's there.
    StillOpen,
    /// Add these under the task.
    AddSubtasks(Vec<Draft>),
}

impl Action {
    fn verb(&self) -> &'static str {
        match self {
            Action::Complete => "complete",
            Action::Reopen => "reopen",
            Action::Delete => "delete",
            Action::Update(_) => "change",
            Action::Show => "show",
            Action::StillOpen => "keep",
            Action::AddSubtasks(_) => "add subtasks to",
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

pub(super) async fn act(
    ctx: &Context<'_>,
    action: Action,
    r: &TaskRef,
    tools: &mut impl Tools,
) -> String {
    // "finish the laundry and the dishes": several tasks by name, each found or none acted on.
    if let TaskRef::Words(words) = r {
        match several(words, &action, tools).await {
            Some(Ok(ids)) if action == Action::Delete && ctx.confirmed.is_none() => {
                let all = ids
                    .iter()
                    .map(|(id, title)| format!("'{title}' (task {id})"))
                    .collect::<Vec<_>>();
                return format!("Delete {}? {CONFIRM_DELETE}", all.join(" and "));
            }
            Some(Ok(ids)) => {
                let ids: Vec<i64> = ids.into_iter().map(|(id, _)| id).collect();
                return each(ctx, action, &ids, tools).await;
            }
            Some(Err(reply)) => return reply,
            None => {}
        }
    }
    // "complete 1, 2 and 3": the same action on each, one line each.
    if let TaskRef::Many(ids) = r {
        return each(ctx, action, ids, tools).await;
    }
    act_one(ctx, action, r, tools).await
}

/// The same action on each task, one line each.
async fn each(ctx: &Context<'_>, action: Action, ids: &[i64], tools: &mut impl Tools) -> String {
    let mut lines = Vec::new();
    for id in ids {
        lines.push(act_one(ctx, action.clone(), &TaskRef::Id(*id), tools).await);
    }
    lines.join("\n")
}

async fn act_one(ctx: &Context<'_>, action: Action, r: &TaskRef, tools: &mut impl Tools) -> String {
    let needs_task = matches!(
        action,
        Action::Show | Action::StillOpen | Action::AddSubtasks(_)
    ) || matches!(&action, Action::Update(c) if !c.add_tags.is_empty() || !c.remove_tags.is_empty() || c.keep_day || c.shift_days.is_some() || c.reminders.is_some());
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
                    let repeats = found.task.as_ref().and_then(|t| t.recurrence.clone());
                    let mut s = format!("Marked {} as done. Nice work!", named(&v, id));
                    if let Some(r) = repeats {
                        s.push_str(&format!(
                            " It repeats {}, so the next one is on your list.",
                            rule_text(&r)
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
            if found.by_name && ctx.confirmed.is_none() {
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
        Action::StillOpen => match &found.task {
            Some(t) if t.completed => match tools
                .call(UPDATE_TASK, json!({"task_id": id, "completed": false}))
                .await
            {
                Ok(v) => format!(
                    "I had {} as done, so I've reopened it; it's back on your list.",
                    named(&v, id)
                ),
                Err(e) => explain_for(&e, id, "reopen it"),
            },
            Some(t) => format!("Noted: '{}' (task {id}) is still on your list.", t.title),
            None => not_found_id(id),
        },
        Action::AddSubtasks(drafts) => match &found.task {
            Some(parent) => add::subtasks(ctx, parent, &drafts, tools).await,
            None => not_found_id(id),
        },
    }
}

/// The tasks of "the laundry and the dishes" (ids and titles), when the words name several tasks
/// rather than one whole title: `None` when they are one reference, an answer when a part names no
/// task or more than one.
async fn several(
    words: &str,
    action: &Action,
    tools: &mut impl Tools,
) -> Option<Result<Vec<(i64, String)>, String>> {
    let parts: Vec<&str> = words
        .split([',', '&'])
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !content_words(p).is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    let all = match tools.call(LIST_TASKS, every_task()).await {
        Ok(v) => tasks_of(v),
        Err(e) => return Some(Err(explain(&e, "look up your tasks"))),
    };
    let prefer_done = *action == Action::Reopen;
    if find_matches(&all, words, true, prefer_done).len() == 1 {
        return None;
    }
    let mut found = Vec::new();
    for part in parts {
        match find_matches(&all, part, false, prefer_done).as_slice() {
            [t] => found.push((t.id, t.title.clone())),
            [] => {
                return Some(Err(format!(
                    "{NOTHING_YET} I couldn't find a task matching “{part}”."
                )))
            }
            many => {
                let titles: Vec<String> = many
                    .iter()
                    .map(|t| format!("#{} {}", t.id, t.title))
                    .collect();
                return Some(Err(format!(
                    "{NOTHING_YET} “{part}” could be {}. Say it again with the task numbers.",
                    titles.join(" or ")
                )));
            }
        }
    }
    Some(Ok(found))
}

/// The task `r` names, and whether it was found by words of its title; `Err` carries the answer
/// when there is none, or more than one.
pub(super) async fn locate(
    ctx: &Context<'_>,
    r: &TaskRef,
    action: &Action,
    all: &[Task],
    tools: &mut impl Tools,
) -> Result<(Task, bool), String> {
    let found = resolve_in(ctx, r, action, true, Some(all), tools).await?;
    match found.task {
        Some(t) => Ok((t, found.by_name)),
        None => Err(not_found_id(found.id)),
    }
}

pub(super) async fn update(
    ctx: &Context<'_>,
    id: i64,
    task: Option<&Task>,
    c: &Changes,
    tools: &mut impl Tools,
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
    if let Some(r) = &c.recurrence {
        args.insert(
            "recurrence".into(),
            json!(r.as_ref().map(Recurrence::to_string)),
        );
        said.push(match r {
            Some(r) => format!("repeating {}", rule_text(r)),
            None => "no longer repeating".into(),
        });
    }
    let mut reminded = None;
    if let Some(change) = &c.reminders {
        let due_after = match due {
            Some(d) => d.map(|w| w.at),
            None => task.and_then(|t| t.due_at),
        };
        let name = task.map_or_else(
            || format!("task {id}"),
            |t| format!("'{}' (task {id})", t.title),
        );
        let has = task.map_or(&[][..], |t| &t.reminders);
        match reminders::change(ctx, &name, has, due_after, change) {
            Ok((list, words)) => {
                args.insert("reminders".into(), list);
                said.push(match words.as_slice() {
                    [] => "no reminders".into(),
                    [one] => format!("a reminder {one}"),
                    many => format!("reminders {}", and_list(many)),
                });
                reminded = Some(words);
            }
            Err(question) => return question,
        }
    }
    if let Some(name) = &c.list {
        let title = task.map_or_else(|| format!("task {id}"), |t| format!("'{}'", t.title));
        match lists::target(ctx, name, &format!("move {title} there"), tools).await {
            Ok(list) => {
                args.insert("list".into(), json!(list));
                said.push(format!("moved to {list}"));
            }
            Err(answer) => return answer,
        }
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
    let only_reminders = said.len() == 1;
    match tools.call(UPDATE_TASK, Value::Object(args)).await {
        Ok(v) => match reminded.filter(|_| only_reminders) {
            Some(words) if words.is_empty() => format!("Okay, no reminders for {}.", named(&v, id)),
            Some(words) => format!(
                "Okay, I'll remind you about {} {}.",
                named(&v, id),
                and_list(&words)
            ),
            None => format!("Updated {}: {}.", named(&v, id), said.join(", ")),
        },
        Err(e) => explain_for(&e, id, "change it"),
    }
}

/// Finds the task `r` names. `Err` carries the reply when there is none, or more than one.
async fn resolve(
    ctx: &Context<'_>,
    r: &TaskRef,
    action: &Action,
    needs_task: bool,
    tools: &mut impl Tools,
) -> Result<Found, String> {
    resolve_in(ctx, r, action, needs_task, None, tools).await
}

/// [`resolve`], among `known` tasks when the caller has them already.
async fn resolve_in(
    ctx: &Context<'_>,
    r: &TaskRef,
    action: &Action,
    needs_task: bool,
    known: Option<&[Task]>,
    tools: &mut impl Tools,
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
            let ids = history::listed(ctx.history);
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
    let fetched;
    let all: &[Task] = match known {
        Some(all) => all,
        None => {
            fetched = tools
                .call(LIST_TASKS, every_task())
                .await
                .map(tasks_of)
                .map_err(|e| explain(&e, "look up your tasks"))?;
            &fetched
        }
    };
    if let Some(id) = pointed {
        return match all.iter().find(|t| t.id == id).cloned() {
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
    let matches = find_matches(all, query, exact, prefer_done);
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
    format!("{head}\n{}\n{WHICH_ONE_TAIL}", lines.join("\n"))
}

/// Ends the question of which task a reference meant.
pub(super) const WHICH_ONE_TAIL: &str =
    "Which one do you mean? Reply with its task number, or say “the first one”.";

/// Tasks whose title matches `query`: the same title (ignoring case) first; otherwise every word of
/// the query found among the title's words (stemmed, so "buying" finds "Buy"), or failing that, the
/// tasks sharing the most words with it, at least half of them. Pending tasks win over completed ones
/// (the reverse for reopening) when both match.
pub(super) fn find_matches<'t>(
    all: &'t [Task],
    query: &str,
    exact: bool,
    prefer_done: bool,
) -> Vec<&'t Task> {
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
