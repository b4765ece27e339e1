//! Actions on existing tasks: completing, reopening and deleting (changes are in `update`).

use chrono::{DateTime, Utc};
use todo_domain::Status;

use super::add::TASK_VERBS;
use super::attrs::{attributes, Attrs};
use super::refs::task_ref;
use super::update::update;
use super::{Intent, TaskRef};
use crate::text::{in_list, norms, prefix, Word};

pub(super) const DONE_WORDS: &str =
    "done complete completed finished checked ticked closed resolved";
const UNDONE_WORDS: &str = "incomplete undone pending open uncompleted unfinished todo unchecked \
    active not";

pub(super) fn complete(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    // "reopen task 3", "uncheck the milk one".
    if let Some(k) = prefix(
        ws,
        "reopen|unmark|uncheck|uncomplete|untick|undo|restore|re-open|\
            mark as not done|mark as undone",
    ) {
        return Some(ref_intent(&ws[k..], Intent::Reopen));
    }
    // "mark X as done" / "mark X as not done" / "set X as complete" / "mark X".
    if first == "mark" || first == "set" || first == "flag" {
        let mut r = &ws[1..];
        let mut state: Option<bool> = None;
        if let Some(i) = (1..ws.len())
            .rev()
            .find(|&i| ws[i].is_in(DONE_WORDS) || ws[i].is_in(UNDONE_WORDS))
        {
            let neg = ws[i].is_in(UNDONE_WORDS) || ws[i - 1].is_in("not un");
            state = Some(!neg);
            let mut end = i;
            while end > 1 && ws[end - 1].is_in("as to not is being un") {
                end -= 1;
            }
            // "mark as done task 1", "mark done: task 1": the task comes after its new state.
            r = if end > 1 { &ws[1..end] } else { &ws[i + 1..] };
        }
        if r.is_empty() {
            return Some(Intent::Incomplete("complete"));
        }
        return match state {
            Some(true) => Some(Intent::Complete(task_ref(r))),
            Some(false) => Some(Intent::Reopen(task_ref(r))),
            // "mark the report as urgent" is an update, not a completion.
            None if first == "mark" && attributes(r, now).0 == Attrs::default() => {
                Some(Intent::Complete(task_ref(r)))
            }
            None => None,
        };
    }
    const DONE_WITH: &str = "complete|check off|tick off|cross off|strike off|close|done with|\
        im done with|i am done with|im finished with|i am finished with|finished with|\
        i finished|ive finished|i have finished|i just finished|i completed|ive completed|\
        i have completed|i just completed|i did|ive done|i have done|i just did|finished|\
        completed|done|i am done|im done";
    if let Some(k) = prefix(ws, DONE_WITH) {
        let mut rest = &ws[k..];
        // "check the milk one off".
        if rest.last().is_some_and(|w| w.is("off")) {
            rest = &rest[..rest.len() - 1];
        }
        if rest.is_empty() {
            return Some(Intent::Incomplete("complete"));
        }
        return Some(ref_intent(rest, Intent::Complete));
    }
    // "I already called mom", "I've bought the milk", "got the milk": a verb in the past names
    // what was done. Without "I", not a verb that is also an order ("read the book").
    let k = prefix(
        ws,
        "i have already|ive already|i already|i just|i finally|i have|ive|i|already|just|finally",
    )
    .unwrap_or(0);
    if ws
        .get(k)
        .is_some_and(|w| is_past(&w.norm) && (k > 0 || !w.is_in(TASK_VERBS)))
        && ws.len() > k + 1
    {
        return Some(Intent::Complete(task_ref(&ws[k..])));
    }
    // "finish task 3" (but "finish the report" is a task to add).
    if first == "finish" || first == "check" || first == "tick" || first == "cross" {
        let mut rest = &ws[1..];
        if rest.last().is_some_and(|w| w.is("off")) {
            rest = &rest[..rest.len() - 1];
        } else if first != "finish" {
            return None;
        }
        // "finish the laundry and the dishes": a list of things to finish names tasks on the list.
        let listed = rest.iter().any(|w| w.is("and") || w.text.ends_with(','));
        return match task_ref(rest) {
            r @ (TaskRef::Id(_) | TaskRef::Nth(_) | TaskRef::It) => Some(Intent::Complete(r)),
            r if first != "finish" || listed => Some(Intent::Complete(r)),
            _ => None,
        };
    }
    // "the report is done", "task 3 done", "milk is not done".
    let last = *n.last()?;
    if ws.len() >= 2 && in_list(DONE_WORDS, last) {
        let mut end = ws.len() - 1;
        let neg = ws[end - 1].is_in("not isnt arent");
        while end > 0 && ws[end - 1].is_in("is are now all not isnt arent been has have was") {
            end -= 1;
        }
        if end == 0 {
            return None;
        }
        let r = task_ref(&ws[..end]);
        return Some(if neg {
            Intent::Reopen(r)
        } else {
            Intent::Complete(r)
        });
    }
    None
}

/// A verb in the past tense that reports a task done (not "I wanted to…", "I forgot…").
fn is_past(w: &str) -> bool {
    const IRREGULAR: &str =
        "bought paid sent wrote written did done made read took taken got gotten \
        went ate fed met rang spoke gave sold ran brought drove swept hung found \
        left put set caught taught built won threw grew drew shut cut lent spent";
    const NOT_DONE: &str =
        "wanted needed decided planned started tried hoped intended liked loved \
        hated added created scheduled noticed realized realised remembered used \
        wished expected agreed promised supposed meant forgot missed failed \
        postponed delayed skipped need wondered";
    in_list(IRREGULAR, w) || (w.ends_with("ed") && w.len() > 4 && !in_list(NOT_DONE, w))
}

fn ref_intent(ws: &[Word], make: fn(TaskRef) -> Intent) -> Intent {
    if ws.is_empty() {
        Intent::Incomplete("complete")
    } else {
        make(task_ref(ws))
    }
}

// ---------------------------------------------------------------------------------------------
// Deleting

pub(super) fn delete(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(
        ws,
        "i dont need to|i dont need|i no longer need to|i no longer need|\
            get rid of|throw away|throw out|take off|delete|remove|erase|trash|\
            discard|del|rm|scratch|nuke|drop|cancel|ditch|forget about|forget|clear|\
            purge|wipe|bin|kill|scrap",
    )?;
    let mut rest: Vec<Word> = ws[k..].to_vec();
    // "scratch that meeting task": "that" points at the words after it.
    if rest.first().is_some_and(|w| w.is("that")) && rest.len() > 1 {
        rest.remove(0);
    }
    // "I don't need the milk task anymore".
    if rest.len() > 1 && rest.last().is_some_and(|w| w.is_in("anymore")) {
        rest.pop();
    }
    // Removing a field is an update: "remove the due date from task 3", "remove #home from 2".
    if rest.iter().any(|w| {
        w.is_in(
            "due deadline date tag tags label description note notes priority \
            recurrence repeat repetition",
        ) || w.norm.starts_with('#')
    }) && rest.iter().any(|w| w.is_in("from of on for off"))
    {
        return update(ws, now);
    }
    if rest.is_empty() {
        return Some(Intent::Incomplete("delete"));
    }
    let nr = norms(&rest);
    // "delete all completed tasks", "clear completed", "remove everything from my list", "delete
    // my tasks": only words about the list, and at least one saying "more than one". Always
    // confirmed before anything is deleted.
    let vague = nr.iter().all(|w| {
        in_list(
            "all every everything the tasks task ones items my list of them todos from \
            completed done finished pending open both checked old off out i ive have already \
            that which",
            w,
        )
    });
    let many = nr.iter().any(|w| {
        in_list(
            "all every everything both tasks ones items them todos completed done finished \
            checked list",
            w,
        )
    });
    if vague && many {
        let status = if nr
            .iter()
            .any(|w| in_list("completed done finished checked old", w))
        {
            Status::Completed
        } else if nr.iter().any(|w| in_list("pending open", w)) {
            Status::Pending
        } else {
            Status::All
        };
        return Some(Intent::DeleteAll(status));
    }
    Some(Intent::Delete(task_ref(&rest)))
}
