//! Requests to add tasks, explicit ("add …", "remind me to …") and loose ("I need to …", "buy milk").

use chrono::{DateTime, Utc};
use todo_domain::Priority;

use super::attrs::{attributes, priority_word, tidy_title, Attrs};
use super::refs::number_word;
use super::reminder_time::morning_of;
use super::{Alarm, Draft, Intent};
use crate::text::{in_list, norms, prefix, starts, Word};

/// Common first words of a task ("buy milk"); a message starting with one is a task to add.
pub(super) const TASK_VERBS: &str =
    "buy call email e-mail text phone ring pay pick book schedule clean write \
    send fix get make visit renew return submit water walk order read study \
    prepare review wash cook meet go take bring plan organize organise file \
    print post mail ship learn practice practise feed vacuum mow iron pack \
    charge replace repair install research contact ask invite reply respond \
    follow sign register apply backup collect deliver paint sort tidy empty \
    hire interview draft publish deploy refactor test message watch listen \
    run jog exercise shop grab fetch bake do finish start check update \
    change cancel drop see talk speak remind download upload unsubscribe \
    subscribe transfer withdraw deposit purchase sell donate wrap decorate \
    celebrate attend join leave move clear delete remove archive complete \
    close open rename arrange confirm";

pub(super) fn explicit_add(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let first = *norms(ws).first()?;
    let k = if in_list(
        "add adding create new make put stick insert jot note log record set schedule \
        start",
        first,
    ) {
        add_verb_len(ws, first)?
    } else {
        reminder_len(ws)?
    };
    // "put milk on my list": the payload ends where the list is named; attributes() removes it.
    let payload = &ws[k.min(ws.len())..];
    if payload.is_empty()
        || payload
            .iter()
            .all(|w| w.is_in("task tasks todo a new to my list please"))
    {
        return Some(Intent::Incomplete("add"));
    }
    let asked_to_remind = ws[..k].iter().any(|w| w.is_in("remind reminder forget"));
    Some(match add(payload, now) {
        Intent::Add(drafts) if asked_to_remind => {
            Intent::Add(drafts.into_iter().map(|d| reminded(d, now)).collect())
        }
        other => other,
    })
}

/// "remind me to call mom at 5": a task with a due time is reminded then; one due on a day, at
/// 9:00 that day (unless that has passed).
fn reminded(mut d: Draft, now: DateTime<Utc>) -> Draft {
    if let (Some(due), true) = (d.due, d.reminders.is_empty()) {
        let at = if due.timed {
            Some(Alarm::Before {
                ms: 0,
                on_day_at: None,
            })
        } else {
            let morning = morning_of(due.at);
            (morning > now).then_some(Alarm::At(morning))
        };
        d.reminders.extend(at);
    }
    d
}

/// How many words of an "add …" request (`first` its first word) come before the task: "add a
/// (new) task (called|to|:) …", "create a task called 'X'", "new task: …". `None` when it is not
/// a request to add after all ("make the report urgent", "add task 3 …").
fn add_verb_len(ws: &[Word], first: &str) -> Option<usize> {
    let mut k = 1;
    // "add 2 tasks: …" (but "add 2 eggs" keeps its number).
    if ws.get(1).and_then(|w| number_word(&w.norm)).is_some()
        && ws
            .get(2)
            .is_some_and(|w| w.is_in("tasks todos items things reminders"))
    {
        k = 2;
    }
    while ws
        .get(k)
        .is_some_and(|w| w.is_in("a an the new another one more down me"))
    {
        k += 1;
    }
    let noun = ws.get(k).is_some_and(|w| {
        w.is_in(
            "task todo to-do item reminder entry note tasks todos items things \
            reminders",
        )
    });
    if noun {
        // "a new todo item": one noun or several.
        while ws.get(k).is_some_and(|w| {
            w.is_in(
                "task todo to-do item reminder entry note tasks todos items things \
                reminders",
            )
        }) {
            k += 1;
        }
    } else if !(in_list("add adding jot note put stick insert", first)
        // A heading: "new: buy bread" is "new task: buy bread".
        || ws[0].text.ends_with(':'))
    {
        return None;
    }
    if first == "note" && !noun && !ws[0].text.ends_with(':') && !starts(ws, "note to self") {
        return None;
    }
    if first == "note" && starts(ws, "note to self") {
        k = 3;
    }
    // "add task 3 …" names an existing task: that is an update, handled elsewhere.
    if noun
        && ws
            .get(k)
            .is_some_and(|w| w.norm.chars().all(|c| c.is_ascii_digit()) && !w.norm.is_empty())
    {
        return None;
    }
    // "create a task for me to …".
    if ws.get(k).is_some_and(|w| w.is("for")) && ws.get(k + 1).is_some_and(|w| w.is("me")) {
        k += 2;
    }
    if ws
        .get(k)
        .is_some_and(|w| w.is_in("called named titled to for that saying about which says with of"))
        && !(ws.get(k).is_some_and(|w| w.is("to"))
            && ws.get(k + 1).is_some_and(|w| w.is_in("my the")))
    {
        // "add a task with high priority …" keeps "with" for the attribute parser.
        if !ws[k].is("with") {
            k += 1;
        }
    }
    if ws.get(k).is_some_and(|w| w.is("says")) {
        k += 1;
    }
    Some(k)
}

/// How many words of a reminder ("remind me to …", "don't forget to …", "todo: …") come before the
/// task.
fn reminder_len(ws: &[Word]) -> Option<usize> {
    let p = prefix(
        ws,
        "remind me to|remind me about|remind me that i need to|\
            remind me that i have to|remind me that|remind me|reminder to|\
            reminder for|reminder about|reminder|i need to remember to|\
            i have to remember to|i must remember to|i should remember to|\
            need to remember to|i want to remember to|remember to|\
            remember that i need to|remember that|remember|dont let me forget to|\
            dont let me forget about|dont let me forget|do not let me forget to|\
            dont forget to|dont forget about|dont forget|do not forget to|\
            i must not forget to|i mustnt forget to|i shouldnt forget to|make sure i|\
            make sure to|note to self|todo|to-do|to do|task",
    )?;
    // "todo buy milk" is an add, but "todo list" / "task 3" are not.
    if ["todo", "to-do", "to do", "task"]
        .iter()
        .any(|t| starts(ws, t))
    {
        let colon = ws[p - 1].text.ends_with(':');
        if !colon || ws.len() == p {
            return None;
        }
    }
    Some(p)
}

/// "I need to call the bank", "I have to…", or a message starting with a task verb ("buy milk").
pub(super) fn loose_add(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(
        ws,
        "i need to|i have to|ive got to|i got to|i gotta|i must|i should|\
            i ought to|need to|have to|gotta|got to|must|i will|ill|i want to|\
            i would like to|id like to|i wanna|i plan to|i am going to|im going to|\
            im gonna|i am gonna|i also need to|i still need to|i still have to|\
            we need to|we have to|dont forget|i need|also",
    )
    .unwrap_or(0);
    let rest = &ws[k..];
    if rest.is_empty() {
        // "I need to…" cut short.
        return (k > 0).then_some(Intent::Incomplete("add"));
    }
    // A bare verb alone ("test", "run") is more likely a probe of the assistant than a task.
    if k == 0 && (!rest[0].is_in(TASK_VERBS) || rest.len() < 2) {
        return None;
    }
    // "I need milk": a thing to get, not an action.
    let payload: Vec<Word> = if starts(ws, "i need") && !starts(ws, "i need to") {
        let mut v = vec![Word {
            text: "get".into(),
            norm: "get".into(),
            quoted: false,
        }];
        v.extend_from_slice(rest);
        v
    } else {
        rest.to_vec()
    };
    Some(match add(&payload, now) {
        Intent::Add(drafts) => Intent::Add(
            drafts
                .into_iter()
                .map(|d| Draft { loose: true, ..d })
                .collect(),
        ),
        other => other,
    })
}

/// "asap: call the bank", "important: renew passport", "urgent: pay rent": a priority word set
/// apart by a colon at the start flags a task to add (not a filter of the list).
pub(super) fn flagged_add(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let (flag, rest) = ws.split_first()?;
    let apart = flag.text.ends_with(':');
    let priority =
        priority_word(&flag.norm).or_else(|| flag.is("asap").then_some(Priority::High))?;
    if !apart || rest.is_empty() {
        return None;
    }
    match add(rest, now) {
        Intent::Add(drafts) => Some(Intent::Add(
            drafts
                .into_iter()
                .map(|d| Draft {
                    priority: d.priority.or(Some(priority)),
                    ..d
                })
                .collect(),
        )),
        _ => None,
    }
}

/// The tasks in `payload`; when only attributes are there ("add tomorrow", "remind me at 5pm"),
/// the question of what to add rather than a task without a title.
fn add(payload: &[Word], now: DateTime<Utc>) -> Intent {
    let drafts = drafts(payload, now);
    if drafts.iter().all(|d| d.title.is_empty()) {
        Intent::Incomplete("add")
    } else {
        Intent::Add(drafts)
    }
}

/// Tasks in an add request: its attributes apply to each. Several tasks when the words are a list
/// of separate items, split at commas and "and":
/// - every item is a verb with an object ("call mom and pay bills"): separate actions, or
/// - no item starts with a verb and each is at most three words ("milk, eggs and bread").
///
/// Otherwise it is one task: "call Tom and Jerry about the plan", "buy milk and eggs".
fn drafts(payload: &[Word], now: DateTime<Utc>) -> Vec<Draft> {
    let (a, rest) = attributes(payload, now);
    // Items with their own dates ("buy milk tomorrow and call mom on friday"): attributes per item.
    // Only when splitting the raw words agrees with splitting what is left once attributes are out,
    // so "tagged work and home" never splits.
    let raw = split_items(payload);
    if raw.len() > 1 && raw.len() == split_items(&rest).len() && !payload.iter().any(|w| w.quoted) {
        let items: Vec<(Attrs, String)> = raw
            .iter()
            .map(|item| {
                let (a, rest) = attributes(item, now);
                (a, tidy_title(&rest))
            })
            .collect();
        if items.iter().all(|(_, t)| !t.is_empty()) {
            return shared(items);
        }
    }
    let quoted: Vec<&Word> = payload.iter().filter(|w| w.quoted).collect();
    let titles: Vec<String> = if quoted.len() == 1
        && rest
            .iter()
            .filter(|w| !w.quoted)
            .all(|w| w.is_in("task a new called named titled to the my list and with"))
    {
        vec![quoted[0].text.clone()]
    } else if !quoted.is_empty()
        && rest
            .iter()
            .all(|w| w.quoted || w.is_in("and task tasks called a new named"))
    {
        quoted.iter().map(|q| q.text.clone()).collect()
    } else {
        split_items(&rest)
            .iter()
            .map(|item| tidy_title(item))
            .filter(|t| !t.is_empty())
            .collect()
    };
    let titles = if titles.is_empty() {
        vec![tidy_title(&rest)]
    } else {
        titles
    };
    titles
        .into_iter()
        .map(|title| a.clone().into_draft(title))
        .collect()
}

/// Drafts from items with their own attributes. What only the last item says applies to all:
/// "add milk and eggs tomorrow" means both tomorrow.
fn shared(items: Vec<(Attrs, String)>) -> Vec<Draft> {
    let last = items.len() - 1;
    let only_last = |has: &dyn Fn(&Attrs) -> bool| {
        has(&items[last].0) && items[..last].iter().all(|(a, _)| !has(a))
    };
    let share_due = only_last(&|a| a.due.is_some());
    let share_priority = only_last(&|a| a.priority.is_some());
    let share_tags = only_last(&|a| !a.tags.is_empty());
    let share_rule = only_last(&|a| a.recurrence.is_some());
    let share_description = only_last(&|a| a.description.is_some());
    let share_list = only_last(&|a| a.list.is_some());
    let share_reminders = only_last(&|a| !a.reminders.is_empty());
    let tail = &items[last].0;
    items
        .iter()
        .map(|(a, title)| Draft {
            title: title.clone(),
            description: a.description.clone().or_else(|| {
                share_description
                    .then(|| tail.description.clone())
                    .flatten()
            }),
            priority: a
                .priority
                .or(share_priority.then_some(tail.priority).flatten()),
            tags: if a.tags.is_empty() && share_tags {
                tail.tags.clone()
            } else {
                a.tags.clone()
            },
            due: a.due.or(share_due.then_some(tail.due).flatten()),
            recurrence: a
                .recurrence
                .clone()
                .or(share_rule.then(|| tail.recurrence.clone()).flatten()),
            list: a
                .list
                .clone()
                .or(share_list.then(|| tail.list.clone()).flatten()),
            reminders: if a.reminders.is_empty() && share_reminders {
                tail.reminders.clone()
            } else {
                a.reminders.clone()
            },
            loose: false,
        })
        .collect()
}

fn split_items(ws: &[Word]) -> Vec<Vec<Word>> {
    let mut items: Vec<Vec<Word>> = vec![Vec::new()];
    for w in ws {
        if w.is_in("and & plus") && !w.quoted {
            items.push(Vec::new());
            continue;
        }
        let mut w = w.clone();
        let comma = !w.quoted && w.text.ends_with(',');
        if comma {
            w.text = w.text.trim_end_matches(',').to_owned();
        }
        items.last_mut().expect("never empty").push(w);
        if comma {
            items.push(Vec::new());
        }
    }
    items.retain(|i| !i.is_empty());
    if items.len() < 2 {
        return vec![ws.to_vec()];
    }
    let verbs = items.iter().filter(|i| i[0].is_in(TASK_VERBS)).count();
    // A verb alone ("archive and delete old files") shares the object: one task.
    let all_actions = verbs == items.len() && items.iter().all(|i| i.len() >= 2);
    let all_things = verbs == 0 && items.iter().all(|i| i.len() <= 3);
    if all_actions || all_things {
        items
    } else {
        vec![ws.to_vec()]
    }
}
