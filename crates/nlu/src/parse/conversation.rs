//! Messages that follow on from the last answer: "undo", "actually call it almond milk", "sorry, I
//! meant the rent one", "the laundry as well", "and the last one", "and set it for monday".

use chrono::{DateTime, Utc};

use super::add::TASK_VERBS;
use super::refs::task_ref;
use super::{one, Changes, Intent, TaskRef};
use crate::text::{capitalise, join, prefix, Word};

/// Opening words of a correction, dropped: "sorry, …", "oops, no, …".
const CORRECTING: &str = "sorry|oops|whoops|oh|no|nope|wait|actually|hmm|my bad|my mistake|\
    wrong one|not that one|not that";

pub(super) fn follow_up(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let mut k = 0;
    while let Some(n) = prefix(&ws[k..], CORRECTING) {
        k += n;
    }
    let corrected = k > 0;
    let rest = &ws[k..];
    if rest.is_empty() {
        return None;
    }
    if undo(rest) {
        return Some(Intent::Undo);
    }
    // "actually call it almond milk", "name it 'Oat milk' instead".
    if let Some(n) = prefix(
        rest,
        "call it|name it|rename it to|rename it|call that|title it",
    ) {
        let mut title = &rest[n..];
        if title.last().is_some_and(|w| w.is("instead")) {
            title = &title[..title.len() - 1];
        }
        if !title.is_empty() {
            let title = if title.len() == 1 && title[0].quoted {
                title[0].text.clone()
            } else {
                capitalise(&join(title))
            };
            let changes = Changes {
                title: Some(title),
                ..Default::default()
            };
            return Some(Intent::Update(TaskRef::It, changes));
        }
    }
    // "sorry, I meant the rent one", "no, the rent one", "I meant task 4".
    if let Some(n) = prefix(rest, "i meant|i mean|meant") {
        return (n < rest.len()).then(|| Intent::Redirect(task_ref(&rest[n..])));
    }
    if corrected && is_reference(rest) {
        return Some(Intent::Redirect(task_ref(rest)));
    }
    also(ws, now)
}

/// "undo", "undo that", "take that back", "revert the last change".
fn undo(ws: &[Word]) -> bool {
    let n = prefix(
        ws,
        "undo|revert|take that back|take it back|reverse that|go back|put it back",
    );
    n.is_some_and(|n| {
        ws[n..]
            .iter()
            .all(|w| w.is_in("that it this last change the please pls what you did just my action"))
    })
}

/// "and the laundry", "the dishes too", "also the last one", "and set it for monday": after
/// "and"/"also" or before "too"/"as well", a bare task is the last change again on that task;
/// anything else is read without those words ("the milk is sorted too").
fn also(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let lead = prefix(ws, "and also|and then|oh and|and|also|plus|then").unwrap_or(0);
    let mut end = ws.len();
    if end >= 2 && ws[end - 2].is("as") && ws[end - 1].is("well") {
        end -= 2;
    } else if end >= 1 && ws[end - 1].is_in("too also") {
        end -= 1;
    }
    // "also" alone is both the lead and the tail: nothing in between.
    if (lead == 0 && end == ws.len()) || lead >= end {
        return None;
    }
    let core = &ws[lead..end];
    if is_reference(core) {
        return Some(Intent::Again(task_ref(core)));
    }
    Some(one(core, now)).filter(|i| *i != Intent::Unknown)
}

/// Words that only name a task: "the rent one", "the last one", "task 4", "milk" (no verb, and
/// nothing said about it: "it's done" is a statement, not a name).
fn is_reference(ws: &[Word]) -> bool {
    match task_ref(ws) {
        TaskRef::Id(_) | TaskRef::Nth(_) | TaskRef::Title(_) => true,
        TaskRef::Words(_) => {
            !ws[0].is_in(TASK_VERBS)
                && !ws[0].is_in("add create make set mark put")
                && ws.len() <= 5
                && !ws.iter().any(|w| {
                    w.is_in("is its are was were be done complete completed finished it them that this not dont")
                })
        }
        _ => false,
    }
}
