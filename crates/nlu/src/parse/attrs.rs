//! Attributes inside a request (priority, tags, due date, recurrence, description, reminders) and
//! the title left.

use chrono::{DateTime, Utc};
use todo_domain::{Priority, Recurrence};

use super::recur;
use super::reminder_time::reminder_times;
use super::{Alarm, Draft};
use crate::dates::{self, When};
use crate::text::{capitalise, in_list, join, Word};

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Attrs {
    pub(super) priority: Option<Priority>,
    pub(super) tags: Vec<String>,
    pub(super) due: Option<When>,
    pub(super) recurrence: Option<Recurrence>,
    pub(super) description: Option<String>,
    pub(super) list: Option<String>,
    pub(super) reminders: Vec<Alarm>,
}

impl Attrs {
    /// A task titled `title` with these attributes.
    pub(super) fn into_draft(self, title: String) -> Draft {
        Draft {
            title,
            description: self.description,
            priority: self.priority,
            tags: self.tags,
            due: self.due,
            recurrence: self.recurrence,
            list: self.list,
            reminders: self.reminders,
            loose: false,
        }
    }
}

pub(super) fn priority_word(w: &str) -> Option<Priority> {
    match w {
        "high" | "top" | "highest" | "urgent" | "critical" | "important" | "max" => {
            Some(Priority::High)
        }
        "medium" | "normal" | "mid" | "moderate" | "average" | "regular" => Some(Priority::Medium),
        "low" | "lowest" | "minor" => Some(Priority::Low),
        _ => None,
    }
}

pub(super) fn tag_word(w: &Word) -> Option<String> {
    let t = w.norm.trim_start_matches('#');
    let ok = !t.is_empty()
        && t.chars().count() <= todo_domain::MAX_TAG_CHARS
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && !t.chars().all(|c| c.is_ascii_digit());
    (ok && !w.quoted).then(|| t.to_owned())
}

/// Finds attributes in `ws`, returning them and the words left (the title). Each kind takes its
/// words out before the next looks, in this order.
pub(super) fn attributes(ws: &[Word], now: DateTime<Utc>) -> (Attrs, Vec<Word>) {
    let mut a = Attrs::default();
    let mut ws = ws.to_vec();
    description(&mut ws, &mut a);
    reminders(&mut ws, &mut a, now);
    recurrence(&mut ws, &mut a, now);
    priority(&mut ws, &mut a);
    tags(&mut ws, &mut a, now);
    list_name(&mut ws, &mut a);
    due(&mut ws, &mut a, now);
    (a, ws)
}

/// The normalised word at `i`; empty past the end and for a quoted span.
fn norm_at(ws: &[Word], i: usize) -> String {
    ws.get(i)
        .filter(|w| !w.quoted)
        .map_or(String::new(), |w| w.norm.clone())
}

/// Description: everything after "description:", "with the note …", "notes:".
fn description(ws: &mut Vec<Word>, a: &mut Attrs) {
    if let Some(i) = (0..ws.len()).find(|&i| {
        let w = norm_at(ws, i);
        let colon = ws[i].text.ends_with(':');
        (in_list("description desc note notes details", w.as_str())
            && (colon || (i > 0 && in_list("with a the add", norm_at(ws, i - 1).as_str()))))
            || (w == "described" && norm_at(ws, i + 1) == "as")
            || (w == "saying" && i > 0)
    }) {
        let mut start = i;
        while start > 0 && in_list("with a the and add", norm_at(ws, start - 1).as_str()) {
            start -= 1;
        }
        let skip = if norm_at(ws, i) == "described" { 2 } else { 1 };
        let rest = &ws[(i + skip).min(ws.len())..];
        let text = match rest.iter().find(|w| w.quoted) {
            Some(q) if rest.len() == 1 => q.text.clone(),
            _ => join(rest),
        };
        if !text.is_empty() {
            a.description = Some(text);
            ws.truncate(start);
        }
    }
}

/// Reminders: "(and) remind me 10 minutes before", "with a reminder the day before at 9", "with a
/// reminder" (when it is due). Taken before dates, so their times are not read as the due date.
fn reminders(ws: &mut Vec<Word>, a: &mut Attrs, now: DateTime<Utc>) {
    let Some((i, k)) = (0..ws.len()).find_map(|i| {
        let w = norm_at(ws, i);
        if w == "remind" && norm_at(ws, i + 1) == "me" {
            Some((i, i + 2))
        } else if in_list("reminder reminders alarm", w.as_str())
            && i > 0
            && in_list("a with set an", norm_at(ws, i - 1).as_str())
        {
            Some((i, i + 1))
        } else {
            None
        }
    }) else {
        return;
    };
    let (end, times) = match reminder_times(&ws[k..], now) {
        Some((len, times)) => (k + len, times),
        // "with a reminder": when it is due; "remind me" with no time is not a reminder said here.
        None if norm_at(ws, i) != "remind" && k == ws.len() => (
            k,
            vec![Alarm::Before {
                ms: 0,
                on_day_at: None,
            }],
        ),
        None => return,
    };
    // Only at the end of the request, or of a clause: "remind me at 5 to call mom" is no attribute.
    if end < ws.len() && !ws[end - 1].ends_clause() {
        return;
    }
    let mut start = i;
    while start > 0
        && in_list(
            "and with a an set also please",
            norm_at(ws, start - 1).as_str(),
        )
    {
        start -= 1;
    }
    a.reminders = times;
    ws.drain(start..end);
}

/// Recurrence: "daily", "every week", "every other monday", "on the 1st of every month" (see
/// `recur`); a rule naming its days also gives the first due date.
fn recurrence(ws: &mut Vec<Word>, a: &mut Attrs, now: DateTime<Utc>) {
    let mut i = 0;
    while i < ws.len() {
        let Some(found) = recur::rule_at(ws, i, now) else {
            i += 1;
            continue;
        };
        let mut start = found.start;
        while start > 0
            && in_list(
                "repeat repeats repeating recurring recur recurs and it",
                norm_at(ws, start - 1).as_str(),
            )
        {
            start -= 1;
        }
        a.recurrence = Some(found.rule);
        if found.due.is_some() {
            a.due = found.due;
        }
        ws.drain(start..found.end);
        i = start;
    }
}

/// Priority: "!high", "high-priority", "high priority", "priority is low", "urgent", "no rush".
fn priority(ws: &mut Vec<Word>, a: &mut Attrs) {
    let mut i = 0;
    while i < ws.len() {
        let w = norm_at(ws, i);
        let next = norm_at(ws, i + 1);
        let mut found: Option<(Priority, usize, usize)> = None; // (priority, start, end)
        if let Some(p) = w.strip_prefix('!').and_then(priority_word) {
            found = Some((p, i, i + 1));
        } else if let Some(p) = w.strip_suffix("-priority").and_then(priority_word) {
            found = Some((p, i, i + 1));
        } else if let (Some(p), true) = (
            priority_word(&w),
            in_list("priority prio pri", next.as_str()),
        ) {
            found = Some((p, i, i + 2));
        } else if in_list("priority prio", w.as_str()) {
            let k = if in_list("is of to =", next.as_str()) {
                i + 2
            } else {
                i + 1
            };
            if let Some(p) = priority_word(&norm_at(ws, k)) {
                found = Some((p, i, k + 1));
            }
        } else if in_list("urgent urgently asap important critical", w.as_str()) {
            let neg = i > 0 && in_list("not isnt less", norm_at(ws, i - 1).as_str());
            found = Some((
                if neg { Priority::Low } else { Priority::High },
                if neg { i - 1 } else { i },
                i + 1,
            ));
        } else if w == "no" && next == "rush" {
            found = Some((Priority::Low, i, i + 2));
        }
        if let Some((p, mut start, end)) = found {
            while start > 0
                && in_list(
                    "with as at a and its is mark set make it very super really of",
                    norm_at(ws, start - 1).as_str(),
                )
            {
                start -= 1;
            }
            a.priority = Some(p);
            ws.drain(start..end);
            i = start;
            continue;
        }
        i += 1;
    }
}

/// Tags: "#work", "tagged home and errands", "with tag work", "tag: work".
fn tags(ws: &mut Vec<Word>, a: &mut Attrs, now: DateTime<Utc>) {
    let mut i = 0;
    while i < ws.len() {
        let w = norm_at(ws, i);
        if w.starts_with('#') {
            if let Some(t) = tag_word(&ws[i]) {
                a.tags.push(t);
                let mut start = i;
                while start > 0
                    && in_list(
                        "and with tagged tag tags as",
                        norm_at(ws, start - 1).as_str(),
                    )
                    && !ws[start - 1].ends_clause()
                {
                    start -= 1;
                }
                ws.drain(start..i + 1);
                i = start;
                continue;
            }
        }
        if in_list("tagged tag tags label labeled labelled labels", w.as_str())
            && i + 1 < ws.len()
            && (w != "tag" || i > 0)
        {
            let mut start = i;
            if start > 0 && in_list("with and", norm_at(ws, start - 1).as_str()) {
                start -= 1;
            }
            let mut k = i + 1;
            if in_list("with as to", norm_at(ws, k).as_str()) {
                k += 1;
            }
            let mut found = Vec::new();
            while let Some(t) = ws.get(k).and_then(tag_word) {
                // A tag list ends where the next attribute starts ("tagged work, due friday").
                if dates::find(&ws[k..k + 1], now).is_some()
                    || priority_word(&t).is_some()
                    || in_list(
                        "due by on and at priority every daily weekly monthly with for before \
                        until",
                        t.as_str(),
                    )
                {
                    break;
                }
                found.push(t);
                k += 1;
                if ws[k - 1].ends_clause() && !ws[k - 1].text.ends_with(',') {
                    break;
                }
                if norm_at(ws, k) == "and" && ws.get(k + 1).and_then(tag_word).is_some() {
                    k += 1;
                } else if !ws[k - 1].text.ends_with(',') {
                    break;
                }
            }
            if !found.is_empty() {
                a.tags.extend(found);
                ws.drain(start..k);
                i = start;
                continue;
            }
        }
        i += 1;
    }
}

/// "to my shopping list" / "on the Home Improvement list" names a list; "to my list" / "on my todo
/// list" / a last "to todo" say nothing.
fn list_name(ws: &mut Vec<Word>, a: &mut Attrs) {
    let mut i = 0;
    while i + 2 < ws.len() + 1 {
        let w = norm_at(ws, i);
        if i + 2 == ws.len()
            && in_list("to on onto", w.as_str())
            && in_list(
                "todo to-do todos list todolist",
                norm_at(ws, i + 1).as_str(),
            )
        {
            ws.truncate(i);
            break;
        }
        if in_list("to on onto in into for", w.as_str())
            && in_list("my the our", norm_at(ws, i + 1).as_str())
        {
            let third = norm_at(ws, i + 2);
            if in_list(
                "list tasks todo todos to-do to-dos todolist agenda",
                third.as_str(),
            ) {
                let end = if in_list("todo to-do", third.as_str()) && norm_at(ws, i + 3) == "list" {
                    i + 4
                } else {
                    i + 3
                };
                ws.drain(i..end.min(ws.len()));
                continue;
            }
            if let Some((name, end)) = named_list(ws, i + 2) {
                a.list = name;
                ws.drain(i..end);
                continue;
            }
        }
        i += 1;
    }
}

/// Words not naming a list before "list": "my todo list" is the whole list.
const NOT_A_LIST_NAME: &str = "todo to-do todos task tasks my whole entire full";

/// "Groceries list" / "home improvement list" / "todo list" at `i`: the name when it is one (up to
/// three words) and the index after "list".
pub(super) fn named_list(ws: &[Word], i: usize) -> Option<(Option<String>, usize)> {
    let at = (i + 1..(i + 4).min(ws.len())).find(|&j| norm_at(ws, j) == "list")?;
    let name = &ws[i..at];
    if name.iter().any(|w| w.quoted || w.ends_clause()) {
        return None;
    }
    let generic = name.iter().all(|w| w.is_in(NOT_A_LIST_NAME));
    Some(((!generic).then(|| join(name)), at + 1))
}

/// Due date, and a time of day apart from it.
fn due(ws: &mut Vec<Word>, a: &mut Attrs, now: DateTime<Utc>) {
    if a.due.is_none() {
        if let Some(f) = dates::find(ws, now) {
            a.due = Some(f.when);
            ws.drain(f.start..f.end);
        }
    }
    // "on Friday … at 9 am": a day and, apart from it, its time.
    if let Some(due) = a.due.filter(|d| !d.timed) {
        if let Some((start, end, t)) = dates::find_time(ws) {
            a.due = Some(When {
                at: due.at.date_naive().and_time(t).and_utc(),
                timed: true,
            });
            ws.drain(start..end);
        }
    }
}

/// Cleans what is left of a title: connecting words at either end, then the first letter up.
pub(super) fn tidy_title(ws: &[Word]) -> String {
    let mut ws = ws.to_vec();
    const LEAD: &str = "really definitely probably still actually seriously totally to that a \
        task todo : - called named titled is about reminder new";
    const TAIL: &str = "and with on at by due please pls for to tag the which is it its priority \
        as a";
    while ws.len() > 1 && ws[0].is_in(LEAD) {
        ws.remove(0);
    }
    while ws.len() > 1 && ws.last().is_some_and(|w| w.is_in(TAIL)) {
        ws.pop();
    }
    capitalise(&join(&ws))
}
