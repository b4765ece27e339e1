//! Lists: creating one, saying which there are, and finding the one a request names; a name that
//! is no list is never guessed at: the answer names the lists there are and offers to create it.

use serde_json::json;
use todo_domain::{list_name_key, TaskList, CREATE_LIST, LIST_LISTS};

use super::wording::{and_list, explain};
use super::Context;
use crate::history::CONFIRM_DELETE;
use crate::text::{capitalise, content_words};
use crate::Tools;

pub(super) async fn all_lists(tools: &mut impl Tools) -> Result<Vec<TaskList>, String> {
    tools
        .call(LIST_LISTS, json!({}))
        .await
        .map(|v| serde_json::from_value(v).unwrap_or_default())
        .map_err(|e| explain(&e, "look up your lists"))
}

/// The list `name` names: the same name ignoring case, else the same words ("grocery" for
/// "Groceries").
pub(super) fn named<'l>(lists: &'l [TaskList], name: &str) -> Option<&'l TaskList> {
    let key = list_name_key(name);
    lists
        .iter()
        .find(|l| list_name_key(&l.name) == key)
        .or_else(|| {
            let words = content_words(name);
            let same: Vec<&TaskList> = lists
                .iter()
                .filter(|l| !words.is_empty() && content_words(&l.name) == words)
                .collect();
            match same.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        })
}

/// "You don't have a list called “Groceries”; your lists are Inbox and Work."
pub(super) fn no_such_list(name: &str, lists: &[TaskList]) -> String {
    let names: Vec<String> = lists.iter().map(|l| l.name.clone()).collect();
    let these = match names.as_slice() {
        [] => String::new(),
        [one] => format!("; your only list is {one}"),
        many => format!("; your lists are {}", and_list(many)),
    };
    format!("You don't have a list called “{name}”{these}.")
}

/// The name of the list `name` names, for a request that will `doing` with it ("add 'Milk' to
/// it"). Without such a list the answer offers to create it first, and a "yes" to that offer
/// creates it.
pub(super) async fn target(
    ctx: &Context<'_>,
    name: &str,
    doing: &str,
    tools: &mut impl Tools,
) -> Result<String, String> {
    let lists = all_lists(tools).await?;
    if let Some(l) = named(&lists, name) {
        return Ok(l.name.clone());
    }
    let name = capitalise(name);
    if ctx.confirmed.is_some() {
        return match tools.call(CREATE_LIST, json!({"name": name})).await {
            Ok(v) => Ok(v["name"].as_str().unwrap_or(&name).to_owned()),
            Err(e) => Err(explain(&e, &format!("create the list “{name}”"))),
        };
    }
    ctx.ask(Vec::new());
    Err(format!(
        "{} Shall I create it and {doing}? {CONFIRM_DELETE}",
        no_such_list(&name, &lists)
    ))
}

pub(super) async fn create(name: &str, tools: &mut impl Tools) -> String {
    if name.is_empty() {
        return "What should the list be called? For example: “create a list called Groceries”."
            .into();
    }
    match tools.call(CREATE_LIST, json!({"name": name})).await {
        Ok(v) => {
            let name = v["name"].as_str().unwrap_or(name);
            format!(
                "Created the list “{name}”. Add to it with “add … to the {name} list”, or see it with “show the {name} list”."
            )
        }
        Err(e) => explain(&e, &format!("create the list “{name}”")),
    }
}

/// "You have 3 lists:" and one line each with its counts.
pub(super) async fn show_lists(tools: &mut impl Tools) -> String {
    let lists = match all_lists(tools).await {
        Ok(l) => l,
        Err(why) => return why,
    };
    let lines: Vec<String> = lists
        .iter()
        .filter(|l| !l.archived)
        .map(|l| {
            let counts = match (l.open_tasks, l.total_tasks) {
                (_, 0) => "empty".to_owned(),
                (open, total) if open == total => format!("{open} open"),
                (open, total) => format!("{open} open of {total}"),
            };
            format!("- {}: {counts}", l.name)
        })
        .collect();
    format!(
        "You have {} list{}:\n{}\nSay “create a list called …” to add one.",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        lines.join("\n")
    )
}
