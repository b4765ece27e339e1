//! Text -> intents, as plain data: no I/O, so every phrasing is unit-tested here.
//!
//! The order of the checks is the design: short social messages (greetings, yes/no, "the first
//! one") first; then explicit "add …" requests (their titles may contain any verb: "add a task to
//! delete old emails"); then questions about the list; then actions on existing tasks; and only
//! then the loose ways of adding ("I need to…", a bare "buy milk").

use chrono::{DateTime, Utc};
use todo_domain::{Priority, Recurrence, Status};

use super::dates::{self, When};
use super::text::{capitalise, in_list, join, words, Word};

#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Greet,
    Thanks,
    Bye,
    Help,
    /// "yes", "do it": goes ahead with what the last answer asked about.
    Confirm,
    /// "no", "cancel", "never mind".
    Deny,
    /// "2", "the first one": an answer to "which one did you mean?".
    Pick(TaskRef),
    /// Something outside task management ("what's the weather?"), named for the answer.
    Unsupported(&'static str),
    /// "what day is it?": the one question outside tasks the assistant can answer.
    Clock,
    Add(Vec<Draft>),
    List(Filter),
    Complete(TaskRef),
    Reopen(TaskRef),
    Delete(TaskRef),
    /// "clear completed tasks", "delete everything".
    DeleteAll(Status),
    Update(TaskRef, Changes),
    /// "show me task 3", "did I finish the report?".
    Show(TaskRef),
    /// A request to act without saying on what ("delete", "add").
    Incomplete(&'static str),
    Unknown,
}

/// How a message names a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// "task 3", "#3", "number 3".
    Id(i64),
    /// A quoted title: matched whole, case-insensitively.
    Title(String),
    /// Some words of the title: "the milk one".
    Words(String),
    /// "the second one" (1-based) in the list the assistant showed last; 0 means the last one.
    Nth(usize),
    /// "it", "that": the one task the assistant just talked about.
    It,
    /// "tasks 1, 2 and 3".
    Many(Vec<i64>),
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub tags: Vec<String>,
    pub due: Option<When>,
    pub recurrence: Option<Recurrence>,
}

/// What to change on a task; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub due: Option<Option<When>>,
    pub recurrence: Option<Option<Recurrence>>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// Which tasks to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub status: Status,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub due: Option<DueRange>,
    /// "work" in "show my work tasks": a tag if some task carries it, else words to search for.
    pub keyword: Option<String>,
    /// "sorted by due date" / "by priority" / "alphabetically".
    pub sort: Option<SortBy>,
    /// "how many…": answer with the count first.
    pub count: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Due,
    Priority,
    Title,
}

/// Due dates to show: before `before`, and not before `from` when set ("due tomorrow" leaves out
/// today's tasks; "due today" keeps the overdue ones, which are still to do today).
#[derive(Debug, Clone, PartialEq)]
pub struct DueRange {
    pub from: Option<DateTime<Utc>>,
    pub before: DateTime<Utc>,
    pub label: String,
}

/// Understands one message.
pub fn parse(text: &str, now: DateTime<Utc>) -> Vec<Intent> {
    let ws = words(text);
    // Several sentences ("Add milk. Show my list.") are several requests, but only when each one is
    // understood alone: a title may contain a full stop ("Call Dr. Smith").
    let sentences = split_sentences(&ws);
    if sentences.len() > 1 {
        let intents: Vec<Intent> = sentences.iter().map(|s| one(s, now)).collect();
        if intents.iter().all(|i| *i != Intent::Unknown) {
            let actions: Vec<Intent> = intents
                .iter()
                .filter(|i| !matches!(i, Intent::Greet | Intent::Thanks))
                .cloned()
                .collect();
            return if actions.is_empty() { intents } else { actions };
        }
    }
    vec![one(&ws, now)]
}

fn split_sentences(ws: &[Word]) -> Vec<Vec<Word>> {
    let mut out = vec![Vec::new()];
    for w in ws {
        out.last_mut().expect("never empty").push(w.clone());
        if !w.quoted && w.text.ends_with(['.', '!', '?', ';']) && !w.norm.is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn norms(ws: &[Word]) -> Vec<&str> {
    ws.iter().map(|w| w.norm.as_str()).collect()
}

fn starts(ws: &[Word], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    ws.len() >= p.len() && ws.iter().zip(&p).all(|(w, p)| !w.quoted && w.norm == *p)
}

/// Length of the first of `phrases` ("remind me to|remember to") that `ws` starts with.
fn prefix(ws: &[Word], phrases: &str) -> Option<usize> {
    phrases
        .split('|')
        .find(|p| starts(ws, p))
        .map(|p| p.split(' ').count())
}

fn one(ws: &[Word], now: DateTime<Utc>) -> Intent {
    // Words of only emoji or punctuation are dropped: they carry no meaning, and titles read better
    // without a stray "!!" or "🙏".
    let ws: Vec<Word> = ws
        .iter()
        .filter(|w| w.quoted || !w.norm.is_empty())
        .cloned()
        .collect();
    if ws.is_empty() {
        return Intent::Help;
    }
    if let Some(i) = social(&ws) {
        return i;
    }
    let ws = strip_politeness(&ws);
    if ws.is_empty() {
        return Intent::Thanks;
    }
    if let Some(i) = social(&ws) {
        return i;
    }
    if let Some(i) = update_by_adding(&ws, now) {
        return i;
    }
    if let Some(i) = explicit_add(&ws, now) {
        return i;
    }
    if let Some(topic) = unsupported(&ws) {
        return if topic == "time" {
            Intent::Clock
        } else {
            Intent::Unsupported(topic)
        };
    }
    if let Some(i) = subject_first_update(&ws, now) {
        return i;
    }
    if let Some(i) = show(&ws) {
        return i;
    }
    if let Some(i) = list(&ws, now) {
        return i;
    }
    if let Some(i) = delete(&ws, now) {
        return i;
    }
    if let Some(i) = complete(&ws) {
        return i;
    }
    if let Some(i) = update(&ws, now) {
        return i;
    }
    if let Some(i) = loose_add(&ws, now) {
        return i;
    }
    Intent::Unknown
}

// ---------------------------------------------------------------------------------------------
// Social messages

/// Whether every word is in one of the space-separated word lists.
fn all_in(ws: &[Word], lists: &[&str]) -> bool {
    ws.iter().all(|w| lists.iter().any(|l| w.is_in(l)))
}

const GREETINGS: &str = "hi hello hey hiya howdy yo greetings sup heya hallo hola morning evening \
    afternoon good there again how are you doing whats up assistant bot \
    friend buddy hows it going";
const THANKS: &str = "thanks thank you thx ty cheers great awesome cool nice perfect wonderful \
    appreciate it much so very a lot lots brilliant excellent amazing good \
    job work that thats helpful love sweet fantastic many ok okay all done \
    im for now i";
/// Words that open a "yes", and words that may follow one ("yes please, do it").
const YES: &str = "yes y yeah yea yep yup sure ok okay k confirm confirmed correct right \
    absolutely definitely affirmative";
const YES_MORE: &str = "please go ahead do it delete remove that one thanks i am im just for \
    of course agreed sounds good fine";
/// Words that open a "no", and words that may follow one ("no thanks, leave it").
const NO: &str = "no n nope nah cancel stop dont never nevermind keep abort";
const NO_MORE: &str = "mind thanks thank you it that do not please actually wait forget \
    leave changed my i ive hold on";

fn social(ws: &[Word]) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    if (in_list(
        "hi hello hey hiya howdy yo greetings sup heya hallo hola",
        first,
    ) || starts(ws, "good morning")
        || starts(ws, "good afternoon")
        || starts(ws, "good evening")
        || starts(ws, "whats up")
        || starts(ws, "how are you"))
        && all_in(ws, &[GREETINGS])
    {
        return Some(Intent::Greet);
    }
    if (in_list("bye goodbye cya later farewell", first)
        || starts(ws, "see you")
        || starts(ws, "see ya")
        || starts(ws, "good night"))
        && ws.len() <= 4
    {
        return Some(Intent::Bye);
    }
    let thanked = n
        .iter()
        .any(|w| in_list("thanks thank thx ty cheers appreciate", w));
    let praised = n.len() <= 3
        && n.iter().any(|w| {
            in_list(
                "great awesome cool nice perfect wonderful brilliant excellent amazing \
                sweet fantastic helpful",
                w,
            )
        });
    if (thanked || praised) && all_in(ws, &[THANKS]) {
        return Some(Intent::Thanks);
    }
    if let Some(i) = help(ws) {
        return Some(i);
    }
    if in_list(YES, first) && all_in(ws, &[YES, YES_MORE])
        || [
            "do it",
            "go ahead",
            "go for it",
            "please do",
            "sounds good",
            "of course",
        ]
        .iter()
        .any(|p| starts(ws, p) && all_in(ws, &[YES, YES_MORE]))
    {
        return Some(Intent::Confirm);
    }
    if (in_list(NO, first)
        || starts(ws, "never mind")
        || starts(ws, "forget it")
        || starts(ws, "leave it"))
        && all_in(ws, &[NO, NO_MORE])
    {
        return Some(Intent::Deny);
    }
    pick(ws).map(Intent::Pick)
}

fn help(ws: &[Word]) -> Option<Intent> {
    const PHRASES: &str = "help|what can you do|what do you do|what can i do|what can i say|\
        what can i ask|what should i say|how does this work|how do i use|\
        how do you work|how does it work|commands|what are the commands|\
        what are your commands|who are you|what are you|options|menu|usage|\
        instructions|how to use|what commands|show help|i need help|can you help";
    (prefix(ws, PHRASES).is_some() && ws.len() <= 7).then_some(Intent::Help)
}

const ORDINALS: &str = "first second third fourth fifth sixth seventh eighth ninth tenth";
const NUMBERS: &str = "one two three four five six seven eight nine ten eleven twelve";

/// A whole message that only points at a task: "2", "#2", "task 2", "the first one", "the last".
fn pick(ws: &[Word]) -> Option<TaskRef> {
    let core: Vec<Word> = ws
        .iter()
        .filter(|w| !w.is_in("the one please pls that i mean meant option choice ok okay"))
        .cloned()
        .collect();
    if core.is_empty() || core.len() > 2 {
        return None;
    }
    match task_ref(&core) {
        r @ (TaskRef::Id(_) | TaskRef::Nth(_)) => Some(r),
        _ => None,
    }
}

/// Leading and trailing courtesy that changes nothing: "hey, could you please …, thanks!".
fn strip_politeness(ws: &[Word]) -> Vec<Word> {
    const LEAD: &str = "would you mind|would you please|could you please|can you please|\
        could you|can you|would you|will you|can u|could u|pls|plz|please|kindly|\
        hey|hi|hello|ok|okay|so|also|and|now|then|just|um|uh|oh|well|yo|\
        i want you to|i would like you to|id like you to|go ahead and|help me|\
        quickly|assistant|thanks|thank you|alright|right|great|cool|oops|\
        actually|hmm|lets|let us|i would like to|id like to|i want to";
    const TAIL: &str = "please|pls|plz|thanks|thank you|thx|for me|right now|if you can|\
        if possible|now|ty|cheers";
    let mut s = 0;
    let mut e = ws.len();
    loop {
        match prefix(&ws[s..e], LEAD) {
            // "I want to" adds nothing: "I want to buy milk" is "buy milk", an add.
            Some(n) if s + n < e => s += n,
            _ => break,
        }
    }
    'tail: loop {
        for t in TAIL.split('|') {
            let n = t.split(' ').count();
            if e > s + n && starts(&ws[e - n..e], t) {
                e -= n;
                continue 'tail;
            }
        }
        break;
    }
    ws[s..e].to_vec()
}

fn unsupported(ws: &[Word]) -> Option<&'static str> {
    const TOPICS: &[(&str, &str)] = &[
        (
            "weather forecast temperature rain raining sunny snow",
            "weather",
        ),
        ("news headlines", "news"),
        ("joke jokes funny", "jokes"),
        ("stock stocks bitcoin crypto exchange", "markets"),
        ("music song songs spotify play", "music"),
        ("translate translation", "translation"),
        ("recipe recipes cook", "recipes"),
        ("score scores match game", "sports"),
        ("email emails inbox sms", "messages"),
        ("calculate plus minus times divided", "maths"),
    ];
    let n = norms(ws);
    // Only questions and commands to the assistant ("what's the weather?", "tell me a joke").
    let asks = n.first().is_some_and(|w| {
        in_list(
            "whats what how hows does can could should tell will is play translate \
            calculate who read check give send do any",
            w,
        )
    });
    if !asks
        || n.iter()
            .any(|w| in_list("task tasks todo list due pending", w))
    {
        return None;
    }
    if starts(ws, "what time is it")
        || starts(ws, "what day is it")
        || starts(ws, "whats the date")
        || starts(ws, "what is the date")
        || starts(ws, "whats todays date")
        || starts(ws, "what is todays date")
        || starts(ws, "whats the time")
        || starts(ws, "what is the time")
        || starts(ws, "what day is today")
    {
        return Some("time");
    }
    TOPICS
        .iter()
        .find(|(words, _)| n.iter().any(|w| in_list(words, w)))
        .map(|(_, topic)| *topic)
}

// ---------------------------------------------------------------------------------------------
// Task references

fn number_word(w: &str) -> Option<i64> {
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
pub fn task_ref(ws: &[Word]) -> TaskRef {
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

// ---------------------------------------------------------------------------------------------
// Attributes: priority, tags, due date, recurrence, description

#[derive(Debug, Default, PartialEq)]
struct Attrs {
    priority: Option<Priority>,
    tags: Vec<String>,
    due: Option<When>,
    recurrence: Option<Recurrence>,
    description: Option<String>,
}

fn priority_word(w: &str) -> Option<Priority> {
    match w {
        "high" | "top" | "highest" | "urgent" | "critical" | "important" | "max" => {
            Some(Priority::High)
        }
        "medium" | "normal" | "mid" | "moderate" | "average" | "regular" => Some(Priority::Medium),
        "low" | "lowest" | "minor" => Some(Priority::Low),
        _ => None,
    }
}

fn tag_word(w: &Word) -> Option<String> {
    let t = w.norm.trim_start_matches('#');
    let ok = !t.is_empty()
        && t.chars().count() <= todo_domain::MAX_TAG_CHARS
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && !t.chars().all(|c| c.is_ascii_digit());
    (ok && !w.quoted).then(|| t.to_owned())
}

/// Finds attributes in `ws`, returning them and the words left (the title).
fn attributes(ws: &[Word], now: DateTime<Utc>) -> (Attrs, Vec<Word>) {
    let mut a = Attrs::default();
    let mut ws = ws.to_vec();
    let n = |ws: &[Word], i: usize| {
        ws.get(i)
            .filter(|w| !w.quoted)
            .map_or(String::new(), |w| w.norm.clone())
    };

    // Description: everything after "description:", "with the note …", "notes:".
    if let Some(i) = (0..ws.len()).find(|&i| {
        let w = n(&ws, i);
        let colon = ws[i].text.ends_with(':');
        (in_list("description desc note notes details", w.as_str())
            && (colon || (i > 0 && in_list("with a the add", n(&ws, i - 1).as_str()))))
            || (w == "described" && n(&ws, i + 1) == "as")
            || (w == "saying" && i > 0)
    }) {
        let mut start = i;
        while start > 0 && in_list("with a the and add", n(&ws, start - 1).as_str()) {
            start -= 1;
        }
        let skip = if n(&ws, i) == "described" { 2 } else { 1 };
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

    // Recurrence.
    let mut i = 0;
    while i < ws.len() {
        let w = n(&ws, i);
        let next = n(&ws, i + 1);
        let (rule, len) = match (w.as_str(), next.as_str()) {
            ("daily" | "everyday", _) => (Some(Recurrence::Daily), 1),
            ("weekly", _) => (Some(Recurrence::Weekly), 1),
            ("monthly", _) => (Some(Recurrence::Monthly), 1),
            ("every" | "each", "day" | "morning" | "evening" | "night") => {
                (Some(Recurrence::Daily), 2)
            }
            ("every" | "each", "week") => (Some(Recurrence::Weekly), 2),
            ("every" | "each", "month") => (Some(Recurrence::Monthly), 2),
            // "every monday (at 9am)": weekly; the day stays for the due-date parser below.
            ("every" | "each", d)
                if dates::find(&ws[i + 1..(i + 2).min(ws.len())], now).is_some()
                    && d.ends_with("day") =>
            {
                (Some(Recurrence::Weekly), 1)
            }
            _ => (None, 0),
        };
        if let Some(rule) = rule {
            let mut start = i;
            while start > 0
                && in_list(
                    "repeat repeats repeating recurring recur recurs and it",
                    n(&ws, start - 1).as_str(),
                )
            {
                start -= 1;
            }
            a.recurrence = Some(rule);
            ws.drain(start..i + len);
            continue;
        }
        i += 1;
    }

    // Priority.
    let mut i = 0;
    while i < ws.len() {
        let w = n(&ws, i);
        let next = n(&ws, i + 1);
        let mut found: Option<(Priority, usize, usize)> = None; // (priority, start, end)
        if let Some(p) = w.strip_prefix('!').and_then(priority_word) {
            found = Some((p, i, i + 1));
        } else if !ws[i].quoted && ws[i].text.starts_with("!!") && w.is_empty() {
            found = Some((Priority::High, i, i + 1));
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
            if let Some(p) = priority_word(&n(&ws, k)) {
                found = Some((p, i, k + 1));
            }
        } else if in_list("urgent urgently asap important critical", w.as_str()) {
            let neg = i > 0 && in_list("not isnt less", n(&ws, i - 1).as_str());
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
                    n(&ws, start - 1).as_str(),
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

    // Tags: "#work", "tagged home and errands", "with tag work", "tag: work".
    let mut i = 0;
    while i < ws.len() {
        let w = n(&ws, i);
        if w.starts_with('#') {
            if let Some(t) = tag_word(&ws[i]) {
                a.tags.push(t);
                let mut start = i;
                while start > 0
                    && in_list("and with tagged tag tags as", n(&ws, start - 1).as_str())
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
            if start > 0 && in_list("with and", n(&ws, start - 1).as_str()) {
                start -= 1;
            }
            let mut k = i + 1;
            if in_list("with as to", n(&ws, k).as_str()) {
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
                if n(&ws, k) == "and" && ws.get(k + 1).and_then(tag_word).is_some() {
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

    // "to my shopping list" names a tag; "to my list" / "on my todo list" say nothing.
    let mut i = 0;
    while i + 2 < ws.len() + 1 {
        let w = n(&ws, i);
        if in_list("to on onto in into for", w.as_str())
            && in_list("my the our", n(&ws, i + 1).as_str())
        {
            let third = n(&ws, i + 2);
            let fourth = n(&ws, i + 3);
            let fifth = n(&ws, i + 4);
            if in_list(
                "list tasks todo todos to-do to-dos todolist agenda",
                third.as_str(),
            ) {
                let end = if third == "todo" && fourth == "list" {
                    i + 4
                } else {
                    i + 3
                };
                ws.drain(i..end.min(ws.len()));
                continue;
            }
            if fourth == "list" || (in_list("todo to-do", fourth.as_str()) && fifth == "list") {
                if let Some(t) = tag_word(&ws[i + 2])
                    .filter(|t| !in_list("todo to-do task tasks my", t.as_str()))
                {
                    a.tags.push(t);
                }
                let end = if fourth == "list" { i + 4 } else { i + 5 };
                ws.drain(i..end.min(ws.len()));
                continue;
            }
        }
        i += 1;
    }

    // Due date.
    if a.due.is_none() {
        if let Some(f) = dates::find(&ws, now) {
            a.due = Some(f.when);
            ws.drain(f.start..f.end);
        }
    }
    (a, ws)
}

/// Cleans what is left of a title: connecting words at either end, then the first letter up.
fn tidy_title(ws: &[Word]) -> String {
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

// ---------------------------------------------------------------------------------------------
// Adding

/// Common first words of a task ("buy milk"); a message starting with one is a task to add.
const TASK_VERBS: &str =
    "buy call email e-mail text phone ring pay pick book schedule clean write \
    send fix get make visit renew return submit water walk order read study \
    prepare review wash cook meet go take bring plan organize organise file \
    print post mail ship learn practice practise feed vacuum mow iron pack \
    charge replace repair install research contact ask invite reply respond \
    follow sign register apply backup collect deliver paint sort tidy empty \
    hire interview draft publish deploy refactor test message watch listen \
    run jog exercise shop grab fetch bake do finish start check update \
    change cancel drop submit file see talk speak remind download upload \
    unsubscribe subscribe transfer withdraw deposit buy purchase sell donate \
    wrap decorate celebrate attend join leave move clear update email";

fn explicit_add(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    let mut k;
    if in_list(
        "add adding create new make put insert jot note log record set schedule \
        start",
        first,
    ) {
        // "add a (new) task (called|to|:) …", "create a task called 'X'", "new task: …".
        k = 1;
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
        } else if !(in_list("add adding jot note put insert", first)) {
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
        if ws.get(k).is_some_and(|w| {
            w.is_in("called named titled to for that saying about which says with of")
        }) && !(ws.get(k).is_some_and(|w| w.is("to"))
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
    } else if let Some(p) = prefix(
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
    ) {
        k = p;
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
    } else {
        return None;
    }
    // "put milk on my list": the payload ends where the list is named; attributes() removes it.
    let payload = &ws[k.min(ws.len())..];
    if payload.is_empty()
        || payload
            .iter()
            .all(|w| w.is_in("task tasks todo a new to my list please"))
    {
        return Some(Intent::Incomplete("add"));
    }
    Some(Intent::Add(drafts(payload, now)))
}

/// "I need to call the bank", "I have to…", or a message starting with a task verb ("buy milk").
fn loose_add(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
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
        return None;
    }
    if k == 0 && !rest[0].is_in(TASK_VERBS) {
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
    Some(Intent::Add(drafts(&payload, now)))
}

/// Tasks in an add request: its attributes apply to each. Several tasks when the words are a list
/// of separate items, split at commas and "and":
/// - every item starts with a verb ("call mom and pay bills"): separate actions, or
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
        .map(|title| Draft {
            title,
            description: a.description.clone(),
            priority: a.priority,
            tags: a.tags.clone(),
            due: a.due,
            recurrence: a.recurrence,
        })
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
                .or(share_rule.then_some(tail.recurrence).flatten()),
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
    let all_actions = verbs == items.len();
    let all_things = verbs == 0 && items.iter().all(|i| i.len() <= 3);
    if all_actions || all_things {
        items
    } else {
        vec![ws.to_vec()]
    }
}

// ---------------------------------------------------------------------------------------------
// Listing

fn list(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    const ASK: &str = "show list display view see give get tell what whats which do any \
        anything are is how whatre lemme let print read check open whats pull \
        bring search find look lookup grep filter can my all pending completed \
        done finished overdue todo to-do tasks task due open remaining \
        outstanding upcoming high low urgent important everything agenda where \
        have did when";
    const TASKISH: &str =
        "task tasks todo todos to-do to-dos list pending left remaining completed \
        done finished open outstanding due overdue agenda plate incomplete \
        unfinished everything upcoming priority tagged urgent important items \
        reminders next complete todolist undone";
    if !in_list(ASK, first) && !first.starts_with('#') {
        return None;
    }
    // Search: "search for milk", "find tasks about the report", "look for dentist".
    if let Some(k) = prefix(
        ws,
        "search for|search my tasks for|search tasks for|search|find all|find my|\
            find|look for|look up|lookup|grep|filter by|filter",
    ) {
        let mut rest: Vec<Word> = ws[k..].to_vec();
        let (filter, rest2) = filters(&rest, now);
        rest = rest2;
        let core: Vec<Word> = rest
            .into_iter()
            .skip_while(|w| {
                w.is_in(
                    "the my all any tasks task todos items about with containing mentioning \
                    matching for that mention contain related to called named a an word text \
                    which include includes say says are",
                )
            })
            .collect();
        let text = core
            .iter()
            .find(|w| w.quoted)
            .map(|w| w.text.clone())
            .unwrap_or_else(|| join(&core));
        let mut filter = filter;
        if !text.is_empty() && !core.iter().all(|w| w.is_in("tasks task todos")) {
            filter.search = Some(text);
        }
        return Some(Intent::List(filter));
    }
    const TO_DO: &str = "to do|need to do|have to do|got to do|should i do|should i work on|\
        do i do|must i do|on my plate|on my list|on the list|whats next|what next|do next";
    let to_do: Vec<&str> = TO_DO.split('|').collect();
    let joined = n.join(" ");
    let mentions_task = n.iter().any(|w| in_list(TASKISH, w) || w.starts_with('#'))
        || to_do.iter().any(|p| joined.contains(p))
        || dates::find(ws, now).is_some()
            && in_list("what whats anything any is do show list", first);
    if !mentions_task {
        return None;
    }
    // "done with the report" / "completed the report" report work done; "completed tasks" asks.
    if in_list("complete done finished", first)
        && ws.len() > 1
        && !n[1..]
            .iter()
            .all(|w| in_list("tasks task ones items todos list", w))
    {
        return None;
    }
    if in_list("have did", first)
        && !n
            .iter()
            .any(|w| in_list("completed done finished complete", w))
    {
        return None;
    }
    if first == "due" && ws.len() == 1 {
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
        let text = core
            .iter()
            .find(|w| w.quoted)
            .map(|w| w.text.clone())
            .unwrap_or_else(|| join(&core));
        if !text.is_empty() {
            filter.search = Some(text);
        }
    }
    filter.count = starts(ws, "how many") || starts(ws, "count");
    if filter.tag.is_none() && filter.search.is_none() {
        filter.keyword = keyword(&rest);
    }
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
    let to_do_hit = to_do.iter().any(|p| joined.contains(p));
    // "todo" asks for what is still to do, but a "todo list" is the whole list.
    let todo = n
        .iter()
        .enumerate()
        .any(|(i, w)| in_list("todo to-do todos", w) && n.get(i + 1).is_none_or(|x| *x != "list"));
    filter.status = if done && !negated && !to_do_hit {
        Status::Completed
    } else if negated
        || to_do_hit
        || todo
        || filter.due.is_some()
        || n.iter().any(|w| in_list("next upcoming should", w))
    {
        Status::Pending
    } else {
        Status::All
    };
    Some(Intent::List(filter))
}

/// The word before "tasks" that is not a word about lists: "work" in "show my work tasks".
fn keyword(rest: &[Word]) -> Option<String> {
    const KNOWN: &str = "my all the pending completed open done finished remaining your any these \
        those of show list me what whats are which current active other new old \
        recent latest upcoming outstanding incomplete unfinished more some many \
        how do i have get see view display give tell about complete todo to-do \
        every entire full unchecked checked a few existing most next top first \
        last important urgent";
    let at = rest
        .iter()
        .position(|w| w.is_in("tasks todos items task to-dos"))?;
    let w = rest.get(at.checked_sub(1)?)?;
    (!w.is_in(KNOWN)).then(|| tag_word(w)).flatten()
}

/// One task's details or state: "show me task 3", "details of the report", "did I call mom?",
/// "is task 2 done?".
fn show(ws: &[Word]) -> Option<Intent> {
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
            information on|information about|whats the status of|\
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

/// Priority, tag and due filters of a list question, and the words left.
fn filters(ws: &[Word], now: DateTime<Utc>) -> (Filter, Vec<Word>) {
    let mut f = Filter::default();
    let mut rest: Vec<Word> = Vec::new();
    let today = now.date_naive();
    let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let mut saw_due = false;
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        let next = ws.get(i + 1).map_or("", |w| w.norm.as_str());
        // "sorted by due date", "by priority", "order by name", "alphabetically".
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
            i = j + 1 + usize::from(key == "due" && ws.get(j + 1).is_some_and(|w| w.is("date")));
            continue;
        }
        if w.is("alphabetically") {
            f.sort = Some(SortBy::Title);
            i += 1;
            continue;
        }
        if w.is("due") {
            saw_due = true;
            i += 1;
            continue;
        }
        if let Some(p) = priority_word(&w.norm).filter(|_| {
            in_list("priority prio pri", next)
                || in_list("urgent important critical", w.norm.as_str())
        }) {
            f.priority = Some(p);
            i += if in_list("priority prio pri", next) {
                2
            } else {
                1
            };
            continue;
        }
        if let Some(p) = w.norm.strip_suffix("-priority").and_then(priority_word) {
            f.priority = Some(p);
            i += 1;
            continue;
        }
        if w.norm.starts_with('#') {
            if let Some(t) = tag_word(w) {
                f.tag = Some(t);
                i += 1;
                continue;
            }
        }
        if w.is_in("tagged tag labeled labelled label") {
            let k = if next == "with" || next == "as" {
                i + 2
            } else {
                i + 1
            };
            if let Some(t) = ws.get(k).and_then(tag_word) {
                f.tag = Some(t);
                i = k + 1;
                continue;
            }
            // "with the errands tag".
            if let Some(t) = rest
                .last()
                .and_then(tag_word)
                .filter(|t| !in_list("the a my with any that this", t.as_str()))
            {
                rest.pop();
                f.tag = Some(t);
                i += 1;
                continue;
            }
        }
        if w.is("overdue") || (w.is("past") && next == "due") || w.is("late") {
            f.due = Some(DueRange {
                from: None,
                before: now,
                label: "overdue".into(),
            });
            i += if w.is("past") { 2 } else { 1 };
            continue;
        }
        let week_start = |offset: i64| {
            let monday =
                today - chrono::Duration::days(today.weekday().num_days_from_monday().into());
            midnight(monday + chrono::Duration::weeks(offset))
        };
        if (w.is("this") || w.is("the")) && next == "week" {
            f.due = Some(DueRange {
                from: None,
                before: week_start(1),
                label: "this week".into(),
            });
            i += 2;
            continue;
        }
        if w.is("next") && next == "week" {
            f.due = Some(DueRange {
                from: Some(week_start(1)),
                before: week_start(2),
                label: "next week".into(),
            });
            i += 2;
            continue;
        }
        if (w.is("this") || w.is("the")) && next == "month" {
            let first_next = today
                .with_day(1)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                .unwrap_or(today);
            f.due = Some(DueRange {
                from: None,
                before: midnight(first_next),
                label: "this month".into(),
            });
            i += 2;
            continue;
        }
        if w.is_in("soon upcoming") {
            f.due = Some(DueRange {
                from: None,
                before: midnight(today + chrono::Duration::days(8)),
                label: "in the next 7 days".into(),
            });
            i += 1;
            continue;
        }
        if let Some(found) = dates::find(&ws[i..], now).filter(|f| f.start == 0) {
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
            f.due = Some(DueRange {
                from,
                before: midnight(day + chrono::Duration::days(1)),
                label,
            });
            i += found.end;
            continue;
        }
        rest.push(w.clone());
        i += 1;
    }
    // "what's due?" without a date: the coming week (and anything overdue).
    if saw_due && f.due.is_none() {
        f.due = Some(DueRange {
            from: None,
            before: midnight(today + chrono::Duration::days(8)),
            label: "in the next 7 days".into(),
        });
    }
    (f, rest)
}

use chrono::Datelike;

// ---------------------------------------------------------------------------------------------
// Completing

const DONE_WORDS: &str = "done complete completed finished checked ticked closed resolved";
const UNDONE_WORDS: &str = "incomplete undone pending open uncompleted unfinished todo unchecked \
    active not";

fn complete(ws: &[Word]) -> Option<Intent> {
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
        let mut end = ws.len();
        let mut state: Option<bool> = None;
        if let Some(i) = (1..ws.len())
            .rev()
            .find(|&i| ws[i].is_in(DONE_WORDS) || ws[i].is_in(UNDONE_WORDS))
        {
            let neg = ws[i].is_in(UNDONE_WORDS) || ws[i - 1].is_in("not un");
            state = Some(!neg);
            end = i;
            while end > 1 && ws[end - 1].is_in("as to not is being un") {
                end -= 1;
            }
        }
        let r = &ws[1..end];
        if r.is_empty() {
            return Some(Intent::Incomplete("complete"));
        }
        return match state {
            Some(true) => Some(Intent::Complete(task_ref(r))),
            Some(false) => Some(Intent::Reopen(task_ref(r))),
            None if first == "mark" => Some(Intent::Complete(task_ref(r))),
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
    // "I already called mom", "I've bought the milk": a verb in the past names what was done.
    if let Some(k) = prefix(
        ws,
        "i have already|ive already|i already|i just|i finally|i have|ive|i",
    ) {
        if ws.get(k).is_some_and(|w| is_past(&w.norm)) && ws.len() > k + 1 {
            return Some(Intent::Complete(task_ref(&ws[k..])));
        }
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

fn delete(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let k = prefix(
        ws,
        "get rid of|throw away|throw out|take off|delete|remove|erase|trash|\
            discard|del|rm|scratch|nuke|drop|cancel|ditch|forget about|forget|clear|\
            purge|wipe|bin|kill|scrap",
    )?;
    let mut rest: Vec<Word> = ws[k..].to_vec();
    // "scratch that meeting task": "that" points at the words after it.
    if rest.first().is_some_and(|w| w.is("that")) && rest.len() > 1 {
        rest.remove(0);
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
    let bulk = nr.iter().any(|w| in_list("all every everything both", w))
        || (nr.iter().all(|w| {
            in_list(
                "completed done finished the tasks ones items my list old checked closed \
                off out",
                w,
            )
        }) && nr
            .iter()
            .any(|w| in_list("completed done finished checked", w)));
    let vague = nr.iter().all(|w| {
        in_list(
            "all every everything the tasks task ones items my list of them todos \
            completed done finished pending open both checked old off out",
            w,
        )
    });
    if bulk && vague {
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
    if ws[0].is("clear")
        && !rest.iter().any(|w| w.quoted)
        && task_ref(&rest) != TaskRef::It
        && !matches!(task_ref(&rest), TaskRef::Id(_))
    {
        // "clear my list" without "all"/"completed" is too vague to guess: ask.
        if vague {
            return Some(Intent::DeleteAll(Status::All));
        }
    }
    Some(Intent::Delete(task_ref(&rest)))
}

// ---------------------------------------------------------------------------------------------
// Updating

/// "add a description to task 4: …", "add #home to task 2", "add a tag work to the milk one".
fn update_by_adding(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
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
    } else if field.is_in("tag tags label labels") || field.norm.starts_with('#') {
        let names = if field.norm.starts_with('#') {
            &ws[k..to]
        } else {
            &ws[k + 1..to]
        };
        changes.add_tags = names
            .iter()
            .filter_map(tag_word)
            .filter(|t| !in_list("and with", t.as_str()))
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

fn update(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let n = norms(ws);
    let first = *n.first()?;
    let verb_len = prefix(
        ws,
        "change|update|edit|modify|rename|retitle|set|make|move|reschedule|\
            postpone|push back|push|delay|defer|bump|tag|label|untag|unlabel|\
            prioritize|prioritise|deprioritize|deprioritise|describe|remove|clear|\
            delete|drop|switch|turn|mark|give|put|assign",
    );
    let verb_len = verb_len?;
    let mut rest: Vec<Word> = ws[verb_len..].to_vec();
    if rest.is_empty() {
        return Some(Intent::Incomplete("update"));
    }
    let mut changes = Changes::default();
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
    // "the priority of task 3 to high" / "the due date for the report to friday".
    let mut field: Option<Field> = None;
    let mut skip = usize::from(rest.first().is_some_and(|w| w.is_in("the its a an new")));
    if let Some((f, len)) = field_at(&rest, skip) {
        if rest
            .get(skip + len)
            .is_some_and(|w| w.is_in("of for on in"))
        {
            field = Some(f);
            skip += len + 1;
            rest.drain(..skip);
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
    while value
        .first()
        .is_some_and(|w| w.is_in("to as into until till til be with is"))
        && value.len() > 1
    {
        value.remove(0);
    }
    if target.is_empty() || value.is_empty() {
        return None;
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

/// "task 3", "#3", "number 3", "3" at the start: how many words it takes.
fn explicit_ref_len(ws: &[Word]) -> Option<usize> {
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

/// "the report is urgent", "task 3 is due friday", "the milk one should be high priority".
fn subject_first_update(ws: &[Word], now: DateTime<Utc>) -> Option<Intent> {
    let verb = ws
        .iter()
        .position(|w| w.is_in("is should needs must has"))?;
    if verb == 0 {
        return None;
    }
    let target = &ws[..verb];
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
    let (a, left) = attributes(&ws[verb + 1..], now);
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Thursday, 26 November 2026, 10:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn p(s: &str) -> Intent {
        let mut v = parse(s, now());
        assert_eq!(v.len(), 1, "{s}: {v:?}");
        v.remove(0)
    }

    fn titles(s: &str) -> Vec<String> {
        match p(s) {
            Intent::Add(d) => d.into_iter().map(|d| d.title).collect(),
            other => panic!("{s}: {other:?}"),
        }
    }

    fn draft(s: &str) -> Draft {
        match p(s) {
            Intent::Add(mut d) if d.len() == 1 => d.remove(0),
            other => panic!("{s}: {other:?}"),
        }
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, if d < 26 { 12 } else { 11 }, d, 0, 0, 0)
            .unwrap()
    }

    #[test]
    fn adds() {
        assert_eq!(titles("Add a task to buy groceries"), ["Buy groceries"]);
        assert_eq!(titles("I need to remember to pay bills"), ["Pay bills"]);
        assert_eq!(titles("remind me to call mom"), ["Call mom"]);
        assert_eq!(
            titles("put dentist appointment on my list"),
            ["Dentist appointment"]
        );
        assert_eq!(
            titles("don't let me forget to water the plants"),
            ["Water the plants"]
        );
        assert_eq!(titles("new task: renew passport"), ["Renew passport"]);
        assert_eq!(titles("todo: file taxes"), ["File taxes"]);
        assert_eq!(
            titles("create a task called 'Plan the trip'"),
            ["Plan the trip"]
        );
        assert_eq!(titles("Can you please add buy milk?"), ["Buy milk"]);
        assert_eq!(titles("I need to finish the report"), ["Finish the report"]);
        assert_eq!(titles("buy milk"), ["Buy milk"]);
        assert_eq!(
            titles("add a task to delete old emails"),
            ["Delete old emails"]
        );
        assert_eq!(titles("add 'Call mom tonight'"), ["Call mom tonight"]);
    }

    #[test]
    fn splits_lists_not_actions() {
        assert_eq!(titles("add milk and eggs"), ["Milk", "Eggs"]);
        assert_eq!(
            titles("add milk, eggs, and bread"),
            ["Milk", "Eggs", "Bread"]
        );
        assert_eq!(
            titles("add call mom and pay bills"),
            ["Call mom", "Pay bills"]
        );
        assert_eq!(
            titles("remind me to call Tom and Jerry about the plan"),
            ["Call Tom and Jerry about the plan"]
        );
        assert_eq!(titles("I need to buy milk and eggs"), ["Buy milk and eggs"]);
    }

    #[test]
    fn add_attributes() {
        let d = draft("remind me to call mom tomorrow");
        assert_eq!(
            (d.title.as_str(), d.due.map(|w| w.at)),
            ("Call mom", Some(day(27)))
        );
        let d = draft("add pay rent every month high priority #home");
        assert_eq!(d.title, "Pay rent");
        assert_eq!(d.recurrence, Some(Recurrence::Monthly));
        assert_eq!(d.priority, Some(Priority::High));
        assert_eq!(d.tags, ["home"]);
        let d = draft("add an urgent task to fix the server, tagged work and ops");
        assert_eq!(
            (d.title.as_str(), d.priority),
            ("Fix the server", Some(Priority::High))
        );
        assert_eq!(d.tags, ["work", "ops"]);
        let d = draft("add buy bread to my shopping list");
        assert_eq!(
            (d.title.as_str(), d.tags.as_slice()),
            ("Buy bread", ["shopping".to_owned()].as_slice())
        );
        let d = draft("add task write report by friday 5pm !low");
        assert_eq!(d.title, "Write report");
        assert_eq!(d.priority, Some(Priority::Low));
        assert_eq!(
            d.due.unwrap().at,
            Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap()
        );
        let d = draft("add walk the dog daily");
        assert_eq!(
            (d.title.as_str(), d.recurrence),
            ("Walk the dog", Some(Recurrence::Daily))
        );
        let d = draft("add gym every monday");
        assert_eq!(
            (d.recurrence, d.due.unwrap().at),
            (Some(Recurrence::Weekly), day(30))
        );
        let d = draft("add task review PR with description check the tests first");
        assert_eq!(
            (d.title.as_str(), d.description.as_deref()),
            ("Review PR", Some("check the tests first"))
        );
    }

    #[test]
    fn lists() {
        let f = |s: &str| match p(s) {
            Intent::List(f) => f,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(f("Show me all my tasks").status, Status::All);
        assert_eq!(f("What's pending?").status, Status::Pending);
        assert_eq!(f("what's left?").status, Status::Pending);
        assert_eq!(f("what do I have to do").status, Status::Pending);
        assert_eq!(f("What have I completed?").status, Status::Completed);
        assert_eq!(f("show completed").status, Status::Completed);
        assert_eq!(
            f("list my high priority tasks").priority,
            Some(Priority::High)
        );
        assert_eq!(f("tasks tagged #work").tag.as_deref(), Some("work"));
        assert_eq!(f("show tasks tagged home").tag.as_deref(), Some("home"));
        assert_eq!(f("what's due today").due.unwrap().label, "today");
        assert_eq!(f("what's due this week?").due.unwrap().before, day(30));
        assert_eq!(f("search for milk").search.as_deref(), Some("milk"));
        assert_eq!(
            f("find tasks about the report").search.as_deref(),
            Some("report")
        );
        assert!(f("how many tasks do I have?").count);
        assert_eq!(f("anything overdue?").due.unwrap().label, "overdue");
    }

    #[test]
    fn completes() {
        assert_eq!(
            p("Mark task 3 as complete"),
            Intent::Complete(TaskRef::Id(3))
        );
        assert_eq!(
            p("done with the report"),
            Intent::Complete(TaskRef::Words("report".into()))
        );
        assert_eq!(
            p("I finished buying milk"),
            Intent::Complete(TaskRef::Words("buying milk".into()))
        );
        assert_eq!(p("check off 2"), Intent::Complete(TaskRef::Id(2)));
        assert_eq!(
            p("complete the milk one"),
            Intent::Complete(TaskRef::Words("milk".into()))
        );
        assert_eq!(p("tick off #4"), Intent::Complete(TaskRef::Id(4)));
        assert_eq!(
            p("the report is done"),
            Intent::Complete(TaskRef::Words("report".into()))
        );
        assert_eq!(p("mark it done"), Intent::Complete(TaskRef::It));
        assert_eq!(p("mark task 3 as not done"), Intent::Reopen(TaskRef::Id(3)));
        assert_eq!(p("finish task 5"), Intent::Complete(TaskRef::Id(5)));
    }

    #[test]
    fn deletes() {
        assert_eq!(
            p("delete the meeting task"),
            Intent::Delete(TaskRef::Words("meeting".into()))
        );
        assert_eq!(
            p("scratch that meeting task"),
            Intent::Delete(TaskRef::Words("meeting".into()))
        );
        assert_eq!(p("remove task 5"), Intent::Delete(TaskRef::Id(5)));
        assert_eq!(
            p("get rid of the dentist appointment"),
            Intent::Delete(TaskRef::Words("dentist appointment".into()))
        );
        assert_eq!(
            p("delete all completed tasks"),
            Intent::DeleteAll(Status::Completed)
        );
        assert_eq!(p("clear completed"), Intent::DeleteAll(Status::Completed));
        assert_eq!(
            p("delete 'Team meeting'"),
            Intent::Delete(TaskRef::Title("Team meeting".into()))
        );
    }

    #[test]
    fn updates() {
        let u = |s: &str| match p(s) {
            Intent::Update(r, c) => (r, c),
            other => panic!("{s}: {other:?}"),
        };
        let (r, c) = u("Change task 1 to 'Call mom tonight'");
        assert_eq!(
            (r, c.title.as_deref()),
            (TaskRef::Id(1), Some("Call mom tonight"))
        );
        let (r, c) = u("rename task 2 to buy oat milk");
        assert_eq!(
            (r, c.title.as_deref()),
            (TaskRef::Id(2), Some("Buy oat milk"))
        );
        let (r, c) = u("rename the milk task to buy oat milk");
        assert_eq!(
            (r, c.title.as_deref()),
            (TaskRef::Words("milk".into()), Some("Buy oat milk"))
        );
        let (r, c) = u("set task 3 priority to high");
        assert_eq!((r, c.priority), (TaskRef::Id(3), Some(Priority::High)));
        let (r, c) = u("make the report high priority");
        assert_eq!(
            (r, c.priority),
            (TaskRef::Words("report".into()), Some(Priority::High))
        );
        let (r, c) = u("move the dentist to friday");
        assert_eq!(
            (r, c.due),
            (
                TaskRef::Words("dentist".into()),
                Some(Some(dates::When {
                    at: day(27),
                    timed: false
                }))
            )
        );
        let (r, c) = u("tag task 2 with #home");
        assert_eq!((r, c.add_tags), (TaskRef::Id(2), vec!["home".to_owned()]));
        let (r, c) = u("add a description to task 4: bring the blue folder");
        assert_eq!(
            (r, c.description),
            (
                TaskRef::Id(4),
                Some(Some("bring the blue folder".to_owned()))
            )
        );
        let (r, c) = u("set the priority of the milk one to low");
        assert_eq!(
            (r, c.priority),
            (TaskRef::Words("milk".into()), Some(Priority::Low))
        );
        let (r, c) = u("remove the due date from task 3");
        assert_eq!((r, c.due), (TaskRef::Id(3), Some(None)));
        let (r, c) = u("make it urgent");
        assert_eq!((r, c.priority), (TaskRef::It, Some(Priority::High)));
        let (r, c) = u("task 3 is due friday");
        assert_eq!((r, c.due.is_some()), (TaskRef::Id(3), true));
    }

    #[test]
    fn social_and_picks() {
        assert_eq!(p("hi"), Intent::Greet);
        assert_eq!(p("Hello there!"), Intent::Greet);
        assert_eq!(p("thanks!"), Intent::Thanks);
        assert_eq!(p("what can you do?"), Intent::Help);
        assert_eq!(p("yes"), Intent::Confirm);
        assert_eq!(p("sure, do it"), Intent::Confirm);
        assert_eq!(p("no"), Intent::Deny);
        assert_eq!(p("never mind"), Intent::Deny);
        assert_eq!(p("the first one"), Intent::Pick(TaskRef::Nth(1)));
        assert_eq!(p("2"), Intent::Pick(TaskRef::Id(2)));
        assert_eq!(p("what's the weather?"), Intent::Unsupported("weather"));
        assert_eq!(p("blorp"), Intent::Unknown);
    }
}
