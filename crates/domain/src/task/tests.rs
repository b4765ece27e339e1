use super::*;
use crate::recurrence::{RepeatFrom, SeriesState};
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn create(json: serde_json::Value) -> Result<NewTask, ValidationError> {
    serde_json::from_value::<CreateTask>(json)
        .unwrap()
        .validate()
}

#[test]
fn every_value_is_listed_under_its_api_name() {
    for p in Priority::ALL {
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        assert_eq!(Priority::parse(p.as_str()), Some(p));
    }
    assert_eq!(Priority::parse(" High "), Some(Priority::High));
}

#[test]
fn create_normalises_and_validates() {
    let t = create(serde_json::json!({"title": "  Buy milk ", "description": "", "tags": ["#Home", "home", "x-1"]})).unwrap();
    assert_eq!(t.title, "Buy milk");
    assert_eq!(t.description, None);
    assert_eq!(t.tags, vec!["home", "x-1"]);
    assert_eq!(t.priority, Priority::Medium);

    let e =
        create(serde_json::json!({"title": " ", "tags": ["a b"], "due_at": "soon"})).unwrap_err();
    assert_eq!(
        e.fields.keys().collect::<Vec<_>>(),
        vec!["due_at", "tags[0]", "title"]
    );

    let long = "x".repeat(201);
    assert!(create(serde_json::json!({ "title": long }))
        .unwrap_err()
        .fields
        .contains_key("title"));
    let tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    assert!(create(serde_json::json!({"title": "a", "tags": tags}))
        .unwrap_err()
        .fields
        .contains_key("tags"));
}

#[test]
fn update_distinguishes_null_from_absent() {
    let u: UpdateTask = serde_json::from_str(r#"{"description": null}"#).unwrap();
    assert_eq!(u.validate().unwrap().description, Some(None));
    let u: UpdateTask = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
    assert_eq!(u.validate().unwrap().description, None);
    let u: UpdateTask = serde_json::from_str("{}").unwrap();
    assert!(u.validate().unwrap_err().fields.contains_key("body"));
}

#[test]
fn recurrence_steps_into_the_future() {
    let now = at(2026, 1, 10);
    let series = |start, due| SeriesState {
        start,
        due,
        occurrence: 1,
    };
    let next_in = |r: Recurrence, start, due, now| {
        r.next(RepeatFrom::Due, series(start, due), now, Tz::UTC)
            .map(|n| n.due)
    };
    let next = |r: Recurrence, due, now| next_in(r, None, Some(due), now);
    assert_eq!(
        next(Recurrence::DAILY, at(2026, 1, 10), now),
        Some(at(2026, 1, 11))
    );
    assert_eq!(
        next(Recurrence::DAILY, at(2026, 1, 5), now),
        Some(at(2026, 1, 11)),
        "late: next is in the future"
    );
    assert_eq!(
        next(Recurrence::WEEKLY, at(2026, 1, 9), now),
        Some(at(2026, 1, 16))
    );
    assert_eq!(
        next(Recurrence::WEEKLY, at(2025, 1, 9), now),
        Some(at(2026, 1, 15)),
        "a year late"
    );
    assert_eq!(
        next(Recurrence::MONTHLY, at(2026, 1, 31), at(2026, 1, 30)),
        Some(at(2026, 2, 28))
    );
    assert_eq!(
        next_in(Recurrence::DAILY, None, None, now),
        Some(at(2026, 1, 11))
    );
    // A series on the 31st keeps its day after a short month.
    let start = Some(at(2026, 1, 31));
    assert_eq!(
        next_in(
            Recurrence::MONTHLY,
            start,
            Some(at(2026, 2, 28)),
            at(2026, 2, 27)
        ),
        Some(at(2026, 3, 31))
    );
    assert_eq!(
        next_in(
            Recurrence::MONTHLY,
            start,
            Some(at(2026, 3, 31)),
            at(2026, 3, 30)
        ),
        Some(at(2026, 4, 30))
    );
    // Past year 9999 the series ends rather than producing a date RFC 3339 cannot write.
    assert_eq!(next(Recurrence::MONTHLY, at(9999, 12, 31), now), None);
    assert_eq!(
        next(Recurrence::DAILY, at(9999, 12, 30), now),
        Some(at(9999, 12, 31))
    );
}

#[test]
fn sending_a_task_back_unchanged_keeps_its_series() {
    let now = at(2026, 2, 27);
    let mut task = Task {
        id: 2,
        user_id: "u".into(),
        title: "Rent".into(),
        description: None,
        completed: false,
        priority: Priority::Medium,
        tags: vec![],
        due_at: Some(at(2026, 2, 28)),
        recurrence: Some(Recurrence::MONTHLY),
        repeat_from: RepeatFrom::Due,
        list_id: 1,
        parent_id: None,
        subtask_count: 0,
        subtasks_done: 0,
        reminders: vec![],
        created_at: now,
        updated_at: now,
        series_start: Some(at(2026, 1, 31)),
        spawned_next: false,
        occurrence: 1,
    };
    let whole = TaskPatch {
        completed: Some(true),
        due_at: Some(task.due_at),
        recurrence: Some(task.recurrence.clone()),
        ..Default::default()
    };
    let next = task.apply(whole, now, Tz::UTC).expect("next occurrence");
    assert_eq!(next.due_at, Some(at(2026, 3, 31)));
    // Un-complete, move the date: a new series, which may advance again.
    task.apply(
        TaskPatch {
            completed: Some(false),
            due_at: Some(Some(at(2026, 3, 5))),
            ..Default::default()
        },
        now,
        Tz::UTC,
    );
    assert_eq!((task.series_start, task.spawned_next), (None, false));
    let next = task
        .apply(TaskPatch::toggle(&task), now, Tz::UTC)
        .expect("new series advances");
    assert_eq!(next.due_at, Some(at(2026, 4, 5)));
}

#[test]
fn completing_a_recurring_task_yields_the_next_one_once() {
    let now = at(2026, 1, 10);
    let mut task = Task {
        id: 1,
        user_id: "u".into(),
        title: "Water plants".into(),
        description: None,
        completed: false,
        priority: Priority::High,
        tags: vec!["home".into()],
        due_at: Some(at(2026, 1, 10)),
        recurrence: Some(Recurrence::WEEKLY),
        repeat_from: RepeatFrom::Due,
        list_id: 1,
        parent_id: None,
        subtask_count: 0,
        subtasks_done: 0,
        reminders: vec![],
        created_at: now,
        updated_at: now,
        series_start: None,
        spawned_next: false,
        occurrence: 1,
    };
    let next = task
        .apply(TaskPatch::toggle(&task), now, Tz::UTC)
        .expect("next occurrence");
    assert_eq!(
        next.series_start,
        Some(at(2026, 1, 10)),
        "the series remembers its start"
    );
    assert!(task.completed);
    assert_eq!(next.due_at, Some(at(2026, 1, 17)));
    assert_eq!((next.priority, next.completed), (Priority::High, false));
    // Completing again (already complete) or un-completing creates nothing.
    assert!(task
        .apply(
            TaskPatch {
                completed: Some(true),
                ..Default::default()
            },
            now,
            Tz::UTC
        )
        .is_none());
    assert!(task.apply(TaskPatch::toggle(&task), now, Tz::UTC).is_none());
}
