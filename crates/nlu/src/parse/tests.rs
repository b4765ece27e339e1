//! Phrasings and the intents they must parse to.

use chrono::{DateTime, TimeZone, Utc};
use todo_domain::{Priority, Recurrence, Status};

use super::{
    parse, reminder_answer, Alarm, Changes, Draft, Intent, Remind, ReminderChange, TaskRef,
};
use crate::dates;

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
    assert_eq!(d.recurrence, Some(Recurrence::MONTHLY));
    assert_eq!(d.priority, Some(Priority::High));
    assert_eq!(d.tags, ["home"]);
    let d = draft("add an urgent task to fix the server, tagged work and ops");
    assert_eq!(
        (d.title.as_str(), d.priority),
        ("Fix the server", Some(Priority::High))
    );
    assert_eq!(d.tags, ["work", "ops"]);
    // A named list is a list now, no longer a tag.
    let d = draft("add buy bread to my shopping list");
    assert_eq!(
        (d.title.as_str(), d.list.as_deref(), d.tags.as_slice()),
        ("Buy bread", Some("shopping"), [].as_slice())
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
        ("Walk the dog", Some(Recurrence::DAILY))
    );
    let d = draft("add gym every monday");
    assert_eq!(
        (d.recurrence, d.due.unwrap().at),
        (Some(Recurrence::WEEKLY), day(30))
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

/// Every prefix and suffix of many requests parses without panicking: the parser indexes
/// words a lot, and a cut-off message ("move the meeting to") must never crash a turn.
#[test]
fn never_panics_on_partial_messages() {
    let corpus = include_str!("../../tests/corpus.json");
    let says: Vec<String> = corpus
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"say\": \""))
        .map(|l| l.trim_end_matches(',').trim_end_matches('"').to_owned())
        .collect();
    assert!(says.len() > 100);
    let extra = [
        "anything for this weekend?",
        "'",
        "\"",
        "#",
        "!!",
        "- 1",
        "task",
        "the",
        "every",
        "in 5",
        "at",
        "due on the",
        "tagged",
        "rename to",
        "add a description to",
        "set the priority of",
        "the 99th one",
        "also",
        "too",
        "in 1001 days",
        "on 9999-12-31",
    ];
    for s in says.iter().map(String::as_str).chain(extra) {
        let ws: Vec<&str> = s.split_whitespace().collect();
        for k in 0..=ws.len() {
            parse(&ws[..k].join(" "), now());
            parse(&ws[k..].join(" "), now());
        }
    }
}

#[test]
fn shifts() {
    let shift = |s: &str| match p(s) {
        Intent::Update(r, c) => (r, c.shift_days),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        shift("push the report back a day"),
        (TaskRef::Words("report".into()), Some(1))
    );
    assert_eq!(
        shift("postpone task 2 by 3 days"),
        (TaskRef::Id(2), Some(3))
    );
    assert_eq!(
        shift("move the meeting a week earlier"),
        (TaskRef::Words("meeting".into()), Some(-7))
    );
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

#[test]
fn follow_ups() {
    let words = |w: &str| TaskRef::Words(w.into());
    assert_eq!(p("undo"), Intent::Undo);
    assert_eq!(p("oops, undo that please"), Intent::Undo);
    assert_eq!(p("take that back"), Intent::Undo);
    assert_eq!(p("and the last one"), Intent::Again(TaskRef::Nth(0)));
    assert_eq!(p("the laundry as well"), Intent::Again(words("laundry")));
    assert_eq!(p("and eggs"), Intent::Again(words("eggs")));
    assert_eq!(
        p("sorry, I meant the rent one"),
        Intent::Redirect(words("rent"))
    );
    assert_eq!(
        p("not that one, the rent one"),
        Intent::Redirect(words("rent"))
    );
    match p("actually call it almond milk") {
        Intent::Update(TaskRef::It, c) => assert_eq!(c.title.as_deref(), Some("Almond milk")),
        other => panic!("{other:?}"),
    }
    // Not follow-ups: a new request after "and", and a plain "no".
    assert!(matches!(
        p("and set it for monday"),
        Intent::Update(TaskRef::It, _)
    ));
    assert_eq!(p("no thanks"), Intent::Deny);
    // "the first one" alone still answers "which one?".
    assert_eq!(p("the first one"), Intent::Pick(TaskRef::Nth(1)));
}

#[test]
fn statements() {
    let words = |w: &str| TaskRef::Words(w.into());
    assert_eq!(p("the rent is sorted"), Intent::Complete(words("rent")));
    assert_eq!(
        p("the laundry is taken care of"),
        Intent::Complete(words("laundry"))
    );
    assert_eq!(
        p("I still haven't called the dentist"),
        Intent::StillOpen(words("called the dentist"))
    );
    let priority = |s: &str| match p(s) {
        Intent::Update(_, c) => c.priority,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(priority("laundry isn't urgent"), Some(Priority::Low));
    assert_eq!(priority("the rent is urgent"), Some(Priority::High));
    assert_eq!(priority("the car service can wait"), Some(Priority::Low));
    match p("the car service can wait till next month") {
        Intent::Update(r, c) => {
            assert_eq!(r, words("car service"));
            assert_eq!(c.due.flatten().map(|w| w.at), Some(day(1)));
        }
        other => panic!("{other:?}"),
    }
    // Questions are not statements.
    assert!(matches!(p("what is due today?"), Intent::List(_)));
}

#[test]
fn bulk_and_robust_reading() {
    use super::{BulkAction, Scope};
    assert_eq!(
        p("mark them all done"),
        Intent::Bulk(BulkAction::Complete, Scope::Listed)
    );
    assert_eq!(
        p("tick everything off"),
        Intent::Bulk(BulkAction::Complete, Scope::All)
    );
    assert_eq!(
        p("bring back all completed ones"),
        Intent::Bulk(BulkAction::Reopen, Scope::All)
    );
    assert_eq!(
        p("clear everything I've finished"),
        Intent::DeleteAll(Status::Completed)
    );
    assert!(matches!(p("shw my taks"), Intent::List(_)));
    assert_eq!(p("cmplete task 2"), Intent::Complete(TaskRef::Id(2)));
    let d = draft("asap: call the bank");
    assert_eq!(
        (d.title.as_str(), d.priority),
        ("Call the bank", Some(Priority::High))
    );
    assert_eq!(draft("add 🎂 cake for mum").title, "🎂 cake for mum");
    assert!(draft("call the dentist").loose);
    assert!(!draft("add call the dentist").loose);
    match p("anything about the dentist?") {
        Intent::List(f) => assert_eq!(f.search.as_deref(), Some("dentist")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p("finish laundry and the dishes"),
        Intent::Complete(_)
    ));
}

fn rule(s: &str) -> (String, Option<String>, String) {
    let d = draft(s);
    (
        d.title,
        d.recurrence.map(|r| r.rule().to_owned()),
        d.due.map_or(String::new(), |w| w.at.to_rfc3339()),
    )
}

#[test]
fn recurrence_rules() {
    let cases = [
        (
            "remind me every other Monday to water the plants",
            "Water the plants",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            "2026-11-30T00:00:00+00:00",
        ),
        (
            "pay rent on the 1st of every month",
            "Pay rent",
            "FREQ=MONTHLY;BYMONTHDAY=1",
            "2026-12-01T00:00:00+00:00",
        ),
        (
            "add stand-up every weekday at 9",
            "Stand-up",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "2026-11-27T09:00:00+00:00",
        ),
        (
            "add backups every 2 weeks",
            "Backups",
            "FREQ=WEEKLY;INTERVAL=2",
            "",
        ),
        (
            "add water cactus every other day",
            "Water cactus",
            "FREQ=DAILY;INTERVAL=2",
            "",
        ),
        (
            "add mum's birthday every year on March 3",
            "Mum's birthday",
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3",
            "2027-03-03T00:00:00+00:00",
        ),
        (
            "add review budget on the last Friday of every month",
            "Review budget",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "2026-11-27T00:00:00+00:00",
        ),
        (
            "add book club every 2nd tuesday of the month",
            "Book club",
            "FREQ=MONTHLY;BYDAY=2TU",
            "2026-12-08T00:00:00+00:00",
        ),
        (
            "add gym every monday and thursday",
            "Gym",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            "2026-11-30T00:00:00+00:00",
        ),
        (
            "add invoices every month on the last day",
            "Invoices",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "2026-11-30T00:00:00+00:00",
        ),
        (
            "add stretch every day until friday",
            "Stretch",
            "FREQ=DAILY;UNTIL=20261127T235959Z",
            "",
        ),
        (
            "add physio every week 5 times",
            "Physio",
            "FREQ=WEEKLY;COUNT=5",
            "",
        ),
        (
            "add clean gutters yearly",
            "Clean gutters",
            "FREQ=YEARLY",
            "",
        ),
    ];
    for (say, title, want, due) in cases {
        assert_eq!(
            rule(say),
            (title.to_owned(), Some(want.to_owned()), due.to_owned()),
            "{say}"
        );
    }
    // A single weekday stays the plain weekly rule, due on that day, as before.
    assert_eq!(
        rule("add gym every monday"),
        (
            "Gym".into(),
            Some("FREQ=WEEKLY".into()),
            day(30).to_rfc3339()
        )
    );
}

#[test]
fn stops_repeating() {
    let stop = |s: &str| match p(s) {
        Intent::Update(r, c)
            if c.recurrence == Some(None)
                && c == Changes {
                    recurrence: Some(None),
                    ..Changes::default()
                } =>
        {
            r
        }
        other => panic!("{s}: {other:?}"),
    };
    for s in [
        "stop repeating the gym task",
        "don't repeat the gym task anymore",
        "stop the gym task from repeating",
        "make the gym task not repeat",
    ] {
        assert_eq!(stop(s), TaskRef::Words("gym".into()), "{s}");
    }
    assert_eq!(stop("stop repeating task 4"), TaskRef::Id(4));
}

#[test]
fn list_requests() {
    for (s, name) in [
        ("create a list called Work", "Work"),
        ("new list: Groceries", "Groceries"),
        ("make a new list named 'Home stuff'", "Home stuff"),
        ("create a shopping list", "Shopping"),
        ("start a list for the garden", "Garden"),
        ("add a list", ""),
    ] {
        assert_eq!(p(s), Intent::CreateList(name.into()), "{s}");
    }
    assert_ne!(
        p("make a list of things to buy"),
        Intent::CreateList("Of things to buy".into())
    );
    for s in [
        "what lists do I have?",
        "show my lists",
        "which lists are there",
        "lists",
    ] {
        assert_eq!(p(s), Intent::Lists, "{s}");
    }
    let shown = |s: &str| match p(s) {
        Intent::List(f) => (f.list, f.status),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        shown("what's in my work list?"),
        (Some("work".into()), Status::All)
    );
    assert_eq!(
        shown("show the groceries list"),
        (Some("groceries".into()), Status::All)
    );
    assert_eq!(
        shown("what's still to do on the work list"),
        (Some("work".into()), Status::Pending)
    );
    assert_eq!(shown("show my todo list").0, None);
    let added = draft("add milk to the groceries list");
    assert_eq!(
        (added.title.as_str(), added.list.as_deref()),
        ("Milk", Some("groceries"))
    );
    assert_eq!(draft("add milk to my list").list, None);
    let moved = |s: &str| match p(s) {
        Intent::Update(r, c) => (r, c.list, c.due.is_some()),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        moved("move the dentist task to personal"),
        (
            TaskRef::Words("dentist".into()),
            Some("personal".into()),
            false
        )
    );
    assert_eq!(
        moved("move task 3 to the work list"),
        (TaskRef::Id(3), Some("work".into()), false)
    );
    // A date is still a new due date, not a list.
    assert_eq!(moved("move the dentist to friday").1, None);
    assert_eq!(moved("move task 3 to tomorrow at 5pm").1, None);
    assert!(!matches!(p("move task 2 to the top"), Intent::Update(_, c) if c.list.is_some()));
}

#[test]
fn subtask_requests() {
    let sub = |s: &str| match p(s) {
        Intent::AddSubtasks(r, d) => (r, d.into_iter().map(|d| d.title).collect::<Vec<_>>()),
        other => panic!("{s}: {other:?}"),
    };
    let report = || TaskRef::Words("report".into());
    assert_eq!(
        sub("add a subtask to the report: check the figures"),
        (report(), vec!["Check the figures".to_owned()])
    );
    assert_eq!(
        sub("break the report into: outline, draft, review"),
        (
            report(),
            vec!["Outline".to_owned(), "Draft".into(), "Review".into()]
        )
    );
    assert_eq!(
        sub("break down task 3 into research and writing"),
        (
            TaskRef::Id(3),
            vec!["Research".to_owned(), "Writing".into()]
        )
    );
    assert_eq!(
        sub("add 'check the figures and tables' as a subtask of the report"),
        (report(), vec!["check the figures and tables".to_owned()])
    );
    assert_eq!(
        sub("add subtasks to task 2: call the venue and book the band"),
        (
            TaskRef::Id(2),
            vec!["Call the venue".to_owned(), "Book the band".into()]
        )
    );
    // One step unless several are announced or listed with commas.
    assert_eq!(
        sub("add a subtask to the report: check the figures and tables").1,
        ["Check the figures and tables"]
    );
    assert_eq!(
        p("add a subtask to the report"),
        Intent::Incomplete("subtask")
    );
}

#[test]
fn questions_about_reminders() {
    let today = now().date_naive();
    for (s, from, to) in [
        ("what reminders do I have today?", 0, 1),
        ("any reminders today", 0, 1),
        ("reminders for tomorrow?", 1, 2),
        ("any reminders this week?", 0, 7),
        ("show my reminders", 0, 7),
    ] {
        match p(s) {
            Intent::Reminders(d) => {
                assert_eq!(
                    (d.from, d.to),
                    (
                        today + chrono::Duration::days(from),
                        today + chrono::Duration::days(to)
                    ),
                    "{s}"
                );
            }
            other => panic!("{s}: {other:?}"),
        }
    }
    // "remind me to …" adds a task; a reminder in a title is a title.
    assert!(matches!(
        p("remind me to call mom tomorrow"),
        Intent::Add(_)
    ));
    assert!(matches!(
        p("add a reminder to renew the passport"),
        Intent::Add(_)
    ));
}

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn before(ms: i64) -> Alarm {
    Alarm::Before {
        ms,
        on_day_at: None,
    }
}

fn at(d: u32, h: u32) -> Alarm {
    Alarm::At(day(d) + chrono::Duration::hours(h.into()))
}

fn remind(s: &str) -> Remind {
    match p(s) {
        Intent::Remind(r) => r,
        other => panic!("{s}: {other:?}"),
    }
}

#[test]
fn setting_reminders() {
    // On the task just talked about.
    for (s, when) in [
        ("remind me 10 minutes before", before(10 * MIN)),
        ("Remind me an hour before it's due", before(60 * MIN)),
        ("please remind me half an hour early", before(30 * MIN)),
        ("remind me when it's due", before(0)),
        ("remind me tomorrow at 9", at(27, 9)),
        ("set a reminder for tomorrow at 9am", at(27, 9)),
    ] {
        let r = remind(s);
        assert_eq!(
            (r.task, r.at, r.or_add),
            (TaskRef::It, vec![when], None),
            "{s}"
        );
    }
    let r = remind("remind me 1 day before at 9");
    let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0);
    assert_eq!(
        r.at,
        vec![Alarm::Before {
            ms: DAY,
            on_day_at: nine
        }]
    );
    // On a task named: by words it may be new (due then, reminded when due), by number it is not.
    let r = remind("remind me about the report tomorrow at 9");
    assert_eq!(r.task, TaskRef::Words("report".into()));
    assert_eq!(r.at, vec![at(27, 9)]);
    let new = r.or_add.expect("a task to add when none is named");
    assert_eq!(new.title, "Report");
    assert_eq!(
        new.due.map(|d| d.at),
        Some(day(27) + chrono::Duration::hours(9))
    );
    assert_eq!(new.reminders, vec![before(0)]);
    let r = remind("remind me 10 minutes before the dentist");
    assert_eq!(
        (r.task, r.at, r.or_add),
        (
            TaskRef::Words("dentist".into()),
            vec![before(10 * MIN)],
            None
        )
    );
    let r = remind("remind me at 5pm about task 3");
    assert_eq!((r.task, r.or_add), (TaskRef::Id(3), None));
    assert_eq!(
        p("add a reminder to task 2 10 minutes before"),
        Intent::Remind(Remind {
            task: TaskRef::Id(2),
            at: vec![before(10 * MIN)],
            or_add: None
        })
    );
    // Not said when: asked.
    let r = remind("remind me about the report");
    assert!(r.at.is_empty() && r.or_add.is_some());
    assert_eq!(p("remind me"), Intent::Incomplete("remind"));
    assert_eq!(p("set a reminder"), Intent::Incomplete("remind"));
}

#[test]
fn reminders_inside_adds_and_changes() {
    let d = draft("add call mom tomorrow at 5pm and remind me 10 minutes before");
    assert_eq!(d.title, "Call mom");
    assert_eq!(
        d.due.map(|d| d.at),
        Some(day(27) + chrono::Duration::hours(17))
    );
    assert_eq!(d.reminders, vec![before(10 * MIN)]);
    let d = draft("add pay rent on friday with a reminder the day before at 9");
    assert_eq!(d.title, "Pay rent");
    assert_eq!(d.reminders.len(), 1);
    let d = draft("add the dentist friday 3pm with a reminder");
    assert_eq!(
        (d.title.as_str(), d.reminders.as_slice()),
        ("Dentist", &[before(0)][..])
    );
    // Several sentences: the reminder goes with the task just added.
    let v = parse(
        "Add the dentist on friday at 3pm. Remind me an hour before.",
        now(),
    );
    match v.as_slice() {
        [Intent::Add(d)] => assert_eq!(d[0].reminders, vec![before(60 * MIN)]),
        other => panic!("{other:?}"),
    }
    // "remind me to …" is reminded when due; a day alone at 9:00.
    assert_eq!(
        draft("remind me to call mom at 5pm").reminders,
        vec![before(0)]
    );
    assert_eq!(
        draft("remind me to call mom tomorrow").reminders,
        vec![at(27, 9)]
    );
    assert_eq!(
        draft("remind me tomorrow to call mom").reminders,
        vec![at(27, 9)]
    );
    assert!(draft("add call mom tomorrow at 5pm").reminders.is_empty());
    // With a change.
    match p("move the dentist to friday at 3pm and remind me an hour before") {
        Intent::Update(r, c) => {
            assert_eq!(r, TaskRef::Words("dentist".into()));
            assert!(c.due.is_some());
            assert_eq!(
                c.reminders,
                Some(ReminderChange::Add(vec![before(60 * MIN)]))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn taking_reminders_off() {
    let clear = |r: TaskRef| {
        Intent::Update(
            r,
            Changes {
                reminders: Some(ReminderChange::Clear),
                ..Default::default()
            },
        )
    };
    for (s, r) in [
        ("no reminders for that", TaskRef::It),
        ("no reminder", TaskRef::It),
        ("remove the reminders from task 3", TaskRef::Id(3)),
        (
            "delete the reminder for the dentist",
            TaskRef::Words("dentist".into()),
        ),
        (
            "turn off reminders for the report",
            TaskRef::Words("report".into()),
        ),
        ("turn the reminder off for task 2", TaskRef::Id(2)),
        (
            "don't remind me about the report",
            TaskRef::Words("report".into()),
        ),
        ("stop reminding me", TaskRef::It),
        ("cancel all reminders on it", TaskRef::It),
    ] {
        assert_eq!(p(s), clear(r), "{s}");
    }
    // Other removals are what they were.
    assert!(
        matches!(p("remove the due date from task 3"), Intent::Update(_, c) if c.due == Some(None))
    );
    assert!(matches!(p("delete the dentist task"), Intent::Delete(_)));
}

#[test]
fn a_time_alone_answers_when() {
    for s in [
        "10 minutes before",
        "tomorrow at 9, please",
        "make it an hour before",
        "at 5pm",
    ] {
        assert!(reminder_answer(s, now()).is_some(), "{s}");
    }
    for s in ["yes", "the report", "buy milk tomorrow"] {
        assert_eq!(reminder_answer(s, now()), None, "{s}");
    }
}
