//! Webhooks sent by the scheduler to a real receiver over HTTP, on SQLite and PostgreSQL (when there
//! is one): every request's signature verified, retries at the backoff's times (an injected clock
//! drives the scheduler), the attempts in the delivery log, internal targets refused, redirects not
//! followed, and a 410 disabling the endpoint.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use todo_domain::{
    CreateList, CreateTask, CreateWebhook, Event, NewWebhook, TaskPatch, TasksOnDelete,
    UpdateSettings,
};
use todo_notify::{Channels, Clock, Scheduler, SchedulerSettings, WebhookSender, WebhookSettings};
use todo_storage::{Channel, Store, StoreOptions};
use todo_testkit::{Receiver, Reply};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";

struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

async fn stores() -> (tempfile::TempDir, Vec<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
    if let Some(pg) = todo_testkit::PgServer::shared() {
        urls.push(pg.new_database().await);
    }
    let mut stores = Vec::new();
    for url in urls {
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        stores.push(store);
    }
    (dir, stores)
}

fn scheduler(store: &Store, clock: Arc<TestClock>, allow_private: bool) -> Scheduler {
    let sender = WebhookSender::new(
        store.clone(),
        WebhookSettings { allow_private },
        clock.clone(),
    )
    .unwrap();
    Scheduler::new(
        store.clone(),
        Channels::default().with(Channel::Webhook, Arc::new(sender)),
        clock,
        SchedulerSettings::default(),
    )
}

async fn hook(store: &Store, url: &str, events: &[Event]) -> i64 {
    let new = NewWebhook {
        url: url.into(),
        events: events.to_vec(),
    };
    store
        .create_webhook("u1", &new, SECRET)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn add_task(store: &Store, title: &str) -> i64 {
    add(store, serde_json::json!({ "title": title })).await
}

async fn add(store: &Store, task: serde_json::Value) -> i64 {
    let new: CreateTask = serde_json::from_value(task).unwrap();
    store
        .create_task("u1", new.validate().unwrap())
        .await
        .unwrap()
        .id
}

fn clock_at(t: DateTime<Utc>) -> Arc<TestClock> {
    Arc::new(TestClock(Mutex::new(t)))
}

/// A second from now, whole (the database keeps milliseconds).
fn soon() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() + 1, 0).unwrap()
}

#[tokio::test]
async fn a_failed_delivery_is_retried_on_the_backoff_and_logged() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    for store in stores {
        let receiver = Receiver::start().await;
        receiver.set_secret(SECRET);
        receiver.script([Reply::Status(500), Reply::Status(503)]);
        let id = hook(&store, &receiver.url, &[Event::TaskCreated]).await;
        let task = add_task(&store, "Write the report").await;

        let t0 = soon();
        let clock = clock_at(t0);
        let s = scheduler(&store, clock.clone(), true);
        let tick = s.tick().await.unwrap();
        assert_eq!((tick.sent, tick.failed), (0, 1));
        // The first retry is due 5 s after the failure, not before.
        clock.set(t0 + Duration::milliseconds(4900));
        assert_eq!(s.tick().await.unwrap().failed, 0);
        clock.set(t0 + Duration::seconds(5));
        assert_eq!(s.tick().await.unwrap().failed, 1);
        // Then 5 minutes.
        clock.set(t0 + Duration::seconds(5 + 299));
        assert_eq!(s.tick().await.unwrap(), Default::default());
        clock.set(t0 + Duration::seconds(5 + 300));
        assert_eq!(s.tick().await.unwrap().sent, 1);

        let got = receiver.received();
        assert_eq!(receiver.refused(), Vec::<String>::new());
        assert_eq!(
            got.iter().map(|r| r.status).collect::<Vec<_>>(),
            [500, 503, 200]
        );
        assert!(got.iter().all(|r| r.message_id == got[0].message_id));
        assert_eq!(got[0].body["type"], "task.created");
        assert_eq!(got[0].body["data"]["task"]["id"], task);
        assert_eq!(got[0].body["data"]["task"]["title"], "Write the report");

        let hooks = store.webhooks("u1").await.unwrap();
        let log = &hooks.iter().find(|h| h.id == id).unwrap().deliveries;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].status, "delivered");
        assert_eq!(log[0].message_id, got[0].message_id);
        let attempts: Vec<(i64, Option<u16>)> = log[0]
            .attempts
            .iter()
            .map(|a| ((a.at - t0).num_seconds(), a.status_code))
            .collect();
        assert_eq!(attempts, [(0, Some(500)), (5, Some(503)), (305, Some(200))]);
    }
}

#[tokio::test]
async fn task_events_follow_the_subscription_and_the_switch() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    for store in stores {
        let receiver = Receiver::start().await;
        receiver.set_secret(SECRET);
        hook(
            &store,
            &receiver.url,
            &[Event::TaskCompleted, Event::TaskDeleted],
        )
        .await;
        let id = add_task(&store, "Pay rent").await;
        store.toggle_task("u1", id, false).await.unwrap().unwrap();
        store.delete_task("u1", id).await.unwrap().unwrap();
        // Not subscribed: created (above) and updated.
        let other = add_task(&store, "Other").await;
        let off = UpdateSettings {
            notify_webhooks: Some(false),
            ..Default::default()
        };
        store
            .update_settings("u1", off.validate().unwrap())
            .await
            .unwrap();
        // Switched off: nothing.
        store.toggle_task("u1", other, false).await.unwrap();
        // The clock is read after the writes: on a loaded machine they may take over a second.
        let s = scheduler(&store, clock_at(soon()), true);
        assert_eq!(s.tick().await.unwrap().sent, 2);
        // Sent concurrently, so in no particular order.
        let mut got = receiver.received();
        got.sort_by_key(|r| r.body["type"].as_str().unwrap().to_owned());
        let types: Vec<&str> = got
            .iter()
            .map(|r| r.body["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["task.completed", "task.deleted"]);
        assert!(got.iter().all(|r| r.body["data"]["task"]["id"] == id));
        assert_ne!(got[0].message_id, got[1].message_id);
        assert!(receiver.refused().is_empty());
    }
}

/// The (type, task id) of each message received, sorted (they are sent concurrently).
fn events(receiver: &Receiver) -> Vec<(String, i64)> {
    let mut got: Vec<(String, i64)> = receiver
        .received()
        .iter()
        .map(|r| {
            let kind = r.body["type"].as_str().unwrap().to_owned();
            (kind, r.body["data"]["task"]["id"].as_i64().unwrap())
        })
        .collect();
    got.sort();
    got
}

#[tokio::test]
async fn subtasks_completed_or_deleted_with_their_parent_are_events_of_their_own() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    for store in stores {
        let receiver = Receiver::start().await;
        receiver.set_secret(SECRET);
        hook(
            &store,
            &receiver.url,
            &[Event::TaskCompleted, Event::TaskDeleted],
        )
        .await;
        let parent = add_task(&store, "Move house").await;
        let pack = add(
            &store,
            serde_json::json!({"title": "Pack", "parent_id": parent}),
        )
        .await;
        let boxes = add(
            &store,
            serde_json::json!({"title": "Boxes", "parent_id": pack}),
        )
        .await;
        let booked = add(
            &store,
            serde_json::json!({"title": "Book van", "parent_id": parent, "completed": true}),
        )
        .await;
        let unrelated = add_task(&store, "Unrelated").await;

        let done = TaskPatch {
            completed: Some(true),
            ..Default::default()
        };
        store.update_task("u1", parent, done, true).await.unwrap();
        let s = scheduler(&store, clock_at(soon()), true);
        assert_eq!(s.tick().await.unwrap().sent, 3);
        // The van was booked already: completing the parent did not complete it.
        let completed = |id| ("task.completed".to_owned(), id);
        assert_eq!(
            events(&receiver),
            [completed(parent), completed(pack), completed(boxes)]
        );
        let got = receiver.received();
        let sub = got
            .iter()
            .find(|r| r.body["data"]["task"]["id"] == boxes)
            .unwrap();
        assert_eq!(sub.body["data"]["task"]["completed"], true);
        assert_eq!(sub.body["data"]["task"]["parent_id"], pack);

        store.delete_task("u1", parent).await.unwrap().unwrap();
        let s = scheduler(&store, clock_at(soon()), true);
        assert_eq!(s.tick().await.unwrap().sent, 4);
        let deleted = |id| ("task.deleted".to_owned(), id);
        let mut expected = vec![
            completed(parent),
            completed(pack),
            completed(boxes),
            deleted(parent),
            deleted(pack),
            deleted(boxes),
            deleted(booked),
        ];
        expected.sort();
        assert_eq!(events(&receiver), expected);
        let got = receiver.received();
        let mut ids: Vec<&str> = got.iter().map(|r| r.message_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 7, "each event is a message of its own");
        assert!(got
            .iter()
            .all(|r| r.body["data"]["task"]["id"] != unrelated));
        assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    }
}

#[tokio::test]
async fn tasks_moved_or_deleted_with_their_list_are_events_of_their_own() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    for store in stores {
        let receiver = Receiver::start().await;
        receiver.set_secret(SECRET);
        hook(
            &store,
            &receiver.url,
            &[Event::TaskUpdated, Event::TaskDeleted],
        )
        .await;
        let list = |name: &str| {
            serde_json::from_value::<CreateList>(serde_json::json!({ "name": name }))
                .unwrap()
                .validate()
                .unwrap()
        };
        let moving = store.create_list("u1", list("Moving")).await.unwrap().id;
        let going = store.create_list("u1", list("Going")).await.unwrap().id;
        let kept = add(
            &store,
            serde_json::json!({"title": "Kept", "list_id": moving}),
        )
        .await;
        let under = add(
            &store,
            serde_json::json!({"title": "Under", "parent_id": kept}),
        )
        .await;
        let gone = add(
            &store,
            serde_json::json!({"title": "Gone", "list_id": going}),
        )
        .await;
        let also = add(
            &store,
            serde_json::json!({"title": "Also", "parent_id": gone}),
        )
        .await;

        store
            .delete_list("u1", moving, Some(TasksOnDelete::Move))
            .await
            .unwrap();
        store
            .delete_list("u1", going, Some(TasksOnDelete::Delete))
            .await
            .unwrap();
        let s = scheduler(&store, clock_at(soon()), true);
        assert_eq!(s.tick().await.unwrap().sent, 4);
        let event = |kind: &str, id| (kind.to_owned(), id);
        assert_eq!(
            events(&receiver),
            [
                event("task.deleted", gone),
                event("task.deleted", also),
                event("task.updated", kept),
                event("task.updated", under),
            ]
        );
        let inbox = store.lists("u1").await.unwrap()[0].id;
        let got = receiver.received();
        let moved = got
            .iter()
            .find(|r| r.body["data"]["task"]["id"] == under)
            .unwrap();
        // As it is now: in the Inbox, under its parent still.
        assert_eq!(moved.body["data"]["task"]["list_id"], inbox);
        assert_eq!(moved.body["data"]["task"]["parent_id"], kept);
        assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    }
}

#[tokio::test]
async fn internal_targets_are_refused_unless_allowed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    let store = &stores[0];
    let receiver = Receiver::start().await;
    receiver.set_secret(SECRET);
    let port = receiver.url.rsplit(':').next().unwrap().to_owned();
    // The literal address, and a name that resolves to it.
    hook(store, &receiver.url, &[Event::TaskCreated]).await;
    hook(
        store,
        &format!("http://localhost:{port}"),
        &[Event::TaskCreated],
    )
    .await;
    // The API refuses the literal address at creation too.
    let body = CreateWebhook {
        url: receiver.url.clone(),
        events: vec!["task.created".into()],
    };
    assert!(body.validate(false).unwrap_err().fields.contains_key("url"));

    add_task(store, "Anything").await;
    let s = scheduler(store, clock_at(soon()), false);
    let tick = s.tick().await.unwrap();
    assert_eq!((tick.sent, tick.failed), (0, 2));
    assert!(receiver.received().is_empty());
    for h in store.webhooks("u1").await.unwrap() {
        let d = &h.deliveries[0];
        // Given up at once, not retried: the address will not become acceptable.
        assert_eq!(d.status, "failed", "{}", h.url);
        let error = d.attempts[0].error.as_deref().unwrap();
        assert!(error.starts_with("refused: "), "{}: {error}", h.url);
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_410_disables_the_endpoint() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_dir, stores) = stores().await;
    let store = &stores[0];
    let receiver = Receiver::start().await;
    receiver.set_secret(SECRET);
    let elsewhere = Receiver::start().await;
    elsewhere.set_secret(SECRET);
    receiver.script([
        Reply::Redirect(307, elsewhere.url.clone()),
        Reply::Status(410),
    ]);
    let id = hook(store, &receiver.url, &[Event::TaskCreated]).await;
    add_task(store, "One").await;
    let t0 = soon();
    let clock = clock_at(t0);
    let s = scheduler(store, clock.clone(), true);
    assert_eq!(s.tick().await.unwrap().failed, 1);
    clock.set(t0 + Duration::seconds(5));
    assert_eq!(s.tick().await.unwrap().failed, 1);
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
    let hooks = store.webhooks("u1").await.unwrap();
    let h = hooks.iter().find(|h| h.id == id).unwrap();
    assert!(h.disabled_at.is_some());
    let codes: Vec<Option<u16>> = h.deliveries[0]
        .attempts
        .iter()
        .map(|a| a.status_code)
        .collect();
    assert_eq!(codes, [Some(307), Some(410)]);
    assert_eq!(h.deliveries[0].status, "failed");
    // Disabled: later events are not queued for it.
    add_task(store, "Two").await;
    clock.set(t0 + Duration::hours(1));
    assert_eq!(s.tick().await.unwrap(), Default::default());
    assert_eq!(receiver.received().len(), 2);
}
