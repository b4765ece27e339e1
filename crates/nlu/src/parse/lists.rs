//! Lists: creating one, asking which there are, showing one, moving a task to one.

use chrono::{DateTime, Utc};

use super::act::DONE_WORDS;
use super::attrs::{attributes, named_list, Attrs};
use super::list::list;
use super::refs::task_ref;
use super::{Changes, Intent};
use crate::text::{capitalise, join, prefix, Word};

/// The lists family, each reader one way of talking about lists.
pub(super) fn lists(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    create_list(ws)
        .or_else(|| which_lists(ws))
        .or_else(|| list_contents(ws, now))
        .or_else(|| move_to_list(ws, now))
}

/// "create a list called Work", "new list: Groceries", "make a new list named 'Home'", "add a
/// shopping list", "start a list for the garden".
fn create_list(ws: &[Word]) -> Option<Intent> {
    let mut k = prefix(ws, "create|make|add|start|new|set up")?;
    while ws.get(k).is_some_and(|w| w.is_in("a an new another")) {
        k += 1;
    }
    let name = if ws.get(k).is_some_and(|w| w.is("list")) {
        let mut rest = &ws[k + 1..];
        // "make a list of things to buy" is a task, not a list.
        if rest.first().is_some_and(|w| w.is_in("of to")) {
            return None;
        }
        if rest
            .first()
            .is_some_and(|w| w.is_in("called named titled for"))
        {
            rest = &rest[1..];
        }
        // "a list for the garden".
        if ws.get(k + 1).is_some_and(|w| w.is("for"))
            && rest.first().is_some_and(|w| w.is_in("the my our"))
        {
            rest = &rest[1..];
        }
        match rest {
            [q] if q.quoted => q.text.clone(),
            _ => join(rest),
        }
    } else {
        // "create a shopping list": the name before "list", which ends the message; after an
        // article, as "add shopping list" may well be a task.
        match named_list(ws, k) {
            Some((Some(name), end)) if end == ws.len() && k > 1 => name,
            _ => return None,
        }
    };
    Some(Intent::CreateList(capitalise(name.trim())))
}

/// "what lists do I have?", "show my lists", "which lists are there?".
fn which_lists(ws: &[Word]) -> Option<Intent> {
    let asks = ws.iter().any(|w| w.is("lists"))
        && ws.iter().all(|w| {
            w.is_in(
                "what which show list lists display view see give me my all are do i have the \
                there how many get tell about existing of your our",
            )
        });
    asks.then_some(Intent::Lists)
}

/// "what's in my work list?", "show the groceries list", "what's pending on my work list?": the
/// list question with the list named.
fn list_contents(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    if !ws.first()?.is_in(
        "show list display view what whats which how open read get give tell anything is are \
        do any",
    ) {
        return None;
    }
    let (start, name, end) = (1..ws.len()).find_map(|i| {
        if !ws[i].is_in("my the our") {
            return None;
        }
        let (name, end) = named_list(ws, i + 1)?;
        let start = if ws[i - 1].is_in("in on from of") {
            i - 1
        } else {
            i
        };
        Some((start, name?, end))
    })?;
    // The list's words stand for "tasks" in an ordinary list question.
    let mut question = ws[..start].to_vec();
    question.push(Word {
        text: "tasks".into(),
        norm: "tasks".into(),
        quoted: false,
    });
    question.extend_from_slice(&ws[end..]);
    match list(&question, now)? {
        Intent::List(mut f) => {
            f.list = Some(name);
            f.keyword = None;
            Some(Intent::List(f))
        }
        _ => None,
    }
}

/// "move task 3 to the work list", "move the dentist task to personal", "transfer it into the
/// Groceries list". A destination that is a date, time or other attribute ("move the dentist to
/// friday") is a change of those instead.
fn move_to_list(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(ws, "move|transfer")?;
    let rest = &ws[k..];
    let to = rest.iter().rposition(|w| w.is_in("to into onto"))?;
    if to == 0 {
        return None;
    }
    let mut dest = &rest[to + 1..];
    while dest.first().is_some_and(|w| w.is_in("the my our")) {
        dest = &dest[1..];
    }
    let said_list = dest.last().is_some_and(|w| w.is("list"));
    if said_list {
        dest = &dest[..dest.len() - 1];
    }
    // "move task 2 to the top" / "… to done" are not lists.
    if dest.is_empty()
        || dest
            .iter()
            .any(|w| w.is_in(DONE_WORDS) || w.is_in("top bottom front back end start beginning"))
    {
        return None;
    }
    if !said_list {
        let (a, _) = attributes(dest, now);
        if a != Attrs::default() || dest.len() > 3 {
            return None;
        }
    }
    let name = match dest {
        [q] if q.quoted => q.text.clone(),
        _ => join(dest),
    };
    let changes = Changes {
        list: Some(name),
        ..Changes::default()
    };
    Some(Intent::Update(task_ref(&rest[..to]), changes))
}
