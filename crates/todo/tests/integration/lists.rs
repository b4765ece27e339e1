//! Lists, subtasks and recurrence rules on both databases, and the migration of a database filled
//! through the previous schema.

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{database, Db, TestApp, TestUser};

on_both_databases!(
    lists_hold_tasks_and_delete_only_when_told,
    subtasks_nest_complete_move_and_delete_as_trees,
    recurrence_rules_follow_the_users_time_zone,
);

fn titles(v: &Value) -> Vec<&str> {
    let mut t: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    t.sort_unstable();
    t
}

async fn lists(app: &TestApp, u: &TestUser) -> Value {
    let (status, lists) = app.send(u, Method::GET, "/lists", None).await;
    assert_eq!(status, 200, "{lists}");
    lists
}

async fn lists_hold_tasks_and_delete_only_when_told(app: TestApp) {
    let u = app.sign_up("lists@example.com").await;
    let other = app.sign_up("lists-other@example.com").await;
    let start = lists(&app, &u).await;
    assert_eq!(start.as_array().unwrap().len(), 1);
    assert_eq!(
        (start[0]["name"].as_str(), start[0]["inbox"].as_bool()),
        (Some("Inbox"), Some(true))
    );
    let inbox = start[0]["id"].clone();

    let (status, work) = app
        .send(
            &u,
            Method::POST,
            "/lists",
            Some(json!({"name": " Work ", "colour": "blue"})),
        )
        .await;
    assert_eq!(
        (status, work["name"].as_str(), work["colour"].as_str()),
        (201, Some("Work"), Some("blue")),
        "{work}"
    );
    // Names are unique ignoring case; bad input names the field and changes nothing.
    for (body, field) in [
        (json!({"name": "WORK"}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "Home", "colour": "mauve"}), "colour"),
        (json!({"name": "Far", "position": i64::MAX}), "position"),
    ] {
        let (status, e) = app
            .send(&u, Method::POST, "/lists", Some(body.clone()))
            .await;
        assert_eq!(
            (status, e["error"]["fields"][field].is_string()),
            (422, true),
            "{body}: {e}"
        );
    }
    assert_eq!(lists(&app, &u).await.as_array().unwrap().len(), 2);

    // Tasks go to the Inbox unless a list is named; the list filter and the counts agree.
    app.create(&u, json!({"title": "Milk"})).await;
    let report = app
        .create(&u, json!({"title": "Report", "list_id": work["id"]}))
        .await;
    assert_eq!(report["list_id"], work["id"]);
    app.create(
        &u,
        json!({"title": "Slides", "list_id": work["id"], "completed": true}),
    )
    .await;
    let (_, in_work) = app.list(&u, &format!("list={}", work["id"])).await;
    assert_eq!(titles(&in_work), vec!["Report", "Slides"]);
    let (_, all) = app.list(&u, "").await;
    assert_eq!(titles(&all), vec!["Milk", "Report", "Slides"]);
    let counts = lists(&app, &u).await;
    assert_eq!(
        (
            counts[1]["open_tasks"].as_i64(),
            counts[1]["total_tasks"].as_i64()
        ),
        (Some(1), Some(2))
    );

    // Another user's list is neither visible nor usable.
    let (status, _) = app
        .send(&other, Method::GET, &format!("/lists/{}", work["id"]), None)
        .await;
    assert_eq!(status, 404);
    let (status, e) = app
        .send(
            &other,
            Method::POST,
            "/tasks",
            Some(json!({"title": "x", "list_id": work["id"]})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["list_id"].is_string()),
        (422, true),
        "{e}"
    );

    // Rename, recolour, reorder; the Inbox is neither archived nor deleted.
    let path = format!("/lists/{}", work["id"]);
    let (status, renamed) = app
        .send(
            &u,
            Method::PUT,
            &path,
            Some(json!({"name": "Office", "colour": "green", "position": 7})),
        )
        .await;
    assert_eq!(
        (
            status,
            renamed["name"].as_str(),
            renamed["position"].as_i64()
        ),
        (200, Some("Office"), Some(7))
    );
    let (status, e) = app
        .send(
            &u,
            Method::PUT,
            &format!("/lists/{inbox}"),
            Some(json!({"archived": true})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["archived"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, e) = app
        .send(&u, Method::DELETE, &format!("/lists/{inbox}"), None)
        .await;
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("inbox")));

    // Deleting a list with tasks needs a choice; without one nothing changes.
    let (status, e) = app.send(&u, Method::DELETE, &path, None).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (409, Some("list_not_empty")),
        "{e}"
    );
    assert!(e["error"]["message"].as_str().unwrap().contains('2'), "{e}");
    let (status, e) = app
        .send(&u, Method::DELETE, &format!("{path}?tasks=later"), None)
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["tasks"].is_string()),
        (422, true),
        "{e}"
    );
    assert_eq!(lists(&app, &u).await.as_array().unwrap().len(), 2);
    let (status, _) = app
        .send(&u, Method::DELETE, &format!("{path}?tasks=move"), None)
        .await;
    assert_eq!(status, 204);
    let (_, in_inbox) = app.list(&u, &format!("list={inbox}")).await;
    assert_eq!(titles(&in_inbox), vec!["Milk", "Report", "Slides"]);

    let (_, tmp) = app
        .send(&u, Method::POST, "/lists", Some(json!({"name": "Tmp"})))
        .await;
    app.create(&u, json!({"title": "Scratch", "list_id": tmp["id"]}))
        .await;
    let (status, _) = app
        .send(
            &u,
            Method::DELETE,
            &format!("/lists/{}?tasks=delete", tmp["id"]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, all) = app.list(&u, "").await;
    assert_eq!(titles(&all), vec!["Milk", "Report", "Slides"]);
}

async fn subtasks_nest_complete_move_and_delete_as_trees(app: TestApp) {
    let u = app.sign_up("trees@example.com").await;
    let other = app.sign_up("trees-other@example.com").await;
    let (_, home) = app
        .send(&u, Method::POST, "/lists", Some(json!({"name": "Home"})))
        .await;
    let report = app.create(&u, json!({"title": "Report"})).await;
    let outline = app
        .create(&u, json!({"title": "Outline", "parent_id": report["id"]}))
        .await;
    let draft = app
        .create(&u, json!({"title": "Draft", "parent_id": report["id"]}))
        .await;
    let figures = app
        .create(&u, json!({"title": "Figures", "parent_id": draft["id"]}))
        .await;
    let level4 = app
        .create(&u, json!({"title": "Check", "parent_id": figures["id"]}))
        .await;
    assert_eq!(
        outline["list_id"], report["list_id"],
        "a subtask is in its parent's list"
    );

    // Depth, cycles, other lists and other users are refused, naming parent_id.
    for (body, why) in [
        (
            json!({"title": "Too deep", "parent_id": level4["id"]}),
            "a fifth level",
        ),
        (
            json!({"title": "Elsewhere", "parent_id": report["id"], "list_id": home["id"]}),
            "another list",
        ),
        (
            json!({"title": "Nowhere", "parent_id": 999_999_999}),
            "no such task",
        ),
    ] {
        let (status, e) = app.send(&u, Method::POST, "/tasks", Some(body)).await;
        assert_eq!(
            (status, e["error"]["fields"]["parent_id"].is_string()),
            (422, true),
            "{why}: {e}"
        );
    }
    let (status, e) = app
        .send(
            &other,
            Method::POST,
            "/tasks",
            Some(json!({"title": "x", "parent_id": report["id"]})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["parent_id"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, e) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", report["id"]),
            Some(json!({"parent_id": figures["id"]})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["parent_id"].is_string()),
        (422, true),
        "a cycle: {e}"
    );
    let spare = app.create(&u, json!({"title": "Spare"})).await;
    let (status, e) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", draft["id"]),
            Some(json!({"parent_id": outline["id"]})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["parent_id"].is_string()),
        (422, true),
        "the moved subtree would be five deep: {e}"
    );
    let (status, moved) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", spare["id"]),
            Some(json!({"parent_id": outline["id"]})),
        )
        .await;
    assert_eq!(
        (status, moved["parent_id"].clone()),
        (200, outline["id"].clone())
    );

    // Listing shows top-level tasks with their counts; a subtree or every level on request.
    let (_, top) = app.list(&u, "").await;
    assert_eq!(titles(&top), vec!["Report"]);
    assert_eq!(
        (
            top[0]["subtask_count"].as_i64(),
            top[0]["subtasks_done"].as_i64()
        ),
        (Some(2), Some(0))
    );
    let (_, under) = app.list(&u, &format!("parent={}", report["id"])).await;
    assert_eq!(
        titles(&under),
        vec!["Check", "Draft", "Figures", "Outline", "Spare"]
    );
    let (_, every) = app.list(&u, "include=subtasks&limit=2").await;
    assert_eq!(every.as_array().unwrap().len(), 2, "pages as before");

    // Completing a parent completes only it, unless asked; then the whole open subtree.
    let (_, done) = app.toggle(&u, &draft["id"]).await;
    assert_eq!(done["completed"], true);
    let (_, under) = app
        .list(&u, &format!("parent={}&status=pending", draft["id"]))
        .await;
    assert_eq!(titles(&under), vec!["Check", "Figures"]);
    let (status, done) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}?complete_subtasks=true", report["id"]),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(
        (status, done["subtasks_done"].as_i64()),
        (200, Some(2)),
        "{done}"
    );
    let (_, open) = app
        .list(&u, &format!("parent={}&status=pending", report["id"]))
        .await;
    assert_eq!(titles(&open), Vec::<&str>::new());

    // Moving a parent moves its subtree; a subtask moved alone becomes top-level there.
    let (status, moved) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", report["id"]),
            Some(json!({"list_id": home["id"]})),
        )
        .await;
    assert_eq!(
        (status, moved["list_id"].clone()),
        (200, home["id"].clone())
    );
    let (_, in_home) = app
        .list(&u, &format!("list={}&include=subtasks", home["id"]))
        .await;
    assert_eq!(in_home.as_array().unwrap().len(), 6);
    let inbox = lists(&app, &u).await[0]["id"].clone();
    let (_, alone) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", spare["id"]),
            Some(json!({"list_id": inbox})),
        )
        .await;
    assert_eq!(
        (alone["list_id"].clone(), alone["parent_id"].clone()),
        (inbox, Value::Null)
    );

    // Deleting a parent deletes its subtree and says how many went with it.
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/{}/tasks/{}", u.id, report["id"]),
            Some(&u.jwt),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["x-subtasks-deleted"], "4");
    let (_, left) = app.list(&u, "include=subtasks").await;
    assert_eq!(titles(&left), vec!["Spare"]);
}

async fn recurrence_rules_follow_the_users_time_zone(app: TestApp) {
    let u = app.sign_up("rrule@example.com").await;
    let (status, e) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"]["time_zone"].is_string()),
        (422, true)
    );
    let (status, s) = app
        .send(
            &u,
            Method::PUT,
            "/settings",
            Some(json!({"time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(
        (status, s["time_zone"].as_str()),
        (200, Some("Europe/Berlin"))
    );

    // 09:00 in Berlin every Thursday, three times: across the change to summer time on 31 March 2030
    // (dates in the future, as a series from its due date skips occurrences already past).
    let t = app.create(&u, json!({"title": "Standup", "due_at": "2030-03-28T08:00:00Z", "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=3"})).await;
    assert_eq!(t["recurrence"], "FREQ=WEEKLY;COUNT=3;BYDAY=TH");
    let (_, _) = app.toggle(&u, &t["id"]).await;
    let (_, open) = app.list(&u, "status=pending").await;
    assert_eq!(open[0]["due_at"], "2030-04-04T07:00:00Z", "{open}");
    // An update that does not mention the rule keeps it.
    let (_, kept) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", open[0]["id"]),
            Some(json!({"title": "Stand-up"})),
        )
        .await;
    assert_eq!(kept["recurrence"], t["recurrence"]);
    app.toggle(&u, &open[0]["id"]).await;
    let (_, open) = app.list(&u, "status=pending").await;
    assert_eq!(open[0]["due_at"], "2030-04-11T07:00:00Z");
    app.toggle(&u, &open[0]["id"]).await;
    let (_, open) = app.list(&u, "status=pending").await;
    assert_eq!(
        open.as_array().unwrap().len(),
        0,
        "COUNT=3 ended the series: {open}"
    );

    // Shorthands read and write back; the last Friday of the month; bad rules name the field.
    let t = app.create(&u, json!({"title": "Timesheet", "due_at": "2030-01-25T16:00:00Z", "recurrence": "FREQ=MONTHLY;BYDAY=-1FR"})).await;
    app.toggle(&u, &t["id"]).await;
    let (_, next) = app.list(&u, "status=pending").await;
    assert_eq!(next[0]["due_at"], "2030-02-22T16:00:00Z");
    let t = app
        .create(
            &u,
            json!({"title": "Gym", "recurrence": "weekdays", "repeat_from": "completion"}),
        )
        .await;
    assert_eq!(
        (t["recurrence"].as_str(), t["repeat_from"].as_str()),
        (Some("weekdays"), Some("completion"))
    );
    for bad in [
        "hourly",
        "FREQ=DAILY;BYHOUR=9",
        "FREQ=DAILY;UNTIL=20270101T000000",
    ] {
        let (status, e) = app
            .send(
                &u,
                Method::POST,
                "/tasks",
                Some(json!({"title": "x", "recurrence": bad})),
            )
            .await;
        assert_eq!(
            (status, e["error"]["fields"]["recurrence"].is_string()),
            (422, true),
            "{bad}: {e}"
        );
    }
    let (_, stop) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", t["id"]),
            Some(json!({"recurrence": null})),
        )
        .await;
    assert_eq!(stop["recurrence"], Value::Null);
}

/// A database filled through the previous schema migrates: each user's tasks land in their Inbox and
/// the fixed rules become equivalent RRULEs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_schema_migrates_with_its_data() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some((url, dir)) = database(db).await else {
            continue;
        };
        let migrator = crate::support::migrations_before(db, "20261201000007").await;
        let insert = "INSERT INTO tasks (user_id, title, completed, priority, tags, due_at, recurrence, created_at, \
                      updated_at, title_key, search_text) VALUES ($1, $2, FALSE, 2, '[]', $3, $4, 1, 1, $5, $5)";
        let rows = [
            (
                "external-a",
                "Rent",
                Some(1_767_258_000_000_i64),
                Some("monthly"),
            ),
            ("external-a", "Gym", None, Some("daily")),
            ("external-b", "Milk", None, None),
        ];
        macro_rules! fill {
            ($pool:expr) => {{
                let pool = $pool;
                migrator.run(&pool).await.unwrap();
                for (user, title, due, rule) in rows {
                    sqlx::query(insert)
                        .bind(user)
                        .bind(title)
                        .bind(due)
                        .bind(rule)
                        .bind(title.to_lowercase())
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                pool.close().await;
            }};
        }
        match db {
            Db::Sqlite => fill!(sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap()),
            Db::Postgres => fill!(sqlx::PgPool::connect(&url).await.unwrap()),
        }
        // The server refuses a database file others can read: made private as an upgrade guide says.
        if let Some(dir) = &dir {
            use std::os::unix::fs::PermissionsExt;
            for f in std::fs::read_dir(dir.path()).unwrap() {
                let path = f.unwrap().path();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
        }

        let app = TestApp::spawn_on(url, dir, &[]).await;
        let a = TestUser {
            id: "external-a".into(),
            session: String::new(),
            jwt: crate::support::hs256("external-a", json!({})),
        };
        let inbox = lists(&app, &a).await;
        assert_eq!(inbox.as_array().unwrap().len(), 1, "{db:?}: {inbox}");
        let (_, tasks) = app.list(&a, "sort=title").await;
        assert_eq!(titles(&tasks), vec!["Gym", "Rent"], "{db:?}");
        for t in tasks.as_array().unwrap() {
            assert_eq!(t["list_id"], inbox[0]["id"], "{db:?}: {t}");
        }
        let rules: Vec<&str> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["recurrence"].as_str().unwrap())
            .collect();
        assert_eq!(rules, vec!["daily", "monthly"], "{db:?}");
        // The monthly rent, due on 1 January 2026, still rolls forward on the 1st.
        let rent = tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["title"] == "Rent")
            .unwrap();
        app.toggle(&a, &rent["id"]).await;
        let (_, open) = app.list(&a, "status=pending&sort=due").await;
        let next = open[0]["due_at"].as_str().unwrap();
        assert!(next.ends_with("-01T09:00:00Z"), "{db:?}: {next}");
    }
}
