//! People report rather than command: "the rent is sorted", "I still haven't called the dentist",
//! "laundry isn't urgent", "the dentist is important", "the car service can wait till next month".
//! Each is about an existing task, so each acts on one (or asks which); none adds a task.

use chrono::{DateTime, Utc};
use todo_domain::Priority;

use super::refs::task_ref;
use super::{Changes, Intent};
use crate::dates;
use crate::text::{prefix, Word};

/// Ways of saying a task is done, after "is"/"are"/"has been"/"got".
const SETTLED: &str =
    "sorted|sorted out|all sorted|handled|taken care of|dealt with|out of the way|\
    paid|paid off|covered|done and dusted|over with|squared away|booked|sent|fixed|cleaned|\
    finished|all done|done";
/// Ways of saying a task is not pressing, after "is"/"isn't".
const PRESSING: &str = "urgent|important|a priority|high priority|top priority|pressing|critical";

pub(super) fn statement(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    still_open(ws).or_else(|| about(ws, now))
}

/// "I still haven't called the dentist", "haven't paid the rent yet": the task is still to do.
fn still_open(ws: &[Word]) -> Option<Intent> {
    let k = prefix(
        ws,
        "i still havent|i still have not|i havent|i have not|still havent|havent|\
            i still didnt|i didnt|i did not|didnt",
    )?;
    let mut rest = &ws[k..];
    if rest.last().is_some_and(|w| w.is_in("yet still")) {
        rest = &rest[..rest.len() - 1];
    }
    (!rest.is_empty()).then(|| Intent::StillOpen(task_ref(rest)))
}

/// "<task> is sorted", "<task> isn't urgent", "<task> is important", "<task> can wait (till …)".
fn about(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let verb = ws
        .iter()
        .position(|w| w.is_in("is isnt are arent has have got was can aint"))?;
    let (subject, tail) = (&ws[..verb], &ws[verb..]);
    if subject.is_empty()
        || subject[0].is_in(
            "what whats which who when how where why is are do does did any anything \
            everything all nothing there i we you this",
        )
    {
        return None;
    }
    let r = task_ref(subject);
    let after = |phrases: &str| -> bool {
        let skip = prefix(
            tail,
            "is now|is|are|has been|have been|got|was|is all|are all",
        )
        .unwrap_or(0);
        prefix(&tail[skip..], phrases).is_some_and(|n| skip + n == tail.len())
    };
    if after(SETTLED) {
        return Some(Intent::Complete(r));
    }
    let negated = prefix(tail, "isnt|is not|arent|are not|aint").unwrap_or(0);
    if negated > 0 {
        let mut rest = &tail[negated..];
        if rest.last().is_some_and(|w| w.is_in("anymore now")) {
            rest = &rest[..rest.len() - 1];
        }
        return prefix(rest, PRESSING)
            .filter(|n| *n == rest.len())
            .map(|_| priority(r, Priority::Low));
    }
    if after(PRESSING) {
        return Some(priority(r, Priority::High));
    }
    // "can wait", "can wait till next month", "can wait until friday".
    let n = prefix(tail, "can wait|could wait|can be done later|can be later")?;
    let rest = &tail[n..];
    if rest.is_empty() {
        return Some(priority(r, Priority::Low));
    }
    let found = dates::find(rest, now)?;
    let lead_ok = rest[..found.start]
        .iter()
        .all(|w| w.is_in("till until til to for a bit while"));
    (lead_ok && found.end == rest.len()).then(|| {
        Intent::Update(
            r,
            Changes {
                due: Some(Some(found.when)),
                ..Default::default()
            },
        )
    })
}

fn priority(r: super::TaskRef, p: Priority) -> Intent {
    Intent::Update(
        r,
        Changes {
            priority: Some(p),
            ..Default::default()
        },
    )
}
