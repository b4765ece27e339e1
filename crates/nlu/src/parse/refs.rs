//! How a message names a task: a number, a quoted title, some title words, "it", "the second one".

use super::TaskRef;
use crate::text::{in_list, Word};

const ORDINALS: &str = "first second third fourth fifth sixth seventh eighth ninth tenth";
const NUMBERS: &str = "one two three four five six seven eight nine ten eleven twelve";

pub(super) fn number_word(w: &str) -> Option<i64> {
    let w = w.trim_start_matches('#');
    if let Ok(n) = w.parse::<i64>() {
        return (n > 0).then_some(n);
    }
    NUMBERS
        .split_whitespace()
        .position(|x| x == w)
        .map(|i| i as i64 + 1)
}

fn ordinal(w: &str) -> Option<usize> {
    if w == "last" {
        return Some(0);
    }
    if let Some(i) = ORDINALS.split_whitespace().position(|x| x == w) {
        return Some(i + 1);
    }
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    if matches!(suffix, "st" | "nd" | "rd" | "th") {
        return digits.parse().ok().filter(|n| *n > 0);
    }
    None
}

const REF_NOISE_LEAD: &str = "the my that this a an about on with of for to";
const REF_NOISE_TAIL: &str = "task tasks one item todo to-do thing entry please pls reminder \
    permanently completely now too as well";

/// Reads the words naming a task.
pub(super) fn task_ref(ws: &[Word]) -> TaskRef {
    if let Some(q) = ws.iter().find(|w| w.quoted) {
        return TaskRef::Title(q.text.clone());
    }
    let mut ws: Vec<&Word> = ws.iter().collect();
    // "from my list", "off the list", "from my todo list".
    for tail in "from my list|off my list|from the list|off the list|from my tasks|\
        from my todo list|from my to-do list|off my todo list|from the todo list|from list|\
        off list"
        .split('|')
    {
        let n = tail.split(' ').count();
        if ws.len() > n {
            let t: Vec<&str> = ws[ws.len() - n..].iter().map(|w| w.norm.as_str()).collect();
            if t.join(" ") == tail {
                ws.truncate(ws.len() - n);
            }
        }
    }
    while ws.len() > 1 && ws[0].is_in(REF_NOISE_LEAD) {
        ws.remove(0);
    }
    while ws.len() > 1 && ws.last().is_some_and(|w| w.is_in(REF_NOISE_TAIL)) {
        ws.pop();
    }
    let n: Vec<&str> = ws.iter().map(|w| w.norm.as_str()).collect();
    let ids: Vec<i64> = n
        .iter()
        .filter(|w| {
            w.trim_start_matches('#')
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter_map(|w| number_word(w))
        .collect();
    if ids.len() >= 2
        && n.iter().all(|w| {
            in_list("and & task tasks numbers # both", w)
                || w.trim_start_matches('#')
                    .chars()
                    .all(|c| c.is_ascii_digit())
                    && !w.is_empty()
        })
    {
        return TaskRef::Many(ids);
    }
    match n.as_slice() {
        ["it"] | ["that"] | ["this"] | ["them"] | ["one"] | ["task"] => return TaskRef::It,
        [w] | ["task" | "number" | "no" | "num" | "item" | "nr" | "id" | "#", w] => {
            if let Some(id) = number_word(w).filter(|_| {
                w.starts_with('#') || w.chars().all(|c| c.is_ascii_digit()) || n.len() == 2
            }) {
                return TaskRef::Id(id);
            }
            if let Some(k) = ordinal(w) {
                return TaskRef::Nth(k);
            }
        }
        [w, "task" | "one" | "item"] => {
            if let Some(k) = ordinal(w) {
                return TaskRef::Nth(k);
            }
        }
        _ => {}
    }
    TaskRef::Words(
        ws.iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .trim_matches(|c: char| !c.is_alphanumeric() && c != ')')
            .to_owned(),
    )
}

/// "task 3", "#3", "number 3", "3" at the start: how many words it takes.
pub(super) fn explicit_ref_len(ws: &[Word]) -> Option<usize> {
    let w = |i: usize| {
        ws.get(i)
            .filter(|w| !w.quoted)
            .map_or("", |w| w.norm.as_str())
    };
    let digits = |s: &str| {
        !s.is_empty()
            && s.trim_start_matches('#')
                .chars()
                .all(|c| c.is_ascii_digit())
            && s.trim_start_matches('#').len() < s.len() + 1
    };
    if in_list("task number no item todo", w(0)) && digits(w(1)) {
        return Some(2);
    }
    if w(0) == "the" && in_list("task number item", w(1)) && digits(w(2)) {
        return Some(3);
    }
    if digits(w(0)) && w(0).trim_start_matches('#').len() < 7 {
        return Some(1);
    }
    None
}
