//! Subtasks: steps added under a task the message names.

use chrono::{DateTime, Utc};

use super::attrs::{attributes, tidy_title};
use super::refs::task_ref;
use super::{Draft, Intent};
use crate::text::{prefix, Word};

const NOUNS: &str = "subtask subtasks sub-task sub-tasks step steps";

/// "add a subtask to the report: check the figures", "add steps to task 3: a, b and c", "add
/// 'check the figures' as a subtask of the report", "break the report into: outline, draft,
/// review", "split task 3 up into research and writing".
pub(super) fn subtasks(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    under_task(ws, now)
        .or_else(|| as_subtask(ws, now))
        .or_else(|| break_into(ws, now))
}

/// "add a subtask to the report: check the figures", "add subtasks to task 3: a, b and c".
fn under_task(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let mut k = prefix(ws, "add|create|new")?;
    while ws.get(k).is_some_and(|w| w.is_in("a an some the new more")) {
        k += 1;
    }
    let noun = ws.get(k).filter(|w| w.is_in(NOUNS))?;
    let several = noun.norm.ends_with('s');
    if !ws.get(k + 1)?.is_in("to for under on") {
        return None;
    }
    let target = &ws[k + 2..];
    // The task ends at a colon, or at "called"/"saying" before the step.
    let split = target
        .iter()
        .position(|w| w.text.ends_with(':'))
        .map(|i| (i + 1, i + 1));
    let split = split.or_else(|| {
        target
            .iter()
            .position(|w| w.is_in("called named saying"))
            .map(|i| (i, i + 1))
    });
    let Some((end, items)) = split else {
        return Some(Intent::Incomplete("subtask"));
    };
    steps(&target[..end], &target[items..], several, now)
}

/// "add 'check the figures' as a subtask of the report", "add outline and draft as steps of task 3".
fn as_subtask(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(ws, "add|put")?;
    let at = (k..ws.len()).find(|&i| ws[i].is("as"))?;
    let mut n = at + 1;
    while ws.get(n).is_some_and(|w| w.is_in("a an")) {
        n += 1;
    }
    let noun = ws.get(n).filter(|w| w.is_in(NOUNS))?;
    if !ws.get(n + 1)?.is_in("of to for under") {
        return None;
    }
    let several = noun.norm.ends_with('s');
    steps(&ws[n + 2..], &ws[k..at], several, now)
}

/// "break the report into: outline, draft, review", "break down task 3 into research and writing",
/// "split the move up into packing and cleaning".
fn break_into(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(ws, "break down|break up|break|split up|split|divide")?;
    let into = (k..ws.len()).find(|&i| ws[i].is("into"))?;
    let mut target = &ws[k..into];
    while target.last().is_some_and(|w| w.is_in("up down")) {
        target = &target[..target.len() - 1];
    }
    let listed = ws[into].text.ends_with(':');
    let mut items = &ws[into + 1..];
    // "into (these) steps: …", "into subtasks: …".
    if let Some(i) = items.iter().position(|w| w.is_in(NOUNS)) {
        if items[..i].iter().all(|w| w.is_in("these the some")) {
            items = &items[i + 1..];
        }
    }
    // "split the report into sections" names no steps: only a list, or a colon, does.
    let several = items
        .iter()
        .any(|w| !w.quoted && (w.text.ends_with(',') || w.is_in("and & plus")));
    if !(listed || several) {
        return None;
    }
    steps(target, items, true, now)
}

/// The subtasks `items` under the task `target` names. Items are split at commas, and at "and"
/// as well when several were announced ("subtasks", "break … into"): "check the figures and
/// tables" alone is one step.
fn steps(target: &[Word], items: &[Word], several: bool, now: DateTime<Utc>) -> Option<Intent> {
    let commas = items.iter().any(|w| !w.quoted && w.text.ends_with(','));
    let mut parts: Vec<Vec<Word>> = vec![Vec::new()];
    for w in items {
        if !w.quoted && w.is_in("and & plus") && (several || commas) {
            parts.push(Vec::new());
            continue;
        }
        let mut w = w.clone();
        let comma = !w.quoted && w.text.ends_with(',');
        if comma {
            w.text = w.text.trim_end_matches(',').to_owned();
        }
        parts.last_mut().expect("never empty").push(w);
        if comma {
            parts.push(Vec::new());
        }
    }
    parts.retain(|p| !p.is_empty());
    let drafts: Vec<Draft> = parts
        .iter()
        .map(|p| {
            let (a, rest) = attributes(p, now);
            let title = match rest.as_slice() {
                [q] if q.quoted => q.text.clone(),
                _ => tidy_title(&rest),
            };
            Draft {
                list: None,
                ..a.into_draft(title)
            }
        })
        .collect();
    let target: Vec<Word> = target
        .iter()
        .map(|w| Word {
            text: w.text.trim_end_matches(':').to_owned(),
            ..w.clone()
        })
        .collect();
    if target.is_empty() || drafts.is_empty() || drafts.iter().any(|d| d.title.is_empty()) {
        return Some(Intent::Incomplete("subtask"));
    }
    Some(Intent::AddSubtasks(task_ref(&target), drafts))
}
