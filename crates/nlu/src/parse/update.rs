//! Changes to existing tasks: "rename task 2 to …", "make the report high priority", "move the
//! dentist to friday", "tag task 2 with #home", "push it back a day".

use chrono::{DateTime, Utc};
use todo_domain::Priority;

use super::attrs::{attributes, priority_word, tag_word, Attrs};
use super::refs::{explicit_ref_len, number_word, task_ref};
use super::{Alarm, Changes, Intent, ReminderChange};
use crate::dates;
use crate::text::{capitalise, in_list, join, norms, prefix, starts, Word};

/// "add a description to task 4: …", "add #home to task 2", "add a tag work to the milk one".
pub(super) fn update_by_adding(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    if !ws.first()?.is_in("add attach put write append") {
        return None;
    }
    let mut k = 1;
    while ws.get(k).is_some_and(|w| w.is_in("a an the new this some")) {
        k += 1;
    }
    let field = ws.get(k)?;
    let to = (k + 1..ws.len()).find(|&i| ws[i].is_in("to on for onto"))?;
    let target_end = (to + 1..ws.len())
        .find(|&i| ws[i].ends_clause() || ws[i].is_in("saying that reading with"))
        .map_or(ws.len(), |i| if ws[i].ends_clause() { i + 1 } else { i });
    let target = &ws[to + 1..target_end];
    // The target must name an existing task, not a list ("add milk to my shopping list").
    if target.is_empty() || target.iter().any(|w| w.is_in("list todo agenda tasks")) {
        return None;
    }
    let rest: Vec<Word> = ws[target_end..]
        .iter()
        .skip_while(|w| w.is_in("saying that reading says with"))
        .cloned()
        .collect();
    // "add a note to call mom" is a new task; "add a note to task 4: …" / "… to the milk one" is not.
    let pointed = explicit_ref_len(target) == Some(target.len())
        || target
            .iter()
            .any(|w| w.quoted || w.is_in("it one task item"))
        || target.first().is_some_and(|w| w.is("the"))
        || !rest.is_empty();
    if !pointed {
        return None;
    }
    let mut changes = Changes::default();
    if field.is_in("description desc note notes details comment") {
        let inline: Vec<Word> = ws[k + 1..to].to_vec();
        let text = if rest.is_empty() {
            join(&inline)
        } else {
            rest.iter()
                .find(|w| w.quoted && rest.len() == 1)
                .map(|w| w.text.clone())
                .unwrap_or_else(|| join(&rest))
        };
        if text.is_empty() {
            return None;
        }
        changes.description = Some(Some(text));
    } else if field.is_in("tag tags label labels")
        || field.norm.starts_with('#')
        // "add the work tag to task 1": the name before the word "tag".
        || ws.get(k + 1).is_some_and(|w| w.is_in("tag label")) && k + 2 == to
    {
        let names = if field.is_in("tag tags label labels") {
            &ws[k + 1..to]
        } else {
            &ws[k..to]
        };
        changes.add_tags = names
            .iter()
            .filter_map(tag_word)
            .filter(|t| !in_list("and with tag label", t.as_str()))
            .collect();
        if changes.add_tags.is_empty() {
            return None;
        }
    } else if field.is_in("due deadline date") || starts(&ws[k..], "due date") {
        let when = dates::find(&rest, now).or_else(|| dates::find(&ws[k..to], now))?;
        changes.due = Some(Some(when.when));
    } else if field.is("priority")
        || (priority_word(&field.norm).is_some() && ws.get(k + 1).is_some_and(|w| w.is("priority")))
    {
        let p = ws[k..].iter().find_map(|w| priority_word(&w.norm))?;
        changes.priority = Some(p);
    } else {
        return None;
    }
    Some(Intent::Update(task_ref(target), changes))
}

/// Fields a change can name: "set the priority of …", "change task 3's due date to …".
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Title,
    Description,
    Priority,
    Due,
    Tags,
    Recurrence,
}

fn field_at(ws: &[Word], i: usize) -> Option<(Field, usize)> {
    let w = ws.get(i)?.norm.as_str();
    let next = ws.get(i + 1).map_or("", |w| w.norm.as_str());
    Some(match w {
        "title" | "name" | "text" | "wording" => (Field::Title, 1),
        "description" | "desc" | "note" | "notes" | "details" => (Field::Description, 1),
        "priority" | "prio" | "importance" => (Field::Priority, 1),
        "due" if next == "date" || next == "time" => (Field::Due, 2),
        "deadline" | "date" | "due" => (Field::Due, 1),
        "tags" | "tag" | "labels" | "label" => (Field::Tags, 1),
        "recurrence" | "repeat" | "repetition" | "schedule" | "frequency" => (Field::Recurrence, 1),
        _ => return None,
    })
}

/// Verbs of a change; the first word decides which family of rules reads the rest.
const CHANGE_VERBS: &str =
    "change|update|edit|modify|rename|retitle|set|make|move|reschedule|flag|\
    postpone|push back|push|delay|defer|bump|tag|label|untag|unlabel|\
    prioritize|prioritise|deprioritize|deprioritise|describe|remove|clear|\
    delete|drop|switch|turn|mark|give|put|assign|lower|raise|increase|decrease|reduce";
/// Verbs that move a due date.
const MOVE_VERBS: &str = "move|reschedule|postpone|push back|push|delay|defer|bump";

pub(super) fn update(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    let verb_len = prefix(ws, CHANGE_VERBS)?;
    let rest = &ws[verb_len..];
    if rest.is_empty() {
        return Some(Intent::Incomplete("update"));
    }
    if let Some(intent) = priority_verb(first, rest) {
        return Some(intent);
    }
    if in_list("remove clear delete drop untag unlabel", first) {
        return removal(first, rest);
    }
    if first == "tag" || first == "label" {
        return tagging(rest);
    }
    if first == "describe" {
        return describing(rest);
    }
    let moving = prefix(ws, MOVE_VERBS).is_some();
    if moving {
        if let Some(intent) = shifting(rest) {
            return Some(intent);
        }
    }
    set_value(first, rest.to_vec(), moving, now)
}

/// "lower the priority of the report", "raise task 3's priority", "prioritize the report",
/// "deprioritize task 3".
fn priority_verb(first: &str, rest: &[Word]) -> Option<Intent> {
    let (target, priority) = if in_list("lower raise increase decrease reduce", first)
        && rest.iter().any(|w| w.is("priority"))
    {
        let target: Vec<Word> = rest
            .iter()
            .filter(|w| !w.is_in("the priority of its for on"))
            .cloned()
            .collect();
        let up = in_list("raise increase", first);
        (target, if up { Priority::High } else { Priority::Low })
    } else if first.starts_with("prioriti") || first.starts_with("depriori") {
        let down = first.starts_with("de");
        (
            rest.to_vec(),
            if down { Priority::Low } else { Priority::High },
        )
    } else {
        return None;
    };
    let changes = Changes {
        priority: Some(priority),
        ..Default::default()
    };
    Some(Intent::Update(task_ref(&target), changes))
}

/// "remove the due date from task 3", "clear the description of the milk one", "remove tag home
/// from 2", "untag #home from task 2".
fn removal(first: &str, rest: &[Word]) -> Option<Intent> {
    let mut changes = Changes::default();
    let from = rest.iter().position(|w| w.is_in("from of on for off"))?;
    let what = &rest[..from];
    let target = &rest[from + 1..];
    let field = (0..what.len()).find_map(|i| field_at(what, i)).map(|f| f.0);
    let tags: Vec<String> = what
        .iter()
        .filter(|w| w.norm.starts_with('#') || first.starts_with("un"))
        .filter_map(tag_word)
        .collect();
    match field {
        _ if first.starts_with("un")
            || (!tags.is_empty() && what.iter().any(|w| w.norm.starts_with('#'))) =>
        {
            changes.remove_tags = tags
        }
        Some(Field::Tags) => {
            changes.remove_tags = what
                .iter()
                .skip_while(|w| field_at(std::slice::from_ref(w), 0).is_none())
                .skip(1)
                .filter_map(tag_word)
                .collect();
            if changes.remove_tags.is_empty() {
                changes.remove_tags = vec!["*".into()];
            }
        }
        Some(Field::Due) => changes.due = Some(None),
        Some(Field::Description) => changes.description = Some(None),
        Some(Field::Recurrence) => changes.recurrence = Some(None),
        Some(Field::Priority) => changes.priority = Some(Priority::Medium),
        _ => return None,
    }
    Some(Intent::Update(task_ref(target), changes))
}

/// "tag task 2 with #home", "tag the milk one as groceries".
fn tagging(rest: &[Word]) -> Option<Intent> {
    let mut changes = Changes::default();
    let sep = rest
        .iter()
        .position(|w| w.is_in("with as to") || w.norm.starts_with('#'))?;
    let target = &rest[..sep];
    let tags: Vec<String> = rest[sep..]
        .iter()
        .filter(|w| !w.is_in("with as to and tag tags"))
        .filter_map(tag_word)
        .collect();
    if tags.is_empty() || target.is_empty() {
        return None;
    }
    changes.add_tags = tags;
    Some(Intent::Update(task_ref(target), changes))
}

/// "describe task 3 as …".
fn describing(rest: &[Word]) -> Option<Intent> {
    let mut changes = Changes::default();
    let sep = rest
        .iter()
        .position(|w| w.is_in("as with") || w.ends_clause())?;
    let end = if rest[sep].ends_clause() && !rest[sep].is_in("as with") {
        sep + 1
    } else {
        sep
    };
    let text = join(&rest[sep + 1..]);
    if text.is_empty() {
        return None;
    }
    changes.description = Some(Some(text));
    Some(Intent::Update(task_ref(&rest[..end]), changes))
}

/// "push the report back a day", "postpone the meeting by 2 days".
fn shifting(rest: &[Word]) -> Option<Intent> {
    let (j, days) = (1..rest.len()).find_map(|j| shift(&rest[j..]).map(|d| (j, d)))?;
    let mut target = &rest[..j];
    if target.last().is_some_and(|w| w.is_in("back forward ahead")) && target.len() > 1 {
        target = &target[..target.len() - 1];
    }
    let forward = rest[j..]
        .iter()
        .any(|w| w.is_in("earlier forward ahead sooner"))
        || target.len() < j && rest[j - 1].is_in("forward ahead");
    let changes = Changes {
        shift_days: Some(if forward { -days } else { days }),
        ..Default::default()
    };
    Some(Intent::Update(task_ref(target), changes))
}

/// A task, a field and a new value: "rename task 2 to …", "set the priority of task 3 to high",
/// "change task 1 description to …", "make the report high priority", "move the dentist friday".
fn set_value(first: &str, mut rest: Vec<Word>, moving: bool, now: DateTime<Utc>) -> Option<Intent> {
    let mut field = leading_field(&mut rest);
    let (mut target, mut value) = split_target(&rest, now)?;
    // "set task 3 priority to high", "change the milk task's title to …".
    if field.is_none() && target.len() > 1 {
        field = trailing_field(&mut target);
    }
    // "change task 1 description to …": the field comes after an explicit reference.
    if field.is_none() {
        field = value_field(&mut value);
    }
    const LINKS: &str = "to as into until till til be with is";
    while value.first().is_some_and(|w| w.is_in(LINKS)) && value.len() > 1 {
        value.remove(0);
    }
    if target.is_empty() || value.is_empty() {
        return None;
    }
    // "rename task 1 to": cut off before the new value; never a task renamed "To".
    if let [w] = value.as_slice() {
        if w.is_in(LINKS) {
            return Some(Intent::Incomplete("update"));
        }
    }
    let changes = changes_to(field, &value, first, moving, now)?;
    if changes.is_empty() {
        return None;
    }
    Some(Intent::Update(task_ref(&target), changes))
}

/// "the priority of task 3 to high" / "the due date for the report to friday": the field named
/// first, taken out of `rest`.
fn leading_field(rest: &mut Vec<Word>) -> Option<Field> {
    let mut field: Option<Field> = None;
    let skip = usize::from(rest.first().is_some_and(|w| w.is_in("the its a an new")));
    if let Some((f, len)) = field_at(rest, skip) {
        let after = skip + len;
        if rest.get(after).is_some_and(|w| w.is_in("of for on in")) {
            field = Some(f);
            rest.drain(..=after);
        } else if let Some(j) = rest.get(after).filter(|w| w.is_in("to as")).and_then(|_| {
            (after + 2..rest.len().saturating_sub(1)).find(|&j| rest[j].is_in("for of on"))
        }) {
            // "change the priority to high for task 1": the target last; read as "task 1 to high".
            field = Some(f);
            let mut reordered = rest[j + 1..].to_vec();
            reordered.extend_from_slice(&rest[after..j]);
            *rest = reordered;
        }
    }
    field
}

/// Splits target and value: a number reference ends at once; otherwise at "to"/"as"/":".
fn split_target(rest: &[Word], now: DateTime<Utc>) -> Option<(Vec<Word>, Vec<Word>)> {
    let explicit = explicit_ref_len(rest);
    let sep = match explicit {
        Some(len) => Some(len),
        None => (0..rest.len()).find(|&i| {
            rest[i].is_in("to as into until till til for with") && i > 0
                || (rest[i].ends_clause() && rest[i].text.ends_with(':'))
        }),
    };
    let split = match sep {
        Some(s)
            if rest
                .get(s)
                .is_some_and(|w| w.ends_clause() && w.text.ends_with(':') && !w.is_in("to as")) =>
        {
            (rest[..=s].to_vec(), rest[s + 1..].to_vec())
        }
        Some(s) => (rest[..s].to_vec(), rest[s..].to_vec()),
        // "rename the report 'Q4 report'": a quoted title at the end.
        None if rest.len() > 1 && rest.last().is_some_and(|w| w.quoted) => (
            rest[..rest.len() - 1].to_vec(),
            rest[rest.len() - 1..].to_vec(),
        ),
        None => {
            // "make the report high priority", "move the dentist friday": the value is the
            // longest tail made only of attributes.
            let split = (1..rest.len()).find(|&i| {
                let (a, left) = attributes(&rest[i..], now);
                a != Attrs::default() && left.iter().all(|w| w.is_in("a an the it and"))
            })?;
            (rest[..split].to_vec(), rest[split..].to_vec())
        }
    };
    Some(split)
}

/// A field named at the end of the target ("task 3 priority"), cut off it.
fn trailing_field(target: &mut Vec<Word>) -> Option<Field> {
    let last = target.len() - 1;
    let two = target.len().checked_sub(2).and_then(|i| {
        field_at(target, i)
            .filter(|(_, l)| *l == 2)
            .map(|(f, _)| (f, i))
    });
    let (f, i) = two.or_else(|| {
        field_at(target, last)
            .filter(|(_, l)| *l == 1)
            .map(|(f, _)| (f, last))
    })?;
    target.truncate(i);
    Some(f)
}

/// A field named at the start of the value ("description to …"), cut off it.
fn value_field(value: &mut Vec<Word>) -> Option<Field> {
    let (f, len) = field_at(value, 0)?;
    if !(value.get(len).is_some_and(|w| w.is_in("to as into"))
        || value[len - 1].text.ends_with(':'))
    {
        return None;
    }
    value.drain(..len);
    Some(f)
}

/// The changes `value` makes to `field`, or, with no field named, the attributes it lists (else
/// a new title).
fn changes_to(
    field: Option<Field>,
    value: &[Word],
    first: &str,
    moving: bool,
    now: DateTime<Utc>,
) -> Option<Changes> {
    let mut changes = Changes::default();
    let quoted = value.iter().find(|w| w.quoted).map(|w| w.text.clone());
    let text_value = || quoted.clone().unwrap_or_else(|| capitalise(&join(value)));
    match field {
        Some(Field::Title) => changes.title = Some(text_value()),
        Some(Field::Description) => {
            changes.description = Some(Some(quoted.clone().unwrap_or_else(|| join(value))))
        }
        Some(Field::Priority) => {
            changes.priority = Some(value.iter().find_map(|w| priority_word(&w.norm))?)
        }
        Some(Field::Due) => {
            changes.due = Some(
                if value
                    .iter()
                    .all(|w| w.is_in("none nothing never no date null"))
                {
                    None
                } else {
                    Some(dates::find(value, now)?.when)
                },
            )
        }
        Some(Field::Tags) => {
            changes.add_tags = value
                .iter()
                .filter(|w| !w.is("and"))
                .filter_map(tag_word)
                .collect()
        }
        Some(Field::Recurrence) => {
            let (a, _) = attributes(value, now);
            changes.recurrence = Some(a.recurrence);
        }
        None => {
            let (a, left) = attributes(value, now);
            let only_attributes = quoted.is_none()
                && a != Attrs::default()
                && left
                    .iter()
                    .all(|w| w.is_in("a an the it and due repeat be is"));
            if only_attributes || (moving && a.due.is_some()) {
                changes.priority = a.priority;
                changes.add_tags = a.tags;
                changes.due = a.due.map(Some);
                changes.keep_day = dates::find_time(value)
                    .is_some_and(|(start, end, _)| start == 0 && end == value.len());
                changes.recurrence = a.recurrence.map(Some);
                changes.description = a.description.map(Some);
                changes.reminders = reminders_said(a.reminders);
            } else if moving {
                return None;
            } else if in_list("make set mark turn give put assign schedule switch", first) {
                // "set task 3 to tomorrow" is handled above; "make task 3 …" with no attribute is unclear.
                return None;
            } else {
                changes.title = Some(text_value());
            }
        }
    }
    Some(changes)
}

/// "a day", "by 2 days", "back a week", "3 days later": a number of days, all of `ws`.
fn shift(ws: &[Word]) -> Option<i64> {
    let mut k = usize::from(ws.first()?.is_in("by back forward ahead"));
    let n = match ws.get(k)?.norm.as_str() {
        "a" | "an" | "one" => 1,
        w => number_word(w)?,
    };
    k += 1;
    let unit = match ws.get(k)?.norm.as_str() {
        "day" | "days" => 1,
        "week" | "weeks" => 7,
        _ => return None,
    };
    k += 1;
    let rest_ok = ws[k..]
        .iter()
        .all(|w| w.is_in("later earlier forward ahead back sooner"));
    (rest_ok && n <= 365).then_some(n * unit)
}

/// "the report is urgent", "task 3 is due friday", "the milk one should be high priority", and
/// with no verb after a number: "task 1 due friday", "#2 high priority".
pub(super) fn subject_first_update(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    const VERBS: &str = "is should needs must has";
    let (target, tail) = match explicit_ref_len(ws) {
        Some(k) if ws.get(k).is_some_and(|w| !w.is_in(VERBS)) => ws.split_at(k),
        _ => {
            let verb = ws.iter().position(|w| w.is_in(VERBS))?;
            if verb == 0 {
                return None;
            }
            (&ws[..verb], &ws[verb + 1..])
        }
    };
    if target[0].is_in(
        "what whats which who when how any anything is are do show list tell \
        where everything all nothing",
    ) {
        return None;
    }
    let explicit = explicit_ref_len(target) == Some(target.len());
    let named = target.iter().any(|w| w.is_in("task one item")) || target.iter().any(|w| w.quoted);
    if !explicit && !named && !target.first().is_some_and(|w| w.is("the")) {
        return None;
    }
    let (a, left) = attributes(tail, now);
    if a == Attrs::default()
        || !left
            .iter()
            .all(|w| w.is_in("be now a an the actually really to done due have been moved"))
    {
        return None;
    }
    let changes = Changes {
        priority: a.priority,
        add_tags: a.tags,
        due: a.due.map(Some),
        recurrence: a.recurrence.map(Some),
        description: a.description.map(Some),
        reminders: reminders_said(a.reminders),
        ..Default::default()
    };
    Some(Intent::Update(task_ref(target), changes))
}

/// Reminders said with other changes ("move it to friday 3pm and remind me an hour before").
fn reminders_said(at: Vec<Alarm>) -> Option<ReminderChange> {
    (!at.is_empty()).then_some(ReminderChange::Add(at))
}
