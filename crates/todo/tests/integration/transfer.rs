//! Export and import on both databases: round trips, Todoist's CSV template, a plain CSV, dry runs,
//! refusals that write nothing, limits, other users' data; and `todo export` / `todo import`.

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{split, TestApp, TestUser};

on_both_databases!(
    export_then_import_into_a_fresh_user_gives_the_same_document,
    todoist_csv_nests_by_indent_and_reads_recurring_dates,
    plain_csv_creates_lists_and_bad_rows_write_nothing,
    imports_are_bounded_and_stay_with_their_user,
    reminders_travel_with_the_export_and_past_ones_stay_quiet,
);

/// `POST …/import` with a raw body.
async fn import(
    app: &TestApp,
    u: &TestUser,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let r = app
        .request(
            Method::POST,
            &format!("/api/{}/import{query}", u.id),
            Some(&u.jwt),
        )
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    split(r).await
}

/// The user's export, without the moment it was made.
async fn export(app: &TestApp, u: &TestUser) -> Value {
    let (status, mut doc) = app.send(u, Method::GET, "/export", None).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        (doc["format"].as_str(), doc["version"].as_i64()),
        (Some("todo-export"), Some(1))
    );
    doc.as_object_mut().unwrap().remove("exported_at");
    doc
}

/// The exported tasks by title.
fn task<'a>(doc: &'a Value, title: &str) -> &'a Value {
    doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == title)
        .unwrap_or_else(|| panic!("no task {title:?} in {doc}"))
}

/// The title of `t`'s parent in `doc`.
fn parent_title<'a>(doc: &'a Value, t: &Value) -> Option<&'a str> {
    let parent = t.get("parent")?;
    doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ref"] == *parent)
        .and_then(|p| p["title"].as_str())
}

async fn export_then_import_into_a_fresh_user_gives_the_same_document(app: TestApp) {
    let u = app.sign_up("export@example.com").await;
    let (_, work) = app
        .send(
            &u,
            Method::POST,
            "/lists",
            Some(json!({"name": "Work", "colour": "blue"})),
        )
        .await;
    let (_, old) = app
        .send(
            &u,
            Method::POST,
            "/lists",
            Some(json!({"name": "Old", "colour": "pink"})),
        )
        .await;
    app.send(
        &u,
        Method::PUT,
        &format!("/lists/{}", old["id"]),
        Some(json!({"archived": true})),
    )
    .await;
    let report = app
        .create(
            &u,
            json!({"title": "Report", "list_id": work["id"], "tags": ["q4"], "priority": "high",
            "description": "For the board", "due_at": "2027-01-15T09:00:00Z"}),
        )
        .await;
    let draft = app
        .create(&u, json!({"title": "Draft", "parent_id": report["id"]}))
        .await;
    app.create(
        &u,
        json!({"title": "Figures", "parent_id": draft["id"], "completed": true}),
    )
    .await;
    app.create(&u, json!({"title": "Outline", "parent_id": report["id"]}))
        .await;
    app.create(
        &u,
        json!({"title": "Filed", "list_id": old["id"], "completed": true}),
    )
    .await;
    let gym = app
        .create(
            &u,
            json!({"title": "Gym", "due_at": "2027-01-04T07:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5", "repeat_from": "completion"}),
        )
        .await;
    // Completing it creates the next occurrence: the series' bookkeeping travels too.
    let (status, _) = app.toggle(&u, &gym["id"]).await;
    assert_eq!(status, 200);
    app.create(
        &u,
        json!({"title": "Rent", "due_at": "2027-01-01", "recurrence": "monthly"}),
    )
    .await;

    let before = export(&app, &u).await;
    assert_eq!(before["tasks"].as_array().unwrap().len(), 8, "{before}");
    assert_eq!(
        parent_title(&before, task(&before, "Figures")),
        Some("Draft")
    );
    assert_eq!(task(&before, "Report")["list"], "Work");
    assert_eq!(task(&before, "Rent")["recurrence"], "monthly");
    assert!(before.get("conversations").is_none());

    // A dry run answers what would be created and writes nothing.
    let fresh = app.sign_up("import@example.com").await;
    let (status, dry) = import(
        &app,
        &fresh,
        "?dry_run=true",
        "application/json",
        before.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(
        (
            dry["dry_run"].as_bool(),
            dry["format"].as_str(),
            dry["tasks"].as_i64(),
            dry["subtasks"].as_i64()
        ),
        (Some(true), Some("todo-export"), Some(8), Some(3)),
        "{dry}"
    );
    let work_summary = dry["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Work")
        .unwrap();
    assert_eq!(
        (
            work_summary["new"].as_bool(),
            work_summary["tasks"].as_i64()
        ),
        (Some(true), Some(4))
    );
    assert_eq!(dry["sample"][0]["title"], "Gym", "{dry}");
    let empty = export(&app, &fresh).await;
    assert_eq!(
        (
            empty["tasks"].as_array().unwrap().len(),
            empty["lists"].as_array().unwrap().len()
        ),
        (0, 1)
    );

    let (status, done) = import(&app, &fresh, "", "application/json", before.to_string()).await;
    assert_eq!(
        (status, done["dry_run"].as_bool(), done["tasks"].as_i64()),
        (201, Some(false), Some(8)),
        "{done}"
    );
    assert_eq!(export(&app, &fresh).await, before);

    // Completing the imported recurring occurrence goes on with the series as the original would.
    let (_, fresh_tasks) = app.list(&fresh, "q=Gym&status=pending").await;
    let (_, next) = app.toggle(&fresh, &fresh_tasks[0]["id"]).await;
    assert_eq!(next["completed"], true, "{next}");
    let (_, after) = app.list(&fresh, "q=Gym&status=pending").await;
    assert_eq!(after.as_array().unwrap().len(), 1, "{after}");

    // The format is documented.
    let (_, api) = app.call(Method::GET, "/openapi.json", None, None).await;
    let import_body = &api["paths"]["/api/{user_id}/import"]["post"]["requestBody"]["content"];
    assert!(
        import_body["application/json"].is_object() && import_body["text/csv"].is_object(),
        "{import_body}"
    );
    assert!(api["paths"]["/api/{user_id}/export"]["get"]["responses"]["200"].is_object());
    let task_schema = &api["components"]["schemas"]["ExportTask"]["properties"];
    assert!(
        task_schema["ref"].is_object() && task_schema["parent"].is_object(),
        "{task_schema}"
    );

    // Conversations come on request.
    let (status, with) = app
        .send(&u, Method::GET, "/export?conversations=true", None)
        .await;
    assert_eq!(
        (status, with["conversations"].is_array()),
        (200, true),
        "{with}"
    );
}

async fn set_time_zone(app: &TestApp, u: &TestUser, tz: &str) {
    let (status, body) = app
        .send(
            u,
            Method::PUT,
            "/settings",
            Some(json!({ "time_zone": tz })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The user's task called `title` as the API shows it, subtasks and completed ones included.
async fn api_task(app: &TestApp, u: &TestUser, title: &str) -> Value {
    let (status, tasks) = app.list(u, "include=subtasks&limit=100").await;
    assert_eq!(status, 200, "{tasks}");
    tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == title)
        .unwrap_or_else(|| panic!("no task {title:?} in {tasks}"))
        .clone()
}

/// A task's reminders as (rule, fire_at, done).
fn reminders(task: &Value) -> Vec<(Value, Value, bool)> {
    task["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut rule = r.clone();
            let rule_fields = rule.as_object_mut().unwrap();
            rule_fields.retain(|k, _| ["at", "before", "time"].contains(&k.as_str()));
            (rule, r["fire_at"].clone(), r["done"].as_bool().unwrap())
        })
        .collect()
}

async fn reminders_travel_with_the_export_and_past_ones_stay_quiet(app: TestApp) {
    let u = app.sign_up("remind-export@example.com").await;
    set_time_zone(&app, &u, "Europe/Berlin").await;
    app.create(
        &u,
        json!({"title": "Report", "due_at": "2027-01-15T09:00:00Z", "reminders": [
            {"before": "PT30M"}, {"before": "P1D", "time": "09:00"}, {"at": "2027-01-14T12:00:00Z"}]}),
    )
    .await;
    // Gone off long ago, and cancelled by completion: both done, as the API keeps them.
    app.create(
        &u,
        json!({"title": "Old", "due_at": "2020-03-01T10:00:00Z", "reminders": [{"before": "PT1H"}]}),
    )
    .await;
    app.create(
        &u,
        json!({"title": "Filed", "completed": true, "due_at": "2027-02-01T10:00:00Z",
            "reminders": [{"before": "PT10M"}]}),
    )
    .await;
    // A relative reminder stays when its task's due time is cleared.
    let someday = app
        .create(
            &u,
            json!({"title": "Someday", "due_at": "2027-03-01T10:00:00Z", "reminders": [{"before": "PT2H"}]}),
        )
        .await;
    let (status, _) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", someday["id"]),
            Some(json!({"due_at": null})),
        )
        .await;
    assert_eq!(status, 200);

    let before = export(&app, &u).await;
    // The document holds the rules as the API takes them: no ids, firing times or done flags.
    assert_eq!(
        task(&before, "Report")["reminders"],
        json!([{"before": "PT30M"}, {"before": "P1D", "time": "09:00"}, {"at": "2027-01-14T12:00:00Z"}])
    );
    assert_eq!(
        task(&before, "Someday")["reminders"],
        json!([{"before": "PT2H"}])
    );

    // Imported by someone in another time zone: "the day before at 9" is their 9 o'clock.
    let fresh = app.sign_up("remind-import@example.com").await;
    set_time_zone(&app, &fresh, "America/New_York").await;
    let (status, dry) = import(
        &app,
        &fresh,
        "?dry_run=true",
        "application/json",
        before.to_string(),
    )
    .await;
    assert_eq!((status, dry["reminders"].as_i64()), (200, Some(6)), "{dry}");
    let (status, done) = import(&app, &fresh, "", "application/json", before.to_string()).await;
    assert_eq!(
        (status, done["reminders"].as_i64()),
        (201, Some(6)),
        "{done}"
    );
    assert_eq!(export(&app, &fresh).await, before);

    let report = api_task(&app, &fresh, "Report").await;
    assert_eq!(
        reminders(&report),
        [
            (
                json!({"before": "PT30M"}),
                json!("2027-01-15T08:30:00Z"),
                false
            ),
            (
                json!({"before": "P1D", "time": "09:00"}),
                json!("2027-01-14T14:00:00Z"),
                false
            ),
            (
                json!({"at": "2027-01-14T12:00:00Z"}),
                json!("2027-01-14T12:00:00Z"),
                false
            ),
        ]
    );
    assert_eq!(
        reminders(&api_task(&app, &fresh, "Old").await),
        [(
            json!({"before": "PT1H"}),
            json!("2020-03-01T09:00:00Z"),
            true
        )]
    );
    assert_eq!(
        reminders(&api_task(&app, &fresh, "Filed").await),
        [(
            json!({"before": "PT10M"}),
            json!("2027-02-01T09:50:00Z"),
            true
        )]
    );
    assert_eq!(
        reminders(&api_task(&app, &fresh, "Someday").await),
        [(json!({"before": "PT2H"}), Value::Null, false)]
    );

    // The relative ones are relative still: they follow a new due time.
    let (status, moved) = app
        .send(
            &fresh,
            Method::PUT,
            &format!("/tasks/{}", report["id"]),
            Some(json!({"due_at": "2027-01-20T09:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let fire: Vec<Value> = reminders(&moved).into_iter().map(|r| r.1).collect();
    assert_eq!(
        fire,
        [
            json!("2027-01-20T08:30:00Z"),
            json!("2027-01-19T14:00:00Z"),
            json!("2027-01-14T12:00:00Z")
        ]
    );

    // Nothing imported was due to be told: the scheduler (woken by the import) tells nobody.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (status, told) = app.send(&fresh, Method::GET, "/notifications", None).await;
    assert_eq!((status, told["unread"].as_i64()), (200, Some(0)), "{told}");

    // A bad reminder is a row error naming its field, and nothing is written.
    let other = app.sign_up("remind-bad@example.com").await;
    let bad = json!({"format": "todo-export", "version": 1, "tasks": [
        {"title": "Fine", "reminders": [{"at": "2027-01-01T09:00:00Z"}]},
        {"title": "Bad", "due_at": "2027-01-01T09:00:00Z", "reminders": [{"before": "PT30M"}, {"before": "half an hour"}]}]});
    for query in ["?dry_run=true", ""] {
        let (status, e) = import(&app, &other, query, "application/json", bad.to_string()).await;
        assert_eq!(status, 422, "{e}");
        let fields = e["error"]["fields"].as_object().unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["tasks[1].reminders[1].before"],
            "{e}"
        );
    }
    assert_eq!(export(&app, &other).await["tasks"], json!([]));
}

const TODOIST: &str = "\
TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE
task,Write report @work,Quarterly,1,1,Sam (1),,Jan 15 2027 9am,en,Europe/Berlin
task,Draft,,4,2,Sam (1),,,en,Europe/Berlin
task,Check figures,,2,3,Sam (1),,,en,Europe/Berlin
note,Use the new sheet,,,,Sam (1),,,,
task,Review,,3,2,Sam (1),,every! 3 days,en,Europe/Berlin

section,Errands,,,,,,,,
task,Water the plants,,4,1,Sam (1),,every other monday at 8am,en,Europe/Berlin
task,Pay rent,,4,1,Sam (1),,every 1st,en,
task,Groceries @home @errands,,4,1,Sam (1),,2027-02-01,en,
meta,view_style,list,,,,,,,
";

async fn todoist_csv_nests_by_indent_and_reads_recurring_dates(app: TestApp) {
    let u = app.sign_up("todoist@example.com").await;
    let (status, done) = import(&app, &u, "?list=Project", "text/csv", TODOIST).await;
    assert_eq!(
        (
            status,
            done["format"].as_str(),
            done["tasks"].as_i64(),
            done["subtasks"].as_i64()
        ),
        (201, Some("todoist-csv"), Some(7), Some(3)),
        "{done}"
    );
    let doc = export(&app, &u).await;
    let names: Vec<&str> = doc["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Inbox", "Project", "Errands"]);

    let report = task(&doc, "Write report");
    assert_eq!(
        (
            report["list"].as_str(),
            report["priority"].as_str(),
            report["tags"].clone()
        ),
        (Some("Project"), Some("high"), json!(["work"]))
    );
    // 9am in Berlin's winter is 8am UTC.
    assert_eq!(report["due_at"], "2027-01-15T08:00:00Z");
    assert_eq!(
        parent_title(&doc, task(&doc, "Draft")),
        Some("Write report")
    );
    let figures = task(&doc, "Check figures");
    assert_eq!(parent_title(&doc, figures), Some("Draft"));
    assert_eq!(
        (
            figures["priority"].as_str(),
            figures["description"].as_str()
        ),
        (Some("medium"), Some("Use the new sheet"))
    );
    let review = task(&doc, "Review");
    assert_eq!(parent_title(&doc, review), Some("Write report"));
    assert_eq!(
        (
            review["recurrence"].as_str(),
            review["repeat_from"].as_str(),
            review["priority"].as_str()
        ),
        (
            Some("FREQ=DAILY;INTERVAL=3"),
            Some("completion"),
            Some("low")
        )
    );

    let plants = task(&doc, "Water the plants");
    assert_eq!(
        (plants["list"].as_str(), plants["recurrence"].as_str()),
        (Some("Errands"), Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"))
    );
    let due: chrono::DateTime<chrono::Utc> = plants["due_at"].as_str().unwrap().parse().unwrap();
    let local = due.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.format("%a %H:%M").to_string(), "Mon 08:00");
    assert_eq!(
        task(&doc, "Pay rent")["recurrence"],
        "FREQ=MONTHLY;BYMONTHDAY=1"
    );
    let groceries = task(&doc, "Groceries");
    assert_eq!(
        (groceries["tags"].clone(), groceries["due_at"].as_str()),
        (json!(["home", "errands"]), Some("2027-02-01T00:00:00Z"))
    );

    // Importing it again reuses the lists by name.
    let (status, again) = import(&app, &u, "?list=project&dry_run=true", "text/csv", TODOIST).await;
    assert_eq!(status, 200, "{again}");
    assert!(
        again["lists"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["new"] == false),
        "{again}"
    );

    // A bad INDENT or DATE names the row (the header is row 1) and the column.
    let bad = TODOIST.replace("task,Check figures,,2,3", "task,Check figures,,2,4");
    let (status, e) = import(&app, &u, "", "text/csv", bad).await;
    assert_eq!(
        (status, e["error"]["fields"]["rows[4].INDENT"].is_string()),
        (422, true),
        "{e}"
    );
    let bad = TODOIST.replace("every 1st", "every blue moon");
    let (status, e) = import(&app, &u, "", "text/csv", bad).await;
    assert_eq!(
        (status, e["error"]["fields"]["rows[10].DATE"].is_string()),
        (422, true),
        "{e}"
    );
    assert_eq!(export(&app, &u).await, doc);
}

async fn plain_csv_creates_lists_and_bad_rows_write_nothing(app: TestApp) {
    let u = app.sign_up("plain@example.com").await;
    let csv = "Title,Description,Due,Priority,Tags,List,Completed,Ignored\n\
        Buy milk,,tomorrow 5pm,high,home errands,Groceries,,x\n\
        \"Call Sam, then Alex\",\"Line one\nline two\",2027-03-01,low,,work,yes,\n\
        Stretch,,every weekday at 7am,,#health,,,\n";
    let (status, done) = import(&app, &u, "", "text/csv; charset=utf-8", csv).await;
    assert_eq!(
        (status, done["format"].as_str(), done["tasks"].as_i64()),
        (201, Some("csv"), Some(3)),
        "{done}"
    );
    let doc = export(&app, &u).await;
    let milk = task(&doc, "Buy milk");
    assert_eq!(
        (
            milk["list"].as_str(),
            milk["priority"].as_str(),
            milk["tags"].clone()
        ),
        (Some("Groceries"), Some("high"), json!(["home", "errands"]))
    );
    assert!(milk["due_at"].is_string());
    let call = task(&doc, "Call Sam, then Alex");
    assert_eq!(
        (
            call["list"].as_str(),
            call["completed"].as_bool(),
            call["description"].as_str()
        ),
        (Some("work"), Some(true), Some("Line one\nline two"))
    );
    let stretch = task(&doc, "Stretch");
    assert_eq!(
        (
            stretch["list"].as_str(),
            stretch["recurrence"].as_str(),
            stretch["tags"].clone()
        ),
        (Some("Inbox"), Some("weekdays"), json!(["health"]))
    );

    // One bad row: 422 naming it and its field, and nothing of the file is written.
    for (file, field) in [
        (
            "title,due\nA,2027-01-01\nB,the day after never\n",
            "rows[3].due",
        ),
        ("title,priority\nA,urgent\n", "rows[2].priority"),
        ("title,completed\nA,maybe\n", "rows[2].completed"),
        ("title,tags\nA,ok bad!tag\n", "rows[2].tags"),
        ("title,list\n,Groceries\n", "rows[2].title"),
        ("name,due\nA,2027-01-01\n", "rows[1]"),
    ] {
        let (status, e) = import(&app, &u, "", "text/csv", file).await;
        assert_eq!(
            (status, e["error"]["fields"][field].is_string()),
            (422, true),
            "{file}: {e}"
        );
    }
    for (body, field) in [
        (
            json!({"format": "todo-export", "version": 1, "tasks": [{"title": "ok"}, {"title": " "}]}),
            "tasks[1].title",
        ),
        (
            json!({"format": "todo-export", "version": 1, "tasks": [{"title": "a", "due_at": "soon"}]}),
            "tasks[0].due_at",
        ),
        (
            json!({"format": "todo-export", "version": 1, "tasks": [{"title": "a", "parent": 9}]}),
            "tasks[0].parent",
        ),
        (
            json!({"format": "todo-export", "version": 1, "tasks": [{"ref": 1, "parent": 2, "title": "a"}, {"ref": 2, "parent": 1, "title": "b"}]}),
            "tasks[0].parent",
        ),
        (
            json!({"format": "todo-export", "version": 2, "tasks": []}),
            "version",
        ),
        (json!({"format": "other", "version": 1}), "format"),
        (
            json!({"format": "todo-export", "version": 1, "lists": [{"name": "A"}, {"name": "a"}]}),
            "lists[1].name",
        ),
    ] {
        let (status, e) = import(&app, &u, "", "application/json", body.to_string()).await;
        assert_eq!(
            (status, e["error"]["fields"][field].is_string()),
            (422, true),
            "{body}: {e}"
        );
    }
    let (status, e) = import(&app, &u, "", "application/json", "{\"format\": ").await;
    assert_eq!(
        (status, e["error"]["fields"]["file"].is_string()),
        (422, true),
        "{e}"
    );
    assert_eq!(export(&app, &u).await, doc);

    // A hand-written document: nesting by ref, lists by name, created when missing.
    let body = json!({"format": "todo-export", "version": 1, "tasks": [
        {"ref": 2, "parent": 1, "title": "Child"},
        {"ref": 1, "title": "Parent", "list": "groceries"},
    ]});
    let (status, done) = import(&app, &u, "", "application/json", body.to_string()).await;
    assert_eq!(
        (status, done["subtasks"].as_i64()),
        (201, Some(1)),
        "{done}"
    );
    let doc = export(&app, &u).await;
    assert_eq!(
        (
            task(&doc, "Child")["list"].as_str(),
            parent_title(&doc, task(&doc, "Child"))
        ),
        (Some("Groceries"), Some("Parent"))
    );
}

async fn imports_are_bounded_and_stay_with_their_user(app: TestApp) {
    let u = app.sign_up("bounds@example.com").await;
    let other = app.sign_up("bounds-other@example.com").await;
    let (_, theirs) = app
        .send(
            &other,
            Method::POST,
            "/lists",
            Some(json!({"name": "Work"})),
        )
        .await;

    // Over 10 MiB: 413; over 20,000 tasks: 422; nothing written either way.
    let big = format!("title\n{}", "x\n".repeat(5_300_000));
    let (status, e) = import(&app, &u, "", "text/csv", big).await;
    assert_eq!(status, 413, "{e}");
    let many = format!("title\n{}", "t\n".repeat(20_001));
    let (status, e) = import(&app, &u, "", "text/csv", many).await;
    assert_eq!(
        (status, e["error"]["fields"]["rows"].is_string()),
        (422, true),
        "{e}"
    );
    assert_eq!(export(&app, &u).await["tasks"], json!([]));

    // Another user's import and export are refused; an import uses the caller's lists only.
    let path = format!("/api/{}/import", other.id);
    let r = app
        .request(Method::POST, &path, Some(&u.jwt))
        .header(CONTENT_TYPE, "text/csv")
        .body("title\nx\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/export", other.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(Method::GET, &format!("/api/{}/export", u.id), None, None)
        .await;
    assert_eq!(status, 401);
    let (status, done) = import(&app, &u, "", "text/csv", "title,list\nMine,Work\n").await;
    assert_eq!(
        (status, done["lists"][0]["new"].as_bool()),
        (201, Some(true)),
        "{done}"
    );
    let (_, work) = app
        .send(
            &other,
            Method::GET,
            &format!("/lists/{}", theirs["id"]),
            None,
        )
        .await;
    assert_eq!(work["total_tasks"], 0, "{work}");
    assert_eq!(export(&app, &other).await["tasks"], json!([]));
}

/// `todo export` and `todo import` on the database a running server uses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_exports_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("todo.db").display());
    let app = TestApp::spawn_on(url.clone(), None, &[]).await;
    let u = app.sign_up("cli@example.com").await;
    let fresh = app.sign_up("cli-fresh@example.com").await;
    let parent = app
        .create(
            &u,
            json!({"title": "Parent", "recurrence": "weekly", "due_at": "2027-01-04"}),
        )
        .await;
    app.create(&u, json!({"title": "Child", "parent_id": parent["id"]}))
        .await;

    let file = dir.path().join("export.json");
    let run = |args: &[&str]| {
        let out = crate::process::todo(dir.path())
            .args(args)
            .args(["--database-url", &url])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&[
        "export",
        "--user",
        "cli@example.com",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let mut api = export(&app, &u).await;
    let mut cli = written.clone();
    cli.as_object_mut().unwrap().remove("exported_at");
    api.as_object_mut().unwrap().remove("exported_at");
    assert_eq!(cli, api);
    // To standard output, with the logs kept on standard error.
    let (code, out, _) = run(&["export", "--user", "cli@example.com"]);
    assert_eq!(
        (
            code,
            serde_json::from_str::<Value>(&out).unwrap()["tasks"].clone()
        ),
        (Some(0), written["tasks"].clone())
    );

    let path = file.to_str().unwrap();
    let (code, out, err) = run(&[
        "import",
        "--user",
        "cli-fresh@example.com",
        path,
        "--dry-run",
    ]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), "Would import 2 tasks (1 subtask) into Inbox (2)"),
        "{err}"
    );
    assert_eq!(export(&app, &fresh).await["tasks"], json!([]));
    let (code, out, err) = run(&["import", "--user", "cli-fresh@example.com", path]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), "Imported 2 tasks (1 subtask) into Inbox (2)"),
        "{err}"
    );
    assert_eq!(export(&app, &fresh).await["tasks"], api["tasks"]);

    // Errors are one line naming the row and field, or the unknown user.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "title,due\nA,whenever\n").unwrap();
    let (code, _, err) = run(&[
        "import",
        "--user",
        "cli-fresh@example.com",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("rows[2].due"), "{err}");
    let (code, _, err) = run(&["export", "--user", "nobody@example.com"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no user with email nobody@example.com"),
        "{err}"
    );
}
