//! The calendar feed through real HTTP on both databases, read back by independent parsers (Python's
//! `icalendar` and `recurring_ical_events`): its recurring tasks expand to the dates the API itself
//! moves them to, across a DST change in a non-UTC zone; the feed link is a revocable credential.

use std::path::PathBuf;

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{database, Db, TestApp, TestUser};

on_both_databases!(
    the_feed_parses_and_its_series_match_the_apis_occurrences,
    events_mode_and_bad_queries,
    the_feed_is_cacheable_by_etag,
    links_are_secret_revocable_and_per_user,
    reminders_become_alarms,
);

/// The Python with `icalendar` and `recurring_ical_events`: `MCP_PYTHON`, else the venv `.ci/run`
/// installs them in. Outside CI a machine without them skips the parse checks; under `CI=true` that fails.
fn python() -> Option<PathBuf> {
    let path = std::env::var_os("MCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tools/venv-mcp/bin/python"));
    let ok = std::process::Command::new(&path)
        .args(["-c", "import icalendar, recurring_ical_events"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but no icalendar/recurring_ical_events at {}: run .ci/run or set MCP_PYTHON",
        path.display()
    );
    ok.then_some(path)
}

/// What the independent parsers read in `ics`, expanding series between `from` and `to`.
fn parse(ics: &str, from: &str, to: &str) -> Option<Value> {
    let python = python()?;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), ics).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/ics_check.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(file.path())
        .args([from, to])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the parser refused the feed: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

async fn new_link(app: &TestApp, u: &TestUser) -> String {
    let (status, body) = app.send(u, Method::POST, "/calendar-token", None).await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    let token = url
        .rsplit('/')
        .next()
        .unwrap()
        .strip_suffix(".ics")
        .unwrap();
    assert_eq!(token.len(), 43, "256 bits, base64url: {url}");
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    url
}

/// GET a feed URL: status, ETag and body.
async fn fetch(app: &TestApp, url: &str) -> (u16, Option<String>, String) {
    let r = app.client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get(ETAG)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, etag, r.text().await.unwrap())
}

async fn feed(app: &TestApp, url: &str) -> String {
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    let ct = r.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let cache = r.headers()[CACHE_CONTROL].to_str().unwrap().to_owned();
    assert!(
        cache.contains("private") && cache.contains("max-age"),
        "{cache}"
    );
    r.text().await.unwrap()
}

async fn set_zone(app: &TestApp, u: &TestUser, zone: &str) {
    let (status, body) = app
        .send(
            u,
            Method::PUT,
            "/settings",
            Some(json!({"time_zone": zone})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The open task titled `title`: the current one of its series.
async fn open_task(app: &TestApp, u: &TestUser, title: &str) -> Option<Value> {
    let (_, tasks) = app.list(u, "status=pending&sort=due&limit=200").await;
    tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == title)
        .cloned()
}

/// The due dates the API gives a series: the current task's, then each next one's as it is completed,
/// while they fall before `until`. Ends with the series' current task still open.
async fn api_occurrences(app: &TestApp, u: &TestUser, title: &str, until: &str) -> Vec<String> {
    let mut dues = Vec::new();
    while let Some(task) = open_task(app, u, title).await {
        let due = task["due_at"].as_str().unwrap().to_owned();
        if due.as_str() >= until {
            break;
        }
        dues.push(due);
        let (status, _) = app.toggle(u, &task["id"]).await;
        assert_eq!(status, 200);
    }
    dues
}

fn component<'a>(parsed: &'a Value, uid_prefix: &str) -> &'a Value {
    parsed["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["uid"].as_str().unwrap().starts_with(uid_prefix))
        .unwrap_or_else(|| panic!("no {uid_prefix} in {parsed}"))
}

/// The dates the parser expanded the component of `task` to.
fn occurrences<'a>(parsed: &'a Value, task: &Value) -> &'a Value {
    let prefix = uid_of(task);
    parsed["occurrences"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(uid, _)| uid.starts_with(&prefix))
        .map_or(&Value::Null, |(_, dates)| dates)
}

fn uid_of(task: &Value) -> String {
    format!("task-{}@", task["id"])
}

async fn the_feed_parses_and_its_series_match_the_apis_occurrences(app: TestApp) {
    let u = app.sign_up("cal-series@example.com").await;
    set_zone(&app, &u, "Europe/Berlin").await;
    let (_, list) = app
        .send(
            &u,
            Method::POST,
            "/lists",
            Some(json!({"name": "Errands, home"})),
        )
        .await;
    // Mondays and Thursdays at 09:00 in Berlin: 08:00 UTC in winter, 07:00 UTC in summer.
    let sync = app
        .create(
            &u,
            json!({"title": "Team sync; notes, agenda", "description": "Room 4\nbring the \\ slides, too",
                   "due_at": "2027-01-04T08:00:00Z", "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH",
                   "priority": "high", "tags": ["work"], "list_id": list["id"]}),
        )
        .await;
    // The 31st: the months without one keep to their last day.
    let rent = app
        .create(
            &u,
            json!({"title": "Rent", "due_at": "2027-01-31T17:00:00Z", "recurrence": "monthly", "priority": "low"}),
        )
        .await;
    // Ten times, from the first; three are done below before the feed is read again.
    let course = app
        .create(
            &u,
            json!({"title": "Course", "due_at": "2027-03-01T18:30:00Z", "recurrence": "FREQ=WEEKLY;COUNT=10"}),
        )
        .await;
    let done = app
        .create(
            &u,
            json!({"title": "Filed taxes", "due_at": "2027-01-10T10:00:00Z", "completed": true}),
        )
        .await;
    app.create(&u, json!({"title": "Someday, no date"})).await;

    let url = new_link(&app, &u).await;
    let ics = feed(&app, &url).await;
    let (from, to) = ("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    let Some(parsed) = parse(&ics, from, to) else {
        return;
    };
    assert_eq!(parsed["version"], "2.0");
    assert_eq!(parsed["zones"], json!(["Europe/Berlin"]));
    assert_eq!(
        parsed["zone_mismatches"],
        json!([]),
        "the VTIMEZONE's own offsets"
    );
    let components = parsed["components"].as_array().unwrap();
    assert_eq!(
        components.len(),
        4,
        "the undated task is left out: {parsed}"
    );
    assert!(components.iter().all(|c| c["kind"] == "VTODO"));

    let c = component(&parsed, &uid_of(&sync));
    assert_eq!(c["summary"], "Team sync; notes, agenda");
    assert_eq!(c["description"], "Room 4\nbring the \\ slides, too");
    assert_eq!(c["categories"], json!(["Errands, home", "work"]));
    assert_eq!(c["priority"], 1);
    assert_eq!(c["status"], "NEEDS-ACTION");
    assert_eq!(c["tzid"], "Europe/Berlin");
    assert_eq!(c["dtstart"], "2027-01-04T08:00:00Z");
    assert_eq!(c["due"], "2027-01-04T08:00:00Z");
    let d = component(&parsed, &uid_of(&done));
    assert_eq!(d["status"], "COMPLETED");
    assert!(d["completed"].is_string(), "{d}");
    assert_eq!(d["rrule"], Value::Null);
    assert_eq!(component(&parsed, &uid_of(&rent))["priority"], 9);

    // The API's own dates for a year: complete each task of the series as it comes up.
    let expected = api_occurrences(&app, &u, "Team sync; notes, agenda", to).await;
    assert_eq!(expected.len(), 104, "two a week for a year: {expected:?}");
    // Both sides of the DST changes (28 March, 31 October 2027) are in it.
    assert!(expected.contains(&"2027-03-25T08:00:00Z".to_owned()));
    assert!(expected.contains(&"2027-03-29T07:00:00Z".to_owned()));
    assert!(expected.contains(&"2027-11-01T08:00:00Z".to_owned()));
    assert_eq!(*occurrences(&parsed, &sync), json!(expected));
    let expected = api_occurrences(&app, &u, "Rent", to).await;
    assert_eq!(expected.len(), 12);
    assert!(expected.contains(&"2027-02-28T17:00:00Z".to_owned()));
    assert!(expected.contains(&"2027-03-31T16:00:00Z".to_owned()));
    assert_eq!(*occurrences(&parsed, &rent), json!(expected));

    // Three of the course's ten done: the feed now holds the rest, from the current task on.
    for _ in 0..3 {
        let t = open_task(&app, &u, "Course").await.unwrap();
        app.toggle(&u, &t["id"]).await;
    }
    let current = open_task(&app, &u, "Course").await.unwrap();
    let ics = feed(&app, &url).await;
    let parsed = parse(&ics, from, to).unwrap();
    let expected = api_occurrences(&app, &u, "Course", to).await;
    assert_eq!(expected.len(), 7, "{expected:?}");
    assert_eq!(*occurrences(&parsed, &current), json!(expected));
    assert_eq!(
        occurrences(&parsed, &course).as_array().map(Vec::len),
        Some(1),
        "the done first one alone"
    );
}

async fn events_mode_and_bad_queries(app: TestApp) {
    let u = app.sign_up("cal-events@example.com").await;
    set_zone(&app, &u, "America/New_York").await;
    let open = app
        .create(&u, json!({"title": "Dentist", "due_at": "2027-03-10T15:00:00Z", "recurrence": "FREQ=MONTHLY;BYDAY=2WE"}))
        .await;
    let done = app
        .create(
            &u,
            json!({"title": "Done thing", "due_at": "2027-01-10T15:00:00Z", "completed": true}),
        )
        .await;
    let url = new_link(&app, &u).await;
    let ics = feed(&app, &format!("{url}?as=events")).await;
    assert!(
        ics.contains("BEGIN:VEVENT") && !ics.contains("BEGIN:VTODO"),
        "{ics}"
    );
    let todos = feed(&app, &format!("{url}?as=todos")).await;
    assert_eq!(todos, feed(&app, &url).await, "todos is the default");
    if let Some(parsed) = parse(&ics, "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z") {
        let components = parsed["components"].as_array().unwrap();
        assert_eq!(components.len(), 1, "done tasks are not events: {parsed}");
        assert_eq!(components[0]["kind"], "VEVENT");
        assert!(!ics.contains(&uid_of(&done)));
        // Second Wednesdays at 10:00 in New York, EST then EDT (from 14 March 2027).
        assert_eq!(
            *occurrences(&parsed, &open),
            json!([
                "2027-03-10T15:00:00Z",
                "2027-04-14T14:00:00Z",
                "2027-05-12T14:00:00Z",
                "2027-06-09T14:00:00Z"
            ])
        );
        assert_eq!(parsed["zone_mismatches"], json!([]));
    }
    let r = app
        .client
        .get(format!("{url}?as=journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["fields"]["as"].is_string(), "{body}");
}

async fn the_feed_is_cacheable_by_etag(app: TestApp) {
    let u = app.sign_up("cal-etag@example.com").await;
    let t = app
        .create(
            &u,
            json!({"title": "Water plants", "due_at": "2027-05-01T07:00:00Z"}),
        )
        .await;
    let url = new_link(&app, &u).await;
    let (status, etag, body) = fetch(&app, &url).await;
    assert_eq!(status, 200);
    let etag = etag.expect("an ETag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );
    let (_, again, same) = fetch(&app, &url).await;
    assert_eq!(
        (again.as_deref(), same.as_str()),
        (Some(etag.as_str()), body.as_str()),
        "stable while nothing changes"
    );

    let r = app
        .client
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()[ETAG].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().is_empty());

    let (status, _) = app
        .send(
            &u,
            Method::PUT,
            &format!("/tasks/{}", t["id"]),
            Some(json!({"title": "Water the plants"})),
        )
        .await;
    assert_eq!(status, 200);
    let r = app
        .client
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a change makes a new version");
    assert_ne!(r.headers()[ETAG].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().contains("SUMMARY:Water the plants"));
}

async fn links_are_secret_revocable_and_per_user(app: TestApp) {
    let a = app.sign_up("cal-a@example.com").await;
    let b = app.sign_up("cal-b@example.com").await;
    app.create(
        &a,
        json!({"title": "Alpha secret", "due_at": "2027-02-01T09:00:00Z"}),
    )
    .await;
    app.create(
        &b,
        json!({"title": "Bravo task", "due_at": "2027-02-02T09:00:00Z"}),
    )
    .await;

    let (status, none) = app.send(&a, Method::GET, "/calendar-token", None).await;
    assert_eq!((status, none["active"].clone()), (200, json!(false)));
    let first = new_link(&app, &a).await;
    let (_, active) = app.send(&a, Method::GET, "/calendar-token", None).await;
    assert_eq!(active["active"], true);
    assert!(active["created_at"].is_string());
    assert!(
        !active
            .to_string()
            .contains(first.rsplit('/').next().unwrap()),
        "shown once only"
    );
    assert!(feed(&app, &first).await.contains("Alpha secret"));

    // A new link revokes the old one.
    let second = new_link(&app, &a).await;
    assert_ne!(first, second);
    let (status, _, body) = fetch(&app, &first).await;
    assert_eq!(status, 404, "{body}");
    assert!(feed(&app, &second).await.contains("Alpha secret"));

    // Each user's link shows their own tasks only.
    let bs = new_link(&app, &b).await;
    let theirs = feed(&app, &bs).await;
    assert!(
        theirs.contains("Bravo task") && !theirs.contains("Alpha"),
        "{theirs}"
    );
    let mine = feed(&app, &second).await;
    assert!(!mine.contains("Bravo"), "{mine}");

    // Nobody makes or revokes another user's link, nor without signing in.
    let path = format!("/api/{}/calendar-token", a.id);
    let (status, _) = app.call(Method::POST, &path, Some(&b.jwt), None).await;
    assert_eq!(status, 403);
    let (status, _) = app.call(Method::DELETE, &path, Some(&b.jwt), None).await;
    assert_eq!(status, 403);
    let (status, _) = app.call(Method::POST, &path, None, None).await;
    assert_eq!(status, 401);
    assert!(feed(&app, &second).await.contains("Alpha secret"));

    // Unknown, malformed and revoked links all look alike: 404.
    let unknown = format!("{}/calendar/{}.ics", app.base, "A".repeat(43));
    let lookalikes = [
        unknown,
        app.url("/calendar/short.ics"),
        second.trim_end_matches(".ics").to_owned(),
        second.replace(".ics", ".ics.ics"),
    ];
    for url in &lookalikes {
        let (status, _, body) = fetch(&app, url).await;
        assert_eq!(status, 404, "{url}: {body}");
    }
    let (status, _) = app.send(&a, Method::DELETE, "/calendar-token", None).await;
    assert_eq!(status, 204);
    let (status, _, _) = fetch(&app, &second).await;
    assert_eq!(status, 404);
    let (_, inactive) = app.send(&a, Method::GET, "/calendar-token", None).await;
    assert_eq!(inactive["active"], false);
    assert!(
        feed(&app, &bs).await.contains("Bravo task"),
        "b's link is untouched"
    );
}

async fn reminders_become_alarms(app: TestApp) {
    let u = app.sign_up("cal-alarms@example.com").await;
    set_zone(&app, &u, "Europe/Berlin").await;
    let once = app
        .create(
            &u,
            json!({"title": "Call the bank", "due_at": "2027-02-10T16:00:00Z", "reminders": [
                {"before": "PT30M"}, {"at": "2027-02-09T17:00:00Z"}, {"before": "P1D", "time": "09:00"}]}),
        )
        .await;
    let weekly = app
        .create(
            &u,
            json!({"title": "Standup", "due_at": "2027-03-01T08:00:00Z", "recurrence": "weekly",
                   "reminders": [{"before": "PT15M"}, {"at": "2027-03-01T07:00:00Z"}]}),
        )
        .await;
    let done = app
        .create(
            &u,
            json!({"title": "Done already", "due_at": "2027-02-11T16:00:00Z", "reminders": [{"before": "PT10M"}]}),
        )
        .await;
    app.toggle(&u, &done["id"]).await;
    let url = new_link(&app, &u).await;
    for kind in ["todos", "events"] {
        let ics = feed(&app, &format!("{url}?as={kind}")).await;
        let Some(parsed) = parse(&ics, "2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z") else {
            return;
        };
        let alarms = |task: &Value| component(&parsed, &uid_of(task))["alarms"].clone();
        // Relative to the due time (DTSTART): 30 minutes before; the rest at their instants
        // ("1 day before at 09:00" in Berlin is 08:00 UTC the day before).
        let triggers: Vec<(Value, Value)> = alarms(&once)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["action"], "DISPLAY", "{a}");
                (a["trigger"].clone(), a["value"].clone())
            })
            .collect();
        assert_eq!(
            triggers,
            [
                (json!("-PT30M"), Value::Null),
                (json!("20270209T170000Z"), json!("DATE-TIME")),
                (json!("20270209T080000Z"), json!("DATE-TIME")),
            ],
            "{kind}: {ics}"
        );
        // A series' alarms move with each occurrence: durations, the absolute one as its distance.
        let series: Vec<Value> = alarms(&weekly)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["trigger"].clone())
            .collect();
        assert_eq!(series, [json!("-PT15M"), json!("-PT1H")], "{kind}");
        if kind == "todos" {
            assert_eq!(alarms(&done), json!([]), "a done task alarms nobody");
        }
    }
}

/// A database filled through the schema before the calendar migration (whichever migrations precede
/// it) upgrades, and its tasks appear in a feed made afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_schema_migrates_with_its_data() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some((url, dir)) = database(db).await else {
            continue;
        };
        let kind = match db {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        };
        let migrator = crate::support::migrations_before(db, "20261201000010").await;
        let list =
            "INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at) \
                    VALUES ('external-c', 'Inbox', 'inbox', 0, TRUE, 1, 1) RETURNING id";
        let task = "INSERT INTO tasks (user_id, title, completed, priority, tags, due_at, recurrence, created_at, \
                    updated_at, title_key, search_text, list_id) \
                    VALUES ('external-c', 'Old rent', FALSE, 3, '[\"home\"]', 1798790400000, 'FREQ=MONTHLY', 1, 1, 'old rent', 'old rent', $1)";
        macro_rules! fill {
            ($pool:expr) => {{
                let pool = $pool;
                migrator.run(&pool).await.unwrap();
                let (inbox,): (i64,) = sqlx::query_as(list).fetch_one(&pool).await.unwrap();
                sqlx::query(task).bind(inbox).execute(&pool).await.unwrap();
                pool.close().await;
            }};
        }
        match db {
            Db::Sqlite => fill!(sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap()),
            Db::Postgres => fill!(sqlx::PgPool::connect(&url).await.unwrap()),
        }
        if let Some(dir) = &dir {
            use std::os::unix::fs::PermissionsExt;
            for f in std::fs::read_dir(dir.path()).unwrap() {
                let path = f.unwrap().path();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
        }
        let app = TestApp::spawn_on(url, dir, &[]).await;
        let c = TestUser {
            id: "external-c".into(),
            session: String::new(),
            jwt: crate::support::hs256("external-c", json!({})),
        };
        let link = new_link(&app, &c).await;
        let ics = feed(&app, &link).await;
        assert!(ics.contains("SUMMARY:Old rent"), "{kind}: {ics}");
        assert!(ics.contains("RRULE:FREQ=MONTHLY"), "{kind}: {ics}");
        assert!(ics.contains("CATEGORIES:Inbox,home"), "{kind}: {ics}");
    }
}
