//! Web Push end to end: subscriptions through the API, reminders fired by the running server's own
//! scheduler and sent to a push service on 127.0.0.1 that checks the VAPID token and decrypts every
//! message with the subscription's keys (todo_testkit::push); 410 removes a subscription, 503 is retried.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use todo_testkit::push::PushService;

use crate::on_both_databases;
use crate::support::{database, Db, TestApp, TestUser};

const INSECURE: &[&str] = &["--push-allow-insecure", "true"];

async fn spawn(db: Db) -> Option<TestApp> {
    TestApp::spawn_with(db, INSECURE).await
}

/// A task due in an hour with a reminder `secs` seconds from now.
async fn remind_in(app: &TestApp, user: &TestUser, title: &str, secs: i64) -> Value {
    let at =
        (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let due = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    app.create(
        user,
        json!({"title": title, "due_at": due, "reminders": [{"at": at}]}),
    )
    .await
}

async fn devices(app: &TestApp, user: &TestUser) -> Vec<String> {
    let (status, body) = app
        .send(user, Method::GET, "/push/subscriptions", None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["endpoint"].as_str().unwrap().to_owned())
        .collect()
}

async fn reminders_arrive_encrypted_and_signed(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let push = PushService::start().await;
    let user = app.sign_up("push@example.com").await;
    let (status, key) = app.send(&user, Method::GET, "/push/key", None).await;
    assert_eq!(status, 200, "{key}");
    let server_key = key["public_key"].as_str().unwrap().to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65);

    let phone = push.subscribe("phone");
    let (status, saved) = app
        .send(
            &user,
            Method::POST,
            "/push/subscriptions",
            Some(phone.clone()),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["endpoint"], phone["endpoint"]);
    let (status, _) = app
        .send(
            &user,
            Method::POST,
            "/push/subscriptions",
            Some(phone.clone()),
        )
        .await;
    assert_eq!(status, 200, "the same endpoint again is an update");
    assert_eq!(devices(&app, &user).await.len(), 1);

    let task = remind_in(&app, &user, "Call Ada", 2).await;
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(push.refused(), Vec::<String>::new());
    let m = &got[0];
    assert_eq!(m.device, "phone");
    assert_eq!(
        m.key, server_key,
        "signed with the key browsers subscribed to"
    );
    assert_eq!(m.claims["aud"], push.origin.as_str());
    assert_eq!(m.claims["sub"], "mailto:todo@localhost");
    assert_eq!(m.urgency.as_deref(), Some("high"));
    assert!((3000..=3600).contains(&m.ttl), "ttl {}", m.ttl);
    let id = task["id"].as_i64().unwrap();
    assert_eq!(m.message["title"], "Call Ada");
    assert_eq!(m.message["body"], "Reminder");
    assert_eq!(m.message["type"], "reminder.due");
    assert_eq!(m.message["tag"], format!("task-{id}"));
    assert!(
        m.message["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#task-{id}")),
        "{}",
        m.message
    );
    assert!(m.message["id"]
        .as_str()
        .unwrap()
        .starts_with("msg_reminder_"));

    // A 410 from the push service: the subscription is gone, the others stay.
    let laptop = push.subscribe("laptop");
    push.answer("laptop", &[410]);
    let (status, _) = app
        .send(
            &user,
            Method::POST,
            "/push/subscriptions",
            Some(laptop.clone()),
        )
        .await;
    assert_eq!(status, 201);
    remind_in(&app, &user, "Water the plants", 2).await;
    push.wait_for(3, Duration::from_secs(20)).await;
    let mut left = devices(&app, &user).await;
    for _ in 0..50 {
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = devices(&app, &user).await;
    }
    assert_eq!(left, [phone["endpoint"].as_str().unwrap()]);

    // A 503 is tried again (5 s later), with the same message id.
    push.answer("phone", &[503]);
    remind_in(&app, &user, "Pay rent", 2).await;
    let got = push.wait_for(5, Duration::from_secs(30)).await;
    let (first, second) = (&got[3], &got[4]);
    assert_eq!(first.message["title"], "Pay rent");
    assert_eq!(first.message, second.message);
    assert_eq!(push.refused(), Vec::<String>::new());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        push.received().len(),
        5,
        "delivered once the service took it"
    );
}

async fn subscriptions_are_validated_and_owned(app: TestApp) {
    let user = app.sign_up("sub@example.com").await;
    let other = app.sign_up("other@example.com").await;
    let bad =
        json!({"endpoint": "http://push.example/x", "keys": {"p256dh": "AAAA", "auth": "!!"}});
    let (status, body) = app
        .send(&user, Method::POST, "/push/subscriptions", Some(bad))
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&String> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["endpoint", "keys.auth", "keys.p256dh"], "{body}");
    // Without PUSH_ALLOW_INSECURE a local push service is refused like any http endpoint.
    let push = PushService::start().await;
    let (status, body) = app
        .send(
            &user,
            Method::POST,
            "/push/subscriptions",
            Some(push.subscribe("d")),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["endpoint"].is_string());
    let (status, _) = app
        .send(&user, Method::POST, "/push/subscriptions", Some(json!([1])))
        .await;
    assert_eq!(status, 422);
    let (status, body) = app
        .send(
            &user,
            Method::DELETE,
            "/push/subscriptions",
            Some(json!({"endpoint": " "})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["endpoint"].is_string());
    let (status, _) = app
        .send(
            &user,
            Method::DELETE,
            "/push/subscriptions",
            Some(json!({"endpoint": "https://p.example/none"})),
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        devices(&app, &user).await.is_empty(),
        "refusals store nothing"
    );

    // Another user's key and devices are not theirs to read.
    let path = format!("/api/{}/push/key", user.id);
    let (status, _) = app.call(Method::GET, &path, Some(&other.jwt), None).await;
    assert_eq!(status, 403);
    let (status, _) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(status, 401);
}

on_both_databases!(subscriptions_are_validated_and_owned);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_arrive_encrypted_and_signed_on_sqlite() {
    reminders_arrive_encrypted_and_signed(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_arrive_encrypted_and_signed_on_postgres() {
    reminders_arrive_encrypted_and_signed(Db::Postgres).await;
}

/// The browser replaced a subscription (its service worker's `pushsubscriptionchange`): the swap
/// removes the caller's old one and stores the new, which then receives the reminders; another user's
/// subscription cannot be removed that way; bad input is a 422 naming each field and changes nothing.
async fn a_renewed_subscription_replaces_the_old(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let push = PushService::start().await;
    let ada = app.sign_up("renew@example.com").await;
    let bob = app.sign_up("renew-other@example.com").await;
    let old = push.subscribe("old");
    let bobs = push.subscribe("bobs");
    for (user, sub) in [(&ada, &old), (&bob, &bobs)] {
        let (status, body) = app
            .send(user, Method::POST, "/push/subscriptions", Some(sub.clone()))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let renew = |old_endpoint: Value, subscription: &Value| json!({"old_endpoint": old_endpoint, "subscription": subscription});
    let path = "/push/subscriptions/renew";

    let new = push.subscribe("new");
    let (status, body) = app
        .send(
            &ada,
            Method::POST,
            path,
            Some(renew(old["endpoint"].clone(), &new)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replaced"], true, "{body}");
    assert_eq!(body["subscription"]["endpoint"], new["endpoint"]);
    assert_eq!(
        devices(&app, &ada).await,
        [new["endpoint"].as_str().unwrap()]
    );

    // The reminder goes to the new subscription, encrypted for its keys, and not to the old.
    remind_in(&app, &ada, "Renewed", 2).await;
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].device, "new");
    assert_eq!(got[0].message["title"], "Renewed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(push.received().len(), 1);
    assert_eq!(push.refused(), Vec::<String>::new());

    // Bob's endpoint named as Ada's old one: Bob keeps his subscription; Ada's new one is stored.
    let newer = push.subscribe("newer");
    let (status, body) = app
        .send(
            &ada,
            Method::POST,
            path,
            Some(renew(bobs["endpoint"].clone(), &newer)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replaced"], false, "{body}");
    assert_eq!(
        devices(&app, &bob).await,
        [bobs["endpoint"].as_str().unwrap()]
    );
    // Nor can Ada call it on Bob's behalf.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{}/{}", bob.id, path.trim_start_matches('/')),
            Some(&ada.jwt),
            Some(renew(bobs["endpoint"].clone(), &newer)),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        devices(&app, &bob).await,
        [bobs["endpoint"].as_str().unwrap()]
    );

    // Without an old endpoint (the browser gave none) the new one is simply stored; the same
    // endpoint with new keys is an update of it, not a removal.
    let (status, body) = app
        .send(
            &ada,
            Method::POST,
            path,
            Some(json!({"subscription": newer})),
        )
        .await;
    assert_eq!((status, &body["replaced"]), (200, &json!(false)), "{body}");
    let mut rekeyed = push.subscribe("newer");
    rekeyed["endpoint"] = newer["endpoint"].clone();
    let (status, body) = app
        .send(
            &ada,
            Method::POST,
            path,
            Some(renew(newer["endpoint"].clone(), &rekeyed)),
        )
        .await;
    assert_eq!((status, &body["replaced"]), (200, &json!(false)), "{body}");
    let mine = [
        new["endpoint"].as_str().unwrap(),
        newer["endpoint"].as_str().unwrap(),
    ];
    assert_eq!(devices(&app, &ada).await, mine);

    // Bad input: every field at fault named, nothing changed.
    let long = format!("https://push.example/{}", "a".repeat(2048));
    let bad_keys = json!({"endpoint": "ftp://push.example/x", "keys": {"p256dh": "AAAA"}});
    let cases = [
        (
            renew(json!(" "), &bad_keys),
            vec![
                "old_endpoint",
                "subscription.endpoint",
                "subscription.keys.auth",
                "subscription.keys.p256dh",
            ],
        ),
        (renew(json!(long), &new), vec!["old_endpoint"]),
        (renew(json!(5), &new), vec!["old_endpoint"]),
        (
            json!({"old_endpoint": new["endpoint"]}),
            vec!["subscription"],
        ),
        (renew(Value::Null, &json!("x")), vec!["subscription"]),
        (json!([1]), vec!["body"]),
    ];
    for (body, want) in cases {
        let (status, answer) = app.send(&ada, Method::POST, path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        let fields: Vec<&String> = answer["error"]["fields"]
            .as_object()
            .unwrap_or_else(|| panic!("{body}: {answer}"))
            .keys()
            .collect();
        assert_eq!(fields, want, "{body}: {answer}");
    }
    assert_eq!(devices(&app, &ada).await, mine);
    assert_eq!(
        devices(&app, &bob).await,
        [bobs["endpoint"].as_str().unwrap()]
    );
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{}/{}", ada.id, path.trim_start_matches('/')),
            None,
            Some(renew(Value::Null, &new)),
        )
        .await;
    assert_eq!(status, 401);

    // Documented, with its body's shape.
    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    let op = &doc["paths"]["/api/{user_id}/push/subscriptions/renew"]["post"];
    assert!(op.is_object(), "openapi lacks the renewal");
    let input = &doc["components"]["schemas"]["PushRenewalInput"]["properties"];
    assert!(
        input["old_endpoint"].is_object() && input["subscription"].is_object(),
        "{input}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_subscription_replaces_the_old_on_sqlite() {
    a_renewed_subscription_replaces_the_old(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_subscription_replaces_the_old_on_postgres() {
    a_renewed_subscription_replaces_the_old(Db::Postgres).await;
}

/// Every replica on one database signs with the one key generated first; a given key is used as is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_vapid_key() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some((url, dir)) = database(db).await else {
            continue;
        };
        let a = TestApp::spawn_on(url.clone(), None, &[]).await;
        let b = TestApp::spawn_on(url, dir, &[]).await;
        let (ua, ub) = (
            a.sign_up("a@example.com").await,
            b.sign_up("b@example.com").await,
        );
        let (ka, kb) = tokio::join!(
            a.send(&ua, Method::GET, "/push/key", None),
            b.send(&ub, Method::GET, "/push/key", None)
        );
        assert_eq!((ka.0, kb.0), (200, 200));
        assert_eq!(ka.1["public_key"], kb.1["public_key"], "{db:?}");
    }
    let pem = todo_notify::VapidKey::generate_pem();
    let given = todo_notify::VapidKey::from_pem(&pem).unwrap().public_key();
    let app = TestApp::spawn_with(Db::Sqlite, &[&format!("--vapid-private-key={pem}")])
        .await
        .unwrap();
    let user = app.sign_up("given@example.com").await;
    let (_, key) = app.send(&user, Method::GET, "/push/key", None).await;
    assert_eq!(key["public_key"], given.as_str());
}
