//! Actions on existing tasks: completing, reopening, deleting and updating.

use super::*;

pub(super) const DONE_WORDS: &str =
    "done complete completed finished checked ticked closed resolved";
pub(super) const UNDONE_WORDS: &str =
    "incomplete undone pending open uncompleted unfinished todo unchecked \
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
        return match task_ref(rest) {
            r @ (TaskRef::Id(_) | TaskRef::Nth(_) | TaskRef::It) => Some(Intent::Complete(r)),
            r if first != "finish" => Some(Intent::Complete(r)),
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
pub(super) fn is_past(w: &str) -> bool {
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

pub(super) fn ref_intent(ws: &[Word], make: fn(TaskRef) -> Intent) -> Intent {
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
            completed done finished pending open both checked old off out",
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

// ---------------------------------------------------------------------------------------------
// Updating

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
pub(super) enum Field {
    Title,
    Description,
    Priority,
    Due,
    Tags,
    Recurrence,
}

pub(super) fn field_at(ws: &[Word], i: usize) -> Option<(Field, usize)> {
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

pub(super) fn update(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    let verb_len = prefix(
        ws,
        "change|update|edit|modify|rename|retitle|set|make|move|reschedule|flag|\
            postpone|push back|push|delay|defer|bump|tag|label|untag|unlabel|\
            prioritize|prioritise|deprioritize|deprioritise|describe|remove|clear|\
            delete|drop|switch|turn|mark|give|put|assign|lower|raise|increase|decrease|reduce",
    );
    let verb_len = verb_len?;
    let mut rest: Vec<Word> = ws[verb_len..].to_vec();
    if rest.is_empty() {
        return Some(Intent::Incomplete("update"));
    }
    let mut changes = Changes::default();
    // "lower the priority of the report", "raise task 3's priority".
    if in_list("lower raise increase decrease reduce", first)
        && rest.iter().any(|w| w.is("priority"))
    {
        let target: Vec<Word> = rest
            .iter()
            .filter(|w| !w.is_in("the priority of its for on"))
            .cloned()
            .collect();
        changes.priority = Some(if in_list("raise increase", first) {
            Priority::High
        } else {
            Priority::Low
        });
        return Some(Intent::Update(task_ref(&target), changes));
    }
    // "prioritize the report", "deprioritize task 3".
    if first.starts_with("prioriti") || first.starts_with("depriori") {
        changes.priority = Some(if first.starts_with("de") {
            Priority::Low
        } else {
            Priority::High
        });
        return Some(Intent::Update(task_ref(&rest), changes));
    }
    // "remove the due date from task 3", "clear the description of the milk one", "remove tag home from 2".
    if in_list("remove clear delete drop untag unlabel", first) {
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
        return Some(Intent::Update(task_ref(target), changes));
    }
    // "tag task 2 with #home", "tag the milk one as groceries".
    if first == "tag" || first == "label" {
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
        return Some(Intent::Update(task_ref(target), changes));
    }
    // "describe task 3 as …".
    if first == "describe" {
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
        return Some(Intent::Update(task_ref(&rest[..end]), changes));
    }
    // "push the report back a day", "postpone the meeting by 2 days".
    if prefix(
        ws,
        "move|reschedule|postpone|push back|push|delay|defer|bump",
    )
    .is_some()
    {
        if let Some((j, days)) = (1..rest.len()).find_map(|j| shift(&rest[j..]).map(|d| (j, d))) {
            let mut target = &rest[..j];
            if target.last().is_some_and(|w| w.is_in("back forward ahead")) && target.len() > 1 {
                target = &target[..target.len() - 1];
            }
            let forward = rest[j..]
                .iter()
                .any(|w| w.is_in("earlier forward ahead sooner"))
                || target.len() < j && rest[j - 1].is_in("forward ahead");
            changes.shift_days = Some(if forward { -days } else { days });
            return Some(Intent::Update(task_ref(target), changes));
        }
    }
    // "the priority of task 3 to high" / "the due date for the report to friday".
    let mut field: Option<Field> = None;
    let skip = usize::from(rest.first().is_some_and(|w| w.is_in("the its a an new")));
    if let Some((f, len)) = field_at(&rest, skip) {
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
            rest = reordered;
        }
    }
    // Split target and value: a number reference ends at once; otherwise at "to"/"as"/":".
    let (mut target, value): (Vec<Word>, Vec<Word>) = {
        let explicit = explicit_ref_len(&rest);
        let sep = match explicit {
            Some(len) => Some(len),
            None => (0..rest.len()).find(|&i| {
                rest[i].is_in("to as into until till til for with") && i > 0
                    || (rest[i].ends_clause() && rest[i].text.ends_with(':'))
            }),
        };
        match sep {
            Some(s)
                if rest.get(s).is_some_and(|w| {
                    w.ends_clause() && w.text.ends_with(':') && !w.is_in("to as")
                }) =>
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
        }
    };
    // "set task 3 priority to high", "change the milk task's title to …".
    if field.is_none() && target.len() > 1 {
        let last = target.len() - 1;
        let two = target.len().checked_sub(2).and_then(|i| {
            field_at(&target, i)
                .filter(|(_, l)| *l == 2)
                .map(|(f, _)| (f, i))
        });
        if let Some((f, i)) = two.or_else(|| {
            field_at(&target, last)
                .filter(|(_, l)| *l == 1)
                .map(|(f, _)| (f, last))
        }) {
            field = Some(f);
            target.truncate(i);
        }
    }
    let mut value: Vec<Word> = value;
    // "change task 1 description to …": the field comes after an explicit reference.
    if field.is_none() {
        if let Some((f, len)) = field_at(&value, 0) {
            if value.get(len).is_some_and(|w| w.is_in("to as into"))
                || value[len - 1].text.ends_with(':')
            {
                field = Some(f);
                value.drain(..len);
            }
        }
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
    let quoted = value.iter().find(|w| w.quoted).map(|w| w.text.clone());
    let text_value = || quoted.clone().unwrap_or_else(|| capitalise(&join(&value)));
    let moving = prefix(
        ws,
        "move|reschedule|postpone|push back|push|delay|defer|bump",
    )
    .is_some();
    match field {
        Some(Field::Title) => changes.title = Some(text_value()),
        Some(Field::Description) => {
            changes.description = Some(Some(quoted.clone().unwrap_or_else(|| join(&value))))
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
                    Some(dates::find(&value, now)?.when)
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
            let (a, _) = attributes(&value, now);
            changes.recurrence = Some(a.recurrence);
        }
        None => {
            let (a, left) = attributes(&value, now);
            let only_attributes = quoted.is_none()
                && a != Attrs::default()
                && left
                    .iter()
                    .all(|w| w.is_in("a an the it and due repeat be is"));
            if only_attributes || (moving && a.due.is_some()) {
                changes.priority = a.priority;
                changes.add_tags = a.tags;
                changes.due = a.due.map(Some);
                changes.keep_day = dates::find_time(&value)
                    .is_some_and(|(start, end, _)| start == 0 && end == value.len());
                changes.recurrence = a.recurrence.map(Some);
                changes.description = a.description.map(Some);
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
    if changes.is_empty() {
        return None;
    }
    Some(Intent::Update(task_ref(&target), changes))
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
        ..Default::default()
    };
    Some(Intent::Update(task_ref(target), changes))
}
