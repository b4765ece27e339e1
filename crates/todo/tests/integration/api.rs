//! The task API on both databases: every route's happy path, filters, sorting, pagination, recurrence,
//! isolation between users, and each client error.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{hs256, TestApp};

on_both_databases!(
    unicode_titles_sort_search_and_page_alike,
    probes_and_openapi,
    task_lifecycle,
    filters_and_sorting,
    pagination_is_stable_under_concurrent_inserts,
    recurring_tasks_roll_forward,
    users_are_isolated,
    client_errors_are_clear,
);

async fn unicode_titles_sort_search_and_page_alike(app: TestApp) {
    let u = app.sign_up("unicode@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    for title in ["Émile", "ézra", "Éclair", "ΟΔΟΣ", "zebra", "Apple"] {
        app.create(&u, json!({ "title": title })).await;
    }
    // One task per page: every title once, in case-insensitive order, in both directions.
    let up = walk(&app, &base, &u.jwt, "sort=title&limit=1").await;
    assert_eq!(
        titles(&Value::Array(up.clone())),
        vec!["Apple", "zebra", "Éclair", "Émile", "ézra", "ΟΔΟΣ"]
    );
    let down = walk(&app, &base, &u.jwt, "sort=title&order=desc&limit=1").await;
    let mut reversed = titles(&Value::Array(down))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    reversed.reverse();
    assert_eq!(reversed, titles(&Value::Array(up)));
    // Search is Unicode case-insensitive on both databases.
    let (_, found) = app.list(&u, "q=%C3%89MILE").await;
    assert_eq!(titles(&found), vec!["Émile"]);
    let (_, found) = app.list(&u, "q=%CE%BF%CE%B4").await;
    assert_eq!(titles(&found), vec!["ΟΔΟΣ"]);

    // A hand-edited cursor (a value of the wrong type for its sort) is a 422, never a database error.
    use base64::Engine;
    let forge = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    for (sort, cursor) in [
        (
            "created",
            forge(json!({"s": "created", "o": "desc", "v": "abc", "i": 1})),
        ),
        (
            "title",
            forge(json!({"s": "title", "o": "asc", "v": 5, "i": 1})),
        ),
        (
            "priority",
            forge(json!({"s": "priority", "o": "desc", "v": 65539, "i": 1})),
        ),
    ] {
        let (status, body) = app.list(&u, &format!("sort={sort}&cursor={cursor}")).await;
        assert_eq!(
            (status, body["error"]["fields"]["cursor"].is_string()),
            (422, true),
            "{sort}: {body}"
        );
    }

    // Unknown routes and methods answer in the same JSON error shape.
    let (status, body) = app.call(Method::GET, "/api/nowhere", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, body) = app.call(Method::PUT, "/health", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

async fn probes_and_openapi(app: TestApp) {
    assert_eq!(
        app.call(Method::GET, "/health", None, None).await,
        (200, json!({"status": "healthy"}))
    );
    let (status, ready) = app.call(Method::GET, "/ready", None, None).await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));

    let (status, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/{user_id}/tasks", &["get", "post"][..]),
        ("/api/{user_id}/tasks/{id}", &["get", "put", "delete"]),
        ("/api/{user_id}/tasks/{id}/complete", &["patch"]),
        ("/api/auth/sign-up/email", &["post"]),
        ("/api/auth/sign-in/email", &["post"]),
        ("/api/auth/sign-out", &["post"]),
        ("/api/auth/get-session", &["get"]),
        ("/api/auth/token", &["get"]),
        ("/api/auth/jwks", &["get"]),
        ("/api/{user_id}/notifications", &["get"]),
        ("/api/{user_id}/notifications/read", &["post"]),
        ("/api/{user_id}/notifications/stream", &["get"]),
        ("/health", &["get"]),
        ("/ready", &["get"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "openapi lacks {m} {path}");
        }
    }
    let list_params: Vec<&str> = paths["/api/{user_id}/tasks"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "user_id",
        "status",
        "q",
        "priority",
        "tag",
        "due_before",
        "sort",
        "order",
        "limit",
        "cursor",
    ] {
        assert!(
            list_params.contains(&p),
            "list lacks parameter {p}: {list_params:?}"
        );
    }
    assert!(paths["/api/{user_id}/tasks/{id}"]["get"]["responses"]["404"].is_object());
    assert!(doc["components"]["schemas"]["Task"]["properties"]["recurrence"].is_object());
}

async fn task_lifecycle(app: TestApp) {
    let u = app.sign_up("life@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    let t = app
        .create(&u, json!({"title": "  Buy milk ", "description": "2 litres", "priority": "high", "tags": ["#Home", "errands"], "due_at": "2030-01-02", "recurrence": "weekly"}))
        .await;
    assert_eq!(t["title"], "Buy milk");
    assert_eq!(t["description"], "2 litres");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["tags"], json!(["home", "errands"]));
    assert_eq!(t["due_at"], "2030-01-02T00:00:00Z");
    assert_eq!(t["recurrence"], "weekly");
    assert_eq!(
        (t["completed"].as_bool(), t["user_id"].as_str()),
        (Some(false), Some(u.id.as_str()))
    );
    let id = t["id"].as_i64().unwrap();

    let (status, got) = app
        .call(Method::GET, &format!("{base}/{id}"), Some(&u.jwt), None)
        .await;
    assert_eq!((status, &got), (200, &t));

    // Only the given fields change; null clears.
    let (status, upd) = app
        .call(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&u.jwt),
            Some(json!({"title": "Buy oat milk", "description": null, "recurrence": null})),
        )
        .await;
    assert_eq!(status, 200, "{upd}");
    assert_eq!(
        (
            upd["title"].as_str(),
            &upd["description"],
            &upd["recurrence"]
        ),
        (Some("Buy oat milk"), &Value::Null, &Value::Null)
    );
    assert_eq!(
        (&upd["priority"], &upd["tags"], &upd["due_at"]),
        (&t["priority"], &t["tags"], &t["due_at"])
    );
    // What a write answers is exactly what a later read returns.
    let (_, reread) = app
        .call(Method::GET, &format!("{base}/{id}"), Some(&u.jwt), None)
        .await;
    assert_eq!(reread, upd);
    // A task read from the API can be sent back whole: read-only fields are ignored.
    let mut whole = upd.clone();
    whole["priority"] = json!("low");
    let (status, sent_back) = app
        .call(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&u.jwt),
            Some(whole),
        )
        .await;
    assert_eq!(
        (status, sent_back["priority"].as_str(), &sent_back["id"]),
        (200, Some("low"), &upd["id"])
    );
    let done_on_create = app
        .create(&u, json!({"title": "already done", "completed": true}))
        .await;
    assert_eq!(done_on_create["completed"], true);
    app.call(
        Method::DELETE,
        &format!("{base}/{}", done_on_create["id"]),
        Some(&u.jwt),
        None,
    )
    .await;

    let (status, done) = app.toggle(&u, &json!(id)).await;
    assert_eq!((status, done["completed"].as_bool()), (200, Some(true)));
    let (_, undone) = app.toggle(&u, &json!(id)).await;
    assert_eq!(undone["completed"], false);

    // Durable: visible through a fresh read of the list.
    let (status, list) = app.list(&u, "").await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1));

    let (status, body) = app
        .call(Method::DELETE, &format!("{base}/{id}"), Some(&u.jwt), None)
        .await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(
        app.call(Method::GET, &format!("{base}/{id}"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("{base}/{id}"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

async fn filters_and_sorting(app: TestApp) {
    let u = app.sign_up("filters@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    app.create(&u, json!({"title": "alpha report", "priority": "low", "tags": ["work"], "due_at": "2030-03-01T10:00:00Z"})).await;
    app.create(&u, json!({"title": "Bravo", "description": "call the REPORT desk", "priority": "high", "tags": ["work", "phone"]})).await;
    let c = app.create(&u, json!({"title": "charlie 100%_done", "priority": "medium", "due_at": "2030-01-01T10:00:00Z"})).await;
    app.toggle(&u, &c["id"]).await;

    let get = |q: &'static str| {
        let path = format!("{base}?{q}");
        let (app, jwt) = (&app, &u.jwt);
        async move {
            let (status, body) = app.call(Method::GET, &path, Some(jwt), None).await;
            assert_eq!(status, 200, "{q}: {body}");
            body
        }
    };
    assert_eq!(
        titles(&get("").await),
        vec!["charlie 100%_done", "Bravo", "alpha report"],
        "newest first"
    );
    assert_eq!(
        titles(&get("status=pending").await),
        vec!["Bravo", "alpha report"]
    );
    assert_eq!(
        titles(&get("status=completed").await),
        vec!["charlie 100%_done"]
    );
    assert_eq!(
        titles(&get("q=Report").await),
        vec!["Bravo", "alpha report"],
        "title or description, any case"
    );
    assert_eq!(
        titles(&get("q=100%25_").await),
        vec!["charlie 100%_done"],
        "LIKE wildcards are literal"
    );
    assert_eq!(titles(&get("q=%25").await), vec!["charlie 100%_done"]);
    assert_eq!(titles(&get("priority=high").await), vec!["Bravo"]);
    assert_eq!(
        titles(&get("tag=WORK").await),
        vec!["Bravo", "alpha report"]
    );
    assert_eq!(
        titles(&get("tag=phone&status=pending").await),
        vec!["Bravo"]
    );
    assert_eq!(
        titles(&get("due_before=2030-02-01").await),
        vec!["charlie 100%_done"]
    );
    assert_eq!(
        titles(&get("sort=title").await),
        vec!["alpha report", "Bravo", "charlie 100%_done"],
        "case-insensitive"
    );
    assert_eq!(
        titles(&get("sort=title&order=desc").await),
        vec!["charlie 100%_done", "Bravo", "alpha report"]
    );
    assert_eq!(
        titles(&get("sort=priority").await),
        vec!["Bravo", "charlie 100%_done", "alpha report"]
    );
    assert_eq!(
        titles(&get("sort=due").await),
        vec!["charlie 100%_done", "alpha report", "Bravo"],
        "undated last"
    );
    assert_eq!(
        titles(&get("sort=created&order=asc&limit=2").await),
        vec!["alpha report", "Bravo"]
    );
}

/// Pages through a list with `limit` while `writer` inserts tasks concurrently: every task that existed
/// before the walk appears exactly once, in order, and pages link through `x-next-cursor` and `Link`.
async fn walk(app: &TestApp, base: &str, jwt: &str, query: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut path = format!("{base}?{query}");
    loop {
        let r = app
            .request(Method::GET, &path, Some(jwt))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let next = r
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let link = r
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Vec<Value> = r.json().await.unwrap();
        seen.extend(page);
        match next {
            Some(cursor) => {
                let link = link.expect("Link header with the cursor");
                assert!(
                    link.contains(&cursor) && link.ends_with("rel=\"next\""),
                    "{link}"
                );
                path = format!("{base}?{query}&cursor={cursor}");
            }
            None => return seen,
        }
    }
}

const PRIORITIES: [&str; 3] = ["low", "medium", "high"];

async fn pagination_is_stable_under_concurrent_inserts(app: TestApp) {
    let u = app.sign_up("pages@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    let mut before = HashSet::new();
    for i in 0..90 {
        let t = app.create(&u, json!({"title": format!("task {:03}", (i * 37) % 90), "priority": PRIORITIES[i % 3]})).await;
        before.insert(t["id"].as_i64().unwrap());
    }
    for query in [
        "limit=7",
        "limit=10&sort=title",
        "limit=9&sort=priority",
        "limit=11&sort=due&order=desc",
    ] {
        let writer = {
            let (client, url, jwt) = (app.client.clone(), app.url(&base), u.jwt.clone());
            tokio::spawn(async move {
                for i in 0..30 {
                    let r = client
                        .post(&url)
                        .bearer_auth(&jwt)
                        .json(&json!({"title": format!("task {:03}x", i * 3)}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                }
            })
        };
        let seen = walk(&app, &base, &u.jwt, query).await;
        writer.await.unwrap();
        let ids: Vec<i64> = seen.iter().map(|t| t["id"].as_i64().unwrap()).collect();
        let unique: HashSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{query}: a task appeared twice");
        assert!(
            before.is_subset(&unique),
            "{query}: a task that existed before the walk was skipped"
        );
    }
    let all = walk(&app, &base, &u.jwt, "limit=200&sort=title").await;
    let keys: Vec<String> = all
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "title order holds across pages"
    );
}

async fn recurring_tasks_roll_forward(app: TestApp) {
    let u = app.sign_up("recur@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    let due = chrono::Utc::now() + chrono::Duration::hours(2);
    let t = app.create(&u, json!({"title": "Water plants", "tags": ["home"], "priority": "high", "due_at": due.to_rfc3339(), "recurrence": "weekly"})).await;
    let (status, done) = app.toggle(&u, &t["id"]).await;
    assert_eq!((status, done["completed"].as_bool()), (200, Some(true)));

    let (_, pending) = app.list(&u, "status=pending").await;
    let next = &pending.as_array().unwrap()[0];
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_ne!(next["id"], t["id"]);
    assert_eq!(
        (
            &next["title"],
            &next["priority"],
            &next["tags"],
            &next["recurrence"]
        ),
        (&t["title"], &t["priority"], &t["tags"], &t["recurrence"])
    );
    let next_due: chrono::DateTime<chrono::Utc> = next["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        next_due.timestamp_millis(),
        (due + chrono::Duration::weeks(1)).timestamp_millis()
    );

    // Un-completing keeps the next one; completing again (after the undo) does not add another.
    app.toggle(&u, &t["id"]).await;
    let (_, all) = app.list(&u, "").await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    app.toggle(&u, &t["id"]).await;
    let (_, all) = app.list(&u, "").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    // Completing the next occurrence through PUT advances the series once more.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("{base}/{}", next["id"]),
            Some(&u.jwt),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, all) = app.list(&u, "").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("{base}/{}", next["id"]),
            Some(&u.jwt),
            Some(json!({"completed": true, "title": "Water the plants"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, all) = app.list(&u, "").await;
    assert_eq!(
        all.as_array().unwrap().len(),
        3,
        "already complete: no new occurrence"
    );

    // A monthly series on the 31st: the last day of a short month, then the 31st again.
    let mut task = app
        .create(
            &u,
            json!({"title": "Pay rent", "due_at": "2030-01-31T09:00:00Z", "recurrence": "monthly"}),
        )
        .await;
    for expected in [
        "2030-02-28T09:00:00Z",
        "2030-03-31T09:00:00Z",
        "2030-04-30T09:00:00Z",
    ] {
        app.toggle(&u, &task["id"]).await;
        let (_, pending) = app.list(&u, "status=pending&q=rent").await;
        task = pending[0].clone();
        assert_eq!(task["due_at"], expected, "{pending}");
    }
    // Completing by sending the task back whole (due date and rule unchanged) keeps the series' day.
    let mut whole = task.clone();
    whole["completed"] = json!(true);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("{base}/{}", task["id"]),
            Some(&u.jwt),
            Some(whole),
        )
        .await;
    assert_eq!(status, 200);
    let (_, pending) = app.list(&u, "status=pending&q=rent").await;
    assert_eq!(pending[0]["due_at"], "2030-05-31T09:00:00Z", "{pending}");
}

async fn users_are_isolated(app: TestApp) {
    let a = app.sign_up("alice@example.com").await;
    let b = app.sign_up("bob@example.com").await;
    let t = app.create(&a, json!({"title": "alice's secret"})).await;
    let id = t["id"].as_i64().unwrap();
    let (a_path, b_path) = (
        format!("/api/{}/tasks", a.id),
        format!("/api/{}/tasks", b.id),
    );

    // Bob on Alice's paths: 403 on every route. Bob naming Alice's task id under his own path: 404,
    // as if it did not exist.
    let forbidden = (403, Some("forbidden"));
    let not_found = (404, Some("not_found"));
    let hijack = || Some(json!({"title": "hijacked"}));
    for (m, p, body, expected) in [
        (Method::GET, a_path.clone(), None, forbidden),
        (
            Method::POST,
            a_path.clone(),
            Some(json!({"title": "planted"})),
            forbidden,
        ),
        (Method::GET, format!("{a_path}/{id}"), None, forbidden),
        (Method::PUT, format!("{a_path}/{id}"), hijack(), forbidden),
        (Method::DELETE, format!("{a_path}/{id}"), None, forbidden),
        (
            Method::PATCH,
            format!("{a_path}/{id}/complete"),
            None,
            forbidden,
        ),
        (Method::GET, format!("{b_path}/{id}"), None, not_found),
        (Method::PUT, format!("{b_path}/{id}"), hijack(), not_found),
        (Method::DELETE, format!("{b_path}/{id}"), None, not_found),
        (
            Method::PATCH,
            format!("{b_path}/{id}/complete"),
            None,
            not_found,
        ),
    ] {
        let (status, err) = app.call(m.clone(), &p, Some(&b.jwt), body).await;
        assert_eq!((status, err["error"]["code"].as_str()), expected, "{m} {p}");
    }
    // A body claiming another owner is refused; the list never leaks.
    let (status, _) = app
        .call(
            Method::POST,
            &b_path,
            Some(&b.jwt),
            Some(json!({"title": "x", "user_id": a.id})),
        )
        .await;
    assert_eq!(status, 403);
    let (_, b_list) = app
        .call(
            Method::GET,
            &format!("{b_path}?q=secret"),
            Some(&b.jwt),
            None,
        )
        .await;
    assert_eq!(b_list, json!([]));
    // A token for any other subject (e.g. from an external auth server) is a separate user too.
    let mallory = hs256("mallory", json!({}));
    let (status, list) = app
        .call(Method::GET, "/api/mallory/tasks", Some(&mallory), None)
        .await;
    assert_eq!((status, list), (200, json!([])));

    let (_, still) = app
        .call(Method::GET, &format!("{a_path}/{id}"), Some(&a.jwt), None)
        .await;
    assert_eq!(still, t, "Alice's task is untouched");
    let (_, a_list) = app.call(Method::GET, &a_path, Some(&a.jwt), None).await;
    assert_eq!(a_list.as_array().unwrap().len(), 1);
}

async fn client_errors_are_clear(app: TestApp) {
    let u = app.sign_up("errors@example.com").await;
    let base = format!("/api/{}/tasks", u.id);
    let t = app.create(&u, json!({"title": "keep me"})).await;
    let one = format!("{base}/{}", t["id"]);

    // 401: no token, a malformed one, another scheme.
    assert_eq!(app.call(Method::GET, &base, None, None).await.0, 401);
    assert_eq!(
        app.call(Method::GET, &base, Some("not.a.jwt"), None)
            .await
            .0,
        401
    );
    let r = app
        .client
        .get(app.url(&base))
        .header("authorization", format!("Basic {}", u.jwt))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The session token is for /api/auth/*, not a JWT for the task API.
    assert_eq!(
        app.call(Method::GET, &base, Some(&u.session), None).await.0,
        401
    );

    let eleven_tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let query = |q: &str| format!("{base}?{q}");
    // (field the 422 must name, method, path, body)
    let cases: Vec<(&str, Method, String, Option<Value>)> = vec![
        (
            "title",
            Method::POST,
            base.clone(),
            Some(json!({"title": "   "})),
        ),
        (
            "title",
            Method::POST,
            base.clone(),
            Some(json!({"title": "x".repeat(201)})),
        ),
        (
            "title",
            Method::POST,
            base.clone(),
            Some(json!({"description": "no title"})),
        ),
        (
            "title",
            Method::POST,
            base.clone(),
            Some(json!({"title": 5})),
        ),
        (
            "description",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "description": "d".repeat(1001)})),
        ),
        (
            "priority",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "priority": "urgent"})),
        ),
        (
            "recurrence",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "recurrence": "hourly"})),
        ),
        (
            "due_at",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "due_at": "next week"})),
        ),
        (
            "due_at",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "due_at": ""})),
        ),
        (
            "tags",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "tags": eleven_tags})),
        ),
        (
            "tags[1]",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a", "tags": ["ok", "not ok"]})),
        ),
        ("body", Method::PUT, one.clone(), Some(json!({}))),
        ("body", Method::POST, base.clone(), Some(json!(["title"]))),
        (
            "completed",
            Method::PUT,
            one.clone(),
            Some(json!({"completed": "yes"})),
        ),
        // A NUL would make PostgreSQL fail the statement: refused at the edge instead, on both databases.
        (
            "title",
            Method::POST,
            base.clone(),
            Some(json!({"title": "a\u{0}b"})),
        ),
        (
            "description",
            Method::PUT,
            one.clone(),
            Some(json!({"description": "x\u{0}"})),
        ),
        ("q", Method::GET, query("q=%00"), None),
        ("id", Method::GET, format!("{base}/abc"), None),
        (
            "id",
            Method::DELETE,
            format!("{base}/99999999999999999999"),
            None,
        ),
        ("limit", Method::GET, query("limit=0"), None),
        ("limit", Method::GET, query("limit=201"), None),
        ("limit", Method::GET, query("limit=x"), None),
        ("status", Method::GET, query("status=done"), None),
        ("sort", Method::GET, query("sort=size"), None),
        ("order", Method::GET, query("order=up"), None),
        ("priority", Method::GET, query("priority=urgent"), None),
        ("due_before", Method::GET, query("due_before=soon"), None),
        ("cursor", Method::GET, query("cursor=bogus"), None),
    ];
    for (field, method, path, body) in cases {
        let (status, err) = app.call(method.clone(), &path, Some(&u.jwt), body).await;
        assert_eq!(status, 422, "{method} {path} should name {field}: {err}");
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(
            err["error"]["fields"][field].is_string(),
            "422 must name {field}: {err}"
        );
    }
    assert_eq!(
        app.call(Method::GET, &format!("{base}/0"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(Method::GET, &format!("{base}/-5"), Some(&u.jwt), None)
            .await
            .0,
        404
    );

    // Malformed JSON: 400; not JSON: 415; too large: 413. Each as a JSON error.
    let r = app
        .request(Method::POST, &base, Some(&u.jwt))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = crate::support::split(r).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let r = app
        .request(Method::POST, &base, Some(&u.jwt))
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = app
        .request(Method::POST, &base, Some(&u.jwt))
        .json(&json!({"title": "a", "description": "x".repeat(100_000)}))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::support::split(r).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    // None of that changed anything.
    let (_, list) = app.list(&u, "").await;
    assert_eq!(list, json!([t]));
}

/// A client that stalls mid-body holds nothing for long: the request is answered 503 at the time limit.
#[tokio::test]
async fn stalled_requests_time_out_with_a_json_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(
        crate::support::Db::Sqlite,
        &["--request-timeout-seconds", "1"],
    )
    .await
    .unwrap();
    let token = hs256("slow", json!({}));
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/slow/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"title\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.ends_with(b"}}") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("answered within the limit")
            .unwrap();
        assert!(n > 0, "connection closed without an answer");
        response.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"code\":\"timeout\""), "{text}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let (_, list) = app
        .call(Method::GET, "/api/slow/tasks", Some(&token), None)
        .await;
    assert_eq!(list, json!([]), "nothing was created");
}

/// Browsers on a configured origin may call the API directly; others get no CORS grant.
#[tokio::test]
async fn cors_grants_only_configured_origins() {
    let app = TestApp::spawn_with(
        crate::support::Db::Sqlite,
        &["--cors-origins", "https://App.Example.com/"],
    )
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/someone/tasks"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let r = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    let r = preflight("https://evil.example.com").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
