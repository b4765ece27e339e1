//! The tools' reminders on a real store: `add_task`/`update_task` take them as the API does, and
//! `list_reminders` finds those going off in a window of the user's days.

mod common;

use common::{fresh_store, tasks_of, OTHER, USER};
use serde_json::{json, Value};
use todo_assistant::tools;
use todo_domain::SettingsPatch;

#[tokio::test]
async fn tools_set_reminders_and_list_a_window_of_the_users_days() {
    let (_dir, store) = fresh_store().await;
    let patch = SettingsPatch {
        time_zone: Some("America/New_York".parse().unwrap()),
        ..Default::default()
    };
    store.update_settings(USER, patch).await.unwrap();
    // Due Friday 4 June 2027 at 10:00 New York (14:00 UTC).
    let added = tools::run(
        &store,
        USER,
        tools::ADD_TASK,
        json!({"title": "Send the report", "due_at": "2027-06-04T14:00:00Z",
               "reminders": [{"before": "PT10M"}, {"before": "P1D", "time": "21:30"}]}),
    )
    .await
    .unwrap();
    let id = added["task_id"].as_i64().unwrap();
    tools::run(
        &store,
        USER,
        tools::ADD_TASK,
        json!({"title": "Call Sam", "reminders": [{"at": "2027-06-04T03:30:00Z"}]}),
    )
    .await
    .unwrap();
    tools::run(
        &store,
        OTHER,
        tools::ADD_TASK,
        json!({"title": "Not yours", "reminders": [{"at": "2027-06-04T15:00:00Z"}]}),
    )
    .await
    .unwrap();
    let window = |from: &str, to: &str| {
        let store = store.clone();
        let args = json!({"from": from, "to": to});
        async move {
            tools::run(&store, USER, tools::LIST_REMINDERS, args)
                .await
                .unwrap()
        }
    };
    let titles = |v: &Value| -> Vec<(String, String)> {
        v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["title"].as_str().unwrap().to_owned(),
                    r["fire_at"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Friday 4 June in New York runs from 04:00 UTC: "Call Sam" at 03:30 UTC is Thursday's, as is
    // 21:30 the day before; 09:50 local is Friday's.
    let friday = window("2027-06-04", "2027-06-05").await;
    assert_eq!(friday["time_zone"], "America/New_York");
    assert_eq!(
        titles(&friday),
        [(
            "Send the report".to_owned(),
            "2027-06-04T09:50:00-04:00".to_owned()
        )]
    );
    let thursday = window("2027-06-03", "2027-06-04").await;
    assert_eq!(
        titles(&thursday),
        [
            (
                "Send the report".to_owned(),
                "2027-06-03T21:30:00-04:00".to_owned()
            ),
            (
                "Call Sam".to_owned(),
                "2027-06-03T23:30:00-04:00".to_owned()
            )
        ]
    );
    assert_eq!(thursday["reminders"][0]["task_id"], id);

    // update_task replaces them; [] removes them.
    tools::run(
        &store,
        USER,
        tools::UPDATE_TASK,
        json!({"task_id": id, "reminders": []}),
    )
    .await
    .unwrap();
    assert_eq!(titles(&window("2027-06-03", "2027-06-05").await).len(), 1);

    // Bad arguments name themselves, and change nothing.
    let err = tools::run(
        &store,
        USER,
        tools::LIST_REMINDERS,
        json!({"from": "tomorrow"}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("from:"), "{err}");
    let err = tools::run(
        &store,
        USER,
        tools::UPDATE_TASK,
        json!({"task_id": id, "due_at": null, "reminders": [{"before": "PT5M"}]}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("reminders[0].before"), "{err}");
    let tasks = tasks_of(&store, USER).await;
    let report = tasks.iter().find(|t| t["id"] == id).unwrap();
    assert_eq!(report["due_at"], "2027-06-04T14:00:00Z");
}

/// The built-in assistant answers "what reminders do I have tomorrow?" from `list_reminders`, at the
/// user's local times (the corpus cannot hold reminders to come: its clock is fixed in the past).
#[tokio::test]
async fn the_builtin_assistant_tells_tomorrows_reminders_in_local_time() {
    use chrono::{Duration, NaiveTime, TimeZone, Utc};
    use todo_assistant::{Toolbox, TurnTools};

    let (_dir, store) = fresh_store().await;
    let tz: todo_domain::Tz = "Asia/Tokyo".parse().unwrap();
    let patch = SettingsPatch {
        time_zone: Some(tz),
        ..Default::default()
    };
    store.update_settings(USER, patch).await.unwrap();
    // Noon UTC today (21:00 in Tokyo) is the assistant's clock; "tomorrow" is the next Tokyo date,
    // from 15:00 UTC today: both reminders are still to come.
    let now = Utc::now()
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc();
    let tomorrow = now.date_naive() + Duration::days(1);
    let at = |h: u32| {
        tz.from_local_datetime(&tomorrow.and_time(NaiveTime::from_hms_opt(h, 15, 0).unwrap()))
            .unwrap()
            .to_utc()
            .to_rfc3339()
    };
    for (title, hour) in [("Water the plants", 18), ("Call Sam", 10)] {
        tools::run(
            &store,
            USER,
            tools::ADD_TASK,
            json!({"title": title, "reminders": [{"at": at(hour)}]}),
        )
        .await
        .unwrap();
    }
    let toolbox = Toolbox::Local(store.clone());
    let mut turn = TurnTools::new(&toolbox, USER);
    let reply = todo_nlu::reply(
        &[],
        None,
        "what reminders do I have tomorrow?",
        &mut turn,
        now.with_timezone(&tz),
    )
    .await
    .text;
    assert_eq!(
        reply,
        "You have 2 reminders tomorrow:\n- 10:15 “Call Sam”\n- 18:15 “Water the plants”"
    );
}
