//! Questions about the list (filters, search, counts) and about one task ("did I call mom?").

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use todo_domain::Status;

use super::act::DONE_WORDS;
use super::attrs::{priority_word, tag_word};
use super::refs::task_ref;
use super::{DueRange, Filter, Intent, SortBy, TaskRef};
use crate::dates;
use crate::text::{in_list, join, norms, prefix, starts, Word};

/// First words of a question about the list.
const ASK: &str = "show list display view see give get tell what whats which do any \
    anything are is how whatre lemme let print read check open whats pull \
    bring search find look lookup grep filter can my all pending completed \
    done finished overdue todo to-do tasks task due open remaining \
    outstanding upcoming high low urgent important everything agenda where \
    have did when";
/// Words that make a question one about tasks.
const TASKISH: &str = "task tasks todo todos to-do to-dos list pending left remaining completed \
    done finished open outstanding due overdue agenda plate incomplete \
    unfinished everything upcoming priority tagged urgent important items \
    reminders next complete todolist undone";
/// Phrases asking what is still to do.
const TO_DO: &str = "to do|need to do|have to do|got to do|should i do|should i work on|\
    do i do|must i do|on my plate|on my list|on the list|whats next|what next|do next";

pub(super) fn list(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    if let Some(i) = anything_about(ws, now) {
        return Some(i);
    }
    let n = norms(ws);
    let first = *n.first()?;
    if !in_list(ASK, first) && !first.starts_with('#') {
        return None;
    }
    // "task 2 is done", "#1 done", "task 1 due friday", "task -1": statements about one task.
    let numbered = |w: &Word| {
        let d = w.norm.trim_start_matches(['#', '-']);
        !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
    };
    if numbered(&ws[0]) || ws[0].is("task") && ws.get(1).is_some_and(numbered) {
        return None;
    }
    // "check the milk one off" ticks a task; "check my tasks" asks.
    if first == "check" && ws.last().is_some_and(|w| w.is("off")) {
        return None;
    }
    if let Some(k) = prefix(
        ws,
        "search for|search my tasks for|search tasks for|search|find all|find my|\
            find|look for|look up|lookup|grep|filter by|filter",
    ) {
        return Some(Intent::List(search(&ws[k..], now)));
    }
    let joined = n.join(" ");
    let to_do = TO_DO.split('|').any(|p| joined.contains(p));
    if !asks_about_tasks(ws, &n, to_do, now) {
        return None;
    }
    let (mut filter, rest) = filters(ws, now);
    // "tasks about the report", "anything about milk": a search inside a question.
    if let Some(i) = rest.iter().position(|w| {
        w.is_in("about mentioning containing matching regarding concerning involving")
    }) {
        let core: Vec<Word> = rest[i + 1..]
            .iter()
            .filter(|w| !w.is_in("the my a an"))
            .cloned()
            .collect();
        let text = quoted_or_joined(&core);
        if !text.is_empty() {
            filter.search = Some(text);
        }
    }
    filter.count = starts(ws, "how many") || starts(ws, "count");
    if filter.tag.is_none() && filter.search.is_none() {
        filter.keyword = keyword(&rest);
    }
    filter.status = status_asked(&n, to_do, filter.due.is_some());
    Some(Intent::List(filter))
}

/// "anything about the dentist?", "is there anything on the rent", "do I have anything about
/// milk": a search, never a task to add.
fn anything_about(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(
        ws,
        "is there anything|is there something|do i have anything|have i got anything|            got anything|anything|something|any tasks|any task",
    )?;
    let about = prefix(
        &ws[k..],
        "about|on|for|regarding|mentioning|related to|to do with",
    )?;
    let filter = search(&ws[k + about..], now);
    filter.search.is_some().then_some(Intent::List(filter))
}

/// Search: "search for milk", "find tasks about the report", "look for dentist" (`ws` is what
/// follows the verb).
fn search(ws: &[Word], now: DateTime<Utc>) -> Filter {
    let (mut filter, rest) = filters(ws, now);
    let mut core: Vec<Word> = rest
        .into_iter()
        .skip_while(|w| {
            w.is_in(
                "the my all any tasks task todos items about with containing mentioning \
                matching for that mention contain related to called named a an word text \
                which include includes say says are",
            )
        })
        .collect();
    // "find my rent tasks": the words before "tasks".
    while core.len() > 1
        && core
            .last()
            .is_some_and(|w| w.is_in("tasks task todos items ones"))
    {
        core.pop();
    }
    let text = quoted_or_joined(&core);
    if !text.is_empty() && !core.iter().all(|w| w.is_in("tasks task todos")) {
        filter.search = Some(text);
    }
    filter
}

/// A quoted span among `ws` verbatim, else all of the words.
fn quoted_or_joined(ws: &[Word]) -> String {
    ws.iter()
        .find(|w| w.quoted)
        .map(|w| w.text.clone())
        .unwrap_or_else(|| join(ws))
}

/// Whether a message that opens like a question (`n` its normalised words) is one about the tasks,
/// not a report of work done ("done with the report") or a lone "due".
fn asks_about_tasks(ws: &[Word], n: &[&str], to_do: bool, now: DateTime<Utc>) -> bool {
    let first = n[0];
    // "show all", "list everything", a bare "show": the list is the only thing there is to show.
    let show_all = in_list("show list display view", first)
        && n[1..].iter().all(|w| in_list("me all my everything", w));
    let mentions_task = show_all
        || n.iter().any(|w| in_list(TASKISH, w) || w.starts_with('#'))
        || to_do
        || dates::find(ws, now).is_some()
            && in_list("what whats anything any is do show list", first);
    if !mentions_task {
        return false;
    }
    // "done with the report" / "completed the report" report work done; "completed tasks" asks.
    if in_list("complete completed done finished", first)
        && ws.len() > 1
        && !n[1..]
            .iter()
            .all(|w| in_list("tasks task ones items todos list", w))
    {
        return false;
    }
    if in_list("have did", first)
        && !n
            .iter()
            .any(|w| in_list("completed done finished complete", w))
    {
        return false;
    }
    !(first == "due" && ws.len() == 1)
}

/// Which tasks a list question asks for: the completed ones, those still to do, or all.
fn status_asked(n: &[&str], to_do: bool, dated: bool) -> Status {
    let negated = n.iter().any(|w| {
        in_list(
            "not isnt arent havent yet havent didnt undone unfinished incomplete left \
            remaining outstanding pending open",
            w,
        )
    });
    let done = n.iter().any(|w| {
        in_list(
            "completed done finished complete did accomplished achieved closed ticked \
            checked",
            w,
        )
    });
    // "todo" asks for what is still to do, but a "todo list" is the whole list.
    let todo = n
        .iter()
        .enumerate()
        .any(|(i, w)| in_list("todo to-do todos", w) && n.get(i + 1).is_none_or(|x| *x != "list"));
    if done && !negated && !to_do {
        Status::Completed
    } else if negated
        || to_do
        || todo
        || dated
        || n.iter().any(|w| in_list("next upcoming should", w))
    {
        Status::Pending
    } else {
        Status::All
    }
}

/// The word before "tasks" that is not a word about lists: "work" in "show my work tasks"; or a
/// last word after "for"/"at": "work" in "what's pending for work?", "anything at home?".
fn keyword(rest: &[Word]) -> Option<String> {
    const KNOWN: &str = "my all the pending completed open done finished remaining your any these \
        those of show list me what whats are which current active other new old \
        recent latest upcoming outstanding incomplete unfinished more some many \
        how do i have get see view display give tell about complete todo to-do \
        every entire full unchecked checked a few existing most next top first \
        last important urgent now later us you it them list plate agenda";
    let w = match rest
        .iter()
        .position(|w| w.is_in("tasks todos items task to-dos"))
    {
        Some(at) => rest.get(at.checked_sub(1)?)?,
        None => match rest {
            [.., by, w] if by.is_in("for at") => w,
            [.., by, the, w] if by.is_in("for at") && the.is_in("the my") => w,
            _ => return None,
        },
    };
    (!w.is_in(KNOWN)).then(|| tag_word(w)).flatten()
}

/// One task's details or state: "show me task 3", "details of the report", "did I call mom?",
/// "is task 2 done?".
pub(super) fn show(ws: &[Word]) -> Option<Intent> {
    let about_list = |rest: &[Word]| {
        rest.iter().any(|w| {
            w.is_in("tasks todos list everything anything something all any there nothing")
        })
    };
    if let Some(k) = prefix(
        ws,
        "show me task|show task|open task|what is task|whats task|view task",
    ) {
        let r = task_ref(&ws[k - 1..]);
        return matches!(r, TaskRef::Id(_)).then_some(Intent::Show(r));
    }
    if let Some(k) = prefix(
        ws,
        "details of|details for|details on|details about|info on|info about|\
            information on|information about|whats the status of|whats the description of|\
            what is the status of|status of|tell me more about|tell me about|\
            more about|did i finish|did i complete|did i do|have i finished|\
            have i completed|have i done|did i|have i",
    ) {
        let mut rest = &ws[k..];
        while rest.len() > 1 && rest.last().is_some_and(|w| w.is_in("yet already")) {
            rest = &rest[..rest.len() - 1];
        }
        if rest.is_empty() || about_list(rest) {
            return None;
        }
        return Some(Intent::Show(task_ref(rest)));
    }
    // "when is it due?", "when's the dentist?".
    if let Some(k) = prefix(ws, "when is|whens|when was") {
        let mut rest = &ws[k..];
        if rest.last().is_some_and(|w| w.is("due")) {
            rest = &rest[..rest.len() - 1];
        }
        return (!rest.is_empty() && !about_list(rest)).then(|| Intent::Show(task_ref(rest)));
    }
    // "is the report done?", "is task 2 finished yet?".
    if ws.len() >= 3 && ws[0].is_in("is was are") {
        let mut end = ws.len();
        while end > 2 && ws[end - 1].is_in("yet already now still") {
            end -= 1;
        }
        let target = &ws[1..end - 1];
        let state = &ws[end - 1];
        if (state.is_in(DONE_WORDS) || state.is_in("pending open"))
            && !target.is_empty()
            && !about_list(target)
        {
            return Some(Intent::Show(task_ref(target)));
        }
    }
    None
}

/// Priority, tag, due and sort filters of a list question, and the words left.
fn filters(ws: &[Word], now: DateTime<Utc>) -> (Filter, Vec<Word>) {
    let mut f = Filter::default();
    let mut rest: Vec<Word> = Vec::new();
    let mut saw_due = false;
    let mut i = 0;
    while i < ws.len() {
        // Each reader takes the filter starting at word `i` and says where the next word is.
        let after = sort_order(ws, i, &mut f)
            .or_else(|| {
                saw_due |= ws[i].is("due");
                ws[i].is("due").then_some(i + 1)
            })
            .or_else(|| priority_filter(ws, i, &mut f))
            .or_else(|| tag_filter(ws, i, &mut f, &mut rest))
            .or_else(|| {
                let (range, after) = named_range(ws, i, now).or_else(|| date_range(ws, i, now))?;
                f.due = Some(range);
                Some(after)
            });
        match after {
            Some(after) => i = after,
            None => {
                rest.push(ws[i].clone());
                i += 1;
            }
        }
    }
    // "what's due?" without a date: the coming week (and anything overdue).
    if saw_due && f.due.is_none() {
        f.due = Some(DueRange {
            from: None,
            before: midnight(now.date_naive() + chrono::Duration::days(8)),
            label: "in the next 7 days".into(),
        });
    }
    (f, rest)
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// "sorted by due date", "by priority", "order by name", "alphabetically".
fn sort_order(ws: &[Word], i: usize, f: &mut Filter) -> Option<usize> {
    let w = &ws[i];
    let mut j = i + usize::from(w.is_in("sorted sort order ordered arranged"));
    j += usize::from(ws.get(j).is_some_and(|w| w.is("by")));
    let key = ws.get(j).map_or("", |w| w.norm.as_str());
    let by = match key {
        "due" | "deadline" | "date" | "dates" | "deadlines" => Some(SortBy::Due),
        "priority" | "importance" => Some(SortBy::Priority),
        "title" | "name" | "alphabet" => Some(SortBy::Title),
        _ => None,
    };
    if let (true, Some(by)) = (j > i, by) {
        f.sort = Some(by);
        return Some(
            j + 1 + usize::from(key == "due" && ws.get(j + 1).is_some_and(|w| w.is("date"))),
        );
    }
    if w.is("alphabetically") {
        f.sort = Some(SortBy::Title);
        return Some(i + 1);
    }
    None
}

/// "high priority", "urgent", "low-priority".
fn priority_filter(ws: &[Word], i: usize, f: &mut Filter) -> Option<usize> {
    let w = &ws[i];
    let next = ws.get(i + 1).map_or("", |w| w.norm.as_str());
    if let Some(p) = priority_word(&w.norm).filter(|_| {
        in_list("priority prio pri", next) || in_list("urgent important critical", w.norm.as_str())
    }) {
        f.priority = Some(p);
        return Some(if in_list("priority prio pri", next) {
            i + 2
        } else {
            i + 1
        });
    }
    let p = w.norm.strip_suffix("-priority").and_then(priority_word)?;
    f.priority = Some(p);
    Some(i + 1)
}

/// "#work", "tagged home", "labeled as errands", "with the errands tag" (its name already in `rest`).
fn tag_filter(ws: &[Word], i: usize, f: &mut Filter, rest: &mut Vec<Word>) -> Option<usize> {
    let w = &ws[i];
    let next = ws.get(i + 1).map_or("", |w| w.norm.as_str());
    if w.norm.starts_with('#') {
        if let Some(t) = tag_word(w) {
            f.tag = Some(t);
            return Some(i + 1);
        }
    }
    if !w.is_in("tagged tag labeled labelled label") {
        return None;
    }
    let k = if next == "with" || next == "as" {
        i + 2
    } else {
        i + 1
    };
    if let Some(t) = ws.get(k).and_then(tag_word) {
        f.tag = Some(t);
        return Some(k + 1);
    }
    // "with the errands tag".
    let t = rest
        .last()
        .and_then(tag_word)
        .filter(|t| !in_list("the a my with any that this", t.as_str()))?;
    rest.pop();
    f.tag = Some(t);
    Some(i + 1)
}

/// Due ranges said in words: "overdue", "this week", "next week", "this month", "soon"; with the
/// index of the word after them.
fn named_range(ws: &[Word], i: usize, now: DateTime<Utc>) -> Option<(DueRange, usize)> {
    let w = &ws[i];
    let next = ws.get(i + 1).map_or("", |w| w.norm.as_str());
    let today = now.date_naive();
    let week_start = |offset: i64| {
        let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday().into());
        midnight(monday + chrono::Duration::weeks(offset))
    };
    let range = |from, before, label: &str| DueRange {
        from,
        before,
        label: label.into(),
    };
    if w.is("overdue") || (w.is("past") && next == "due") || w.is("late") {
        let after = if w.is("past") { i + 2 } else { i + 1 };
        return Some((range(None, now, "overdue"), after));
    }
    if (w.is("this") || w.is("the")) && next == "week" {
        return Some((range(None, week_start(1), "this week"), i + 2));
    }
    if w.is("next") && next == "week" {
        return Some((
            range(Some(week_start(1)), week_start(2), "next week"),
            i + 2,
        ));
    }
    if (w.is("this") || w.is("the")) && next == "month" {
        let first_next = today
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .unwrap_or(today);
        return Some((range(None, midnight(first_next), "this month"), i + 2));
    }
    if w.is_in("soon upcoming") {
        let before = midnight(today + chrono::Duration::days(8));
        return Some((range(None, before, "in the next 7 days"), i + 1));
    }
    None
}

/// A due range from a date phrase starting at word `i` ("due today", "by friday", "this weekend"),
/// with the index of the word after it.
fn date_range(ws: &[Word], i: usize, now: DateTime<Utc>) -> Option<(DueRange, usize)> {
    let today = now.date_naive();
    let found = dates::find(&ws[i..], now).filter(|f| f.start == 0)?;
    let day = found.when.at.date_naive();
    let label = if day == today {
        "today".to_owned()
    } else if day == today.succ_opt().unwrap_or(today) {
        "tomorrow".to_owned()
    } else {
        format!("on {}", day.format("%A, %b %-d"))
    };
    // "due today" also shows what is overdue: it is still to do today; so does "by friday".
    let by = ws[i].is_in("by before until till");
    let from = (day != today && !by).then(|| midnight(day));
    let label = if by {
        format!("by {}", label.trim_start_matches("on "))
    } else {
        label
    };
    // A weekend is two days.
    let weekend = ws[i..i + found.end].iter().any(|w| w.is("weekend"));
    let (days, label) = if weekend {
        (2, "this weekend".to_owned())
    } else {
        (1, label)
    };
    let range = DueRange {
        from,
        before: midnight(day + chrono::Duration::days(days)),
        label,
    };
    Some((range, i + found.end))
}
