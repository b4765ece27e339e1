//! Short social messages: greetings, thanks, help, yes/no, picks, and courtesy to strip.

use super::refs::task_ref;
use super::{Intent, TaskRef};
use crate::text::{in_list, norms, prefix, starts, Word};

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
    im for now i well appreciated youre the best";
/// Words that open a "yes", and words that may follow one ("yes please, do it").
const YES: &str = "yes y yeah yea yep yup sure ok okay k confirm confirmed correct right \
    absolutely definitely affirmative";
const YES_MORE: &str = "please go ahead do it delete remove that one thanks i am im just for \
    of course agreed sounds good fine thing";
/// Words that open a "no", and words that may follow one ("no thanks, leave it").
const NO: &str = "no n nope nah cancel stop dont never nevermind keep abort";
const NO_MORE: &str = "mind thanks thank you it that do not please actually wait forget \
    leave changed my i ive hold on";

pub(super) fn social(ws: &[Word]) -> Option<Intent> {
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
        .any(|w| in_list("thanks thank thx ty cheers appreciate appreciated", w));
    let praised = n.len() <= 3
        && (starts(ws, "well done")
            || n.iter().any(|w| {
                in_list(
                    "great awesome cool nice perfect wonderful brilliant excellent amazing \
                    sweet fantastic helpful good best",
                    w,
                )
            }));
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
        // "wait, no": the second thoughts that answer a confirmation question.
        || ws.len() > 1 && ws[0].is_in("wait hmm oh") && ws[1].is_in(NO)
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
        instructions|how to use|what commands|show help|i need help|can you help|\
        tell me about yourself|about you";
    // "how do I add a task with a due date?" is a question about using the assistant.
    let how = prefix(ws, "how do i|how can i|how to|how does one").is_some();
    (how || prefix(ws, PHRASES).is_some() && ws.len() <= 7).then_some(Intent::Help)
}

/// A whole message that only points at a task: "2", "#2", "task 2", "the first one", "the last".
pub(super) fn pick(ws: &[Word]) -> Option<TaskRef> {
    let core: Vec<Word> = ws
        .iter()
        .filter(|w| !w.is_in("the one please pls that i mean meant option choice ok okay"))
        .cloned()
        .collect();
    // "and the last one", "the first one too": the last change again, not a pick.
    if core.is_empty() || core.len() > 2 || ws.iter().any(|w| w.is_in("and also plus too well")) {
        return None;
    }
    match task_ref(&core) {
        r @ (TaskRef::Id(_) | TaskRef::Nth(_)) => Some(r),
        _ => None,
    }
}

/// Leading and trailing courtesy that changes nothing: "hey, could you please …, thanks!".
pub(super) fn strip_politeness(ws: &[Word]) -> Vec<Word> {
    const LEAD: &str = "would you mind|would you please|could you please|can you please|\
        could you|can you|would you|will you|can u|could u|pls|plz|please|kindly|\
        hey|hi|hello|ok|okay|so|also|and|now|then|just|um|uh|oh|well|yo|\
        i want you to|i would like you to|id like you to|go ahead and|help me|\
        quickly|assistant|thanks|thank you|alright|right|great|cool|oops|\
        actually|hmm|lets|let us|let me|i would like to|id like to|i want to";
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

pub(super) fn unsupported(ws: &[Word]) -> Option<&'static str> {
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
            calculate who give do any",
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
