//! Reminders on SQLite and PostgreSQL (when there is one): kept in step with their task, fired at their
//! instant by an injected clock, late and too-late ones, the outbox's leases, and several stores on one
//! PostgreSQL database sharing the work without telling anyone twice; and the push subscriptions
//! reminders go to.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{databases, execute, migrate_before};
use todo_domain::{
    CreateTask, NewPushSubscription, ReminderInput, TaskPatch, UpdateSettings, UpdateTask, When,
};
use todo_storage::{Attempt, Store, StoreOptions};

const REMINDERS_MIGRATION: i64 = 20261201000008;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn before(d: &str) -> ReminderInput {
    ReminderInput {
        before: Some(d.into()),
        ..Default::default()
    }
}

async fn open(url: &str) -> Store {
    let store = Store::open(url, &StoreOptions::default()).unwrap();
    store.migrate().await.unwrap();
    store
}

fn task(title: &str, due: Option<&str>, reminders: Option<Vec<ReminderInput>>) -> CreateTask {
    serde_json::from_value::<CreateTask>(serde_json::json!({"title": title, "due_at": due}))
        .map(|mut t| {
            t.reminders = reminders;
            t
        })
        .unwrap()
}

const DAY: Duration = Duration::hours(24);

#[tokio::test]
async fn reminders_follow_their_task_and_fire_at_their_instant_across_dst() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = open(&url).await;
        let tz = UpdateSettings {
            time_zone: Some("Europe/Berlin".into()),
            ..Default::default()
        };
        store
            .update_settings("u1", tz.validate().unwrap())
            .await
            .unwrap();
        // Due Sunday 28 March 2027 at 10:00 in Berlin (08:00 UTC: the clocks went forward at 02:00 that
        // day), reminded the day before at 10:00 — still winter time, 09:00 UTC, not the 08:00 that
        // "24 hours before" would give — and 30 minutes before.
        let day_before = ReminderInput {
            before: Some("P1D".into()),
            time: Some("10:00".into()),
            ..Default::default()
        };
        let new = task(
            "Dentist",
            Some("2027-03-28T08:00:00Z"),
            Some(vec![day_before, before("PT30M")]),
        );
        let t = store
            .create_task("u1", new.validate().unwrap())
            .await
            .unwrap();
        let fires: Vec<_> = t.reminders.iter().map(|r| r.fire_at).collect();
        assert_eq!(
            fires,
            [
                Some(utc("2027-03-27T09:00:00Z")),
                Some(utc("2027-03-28T07:30:00Z"))
            ],
            "{url}"
        );
        assert_eq!(t.reminders[0].when.before.as_deref(), Some("P1D"));
        assert_eq!(t.reminders[0].when.time.as_deref(), Some("10:00"));

        // A millisecond early nothing goes off; at the instant, the first one does, once.
        let first = utc("2027-03-27T09:00:00Z");
        let early = store.fire_due_reminders(first - Duration::milliseconds(1), DAY, 100);
        assert_eq!(early.await.unwrap().fired, 0, "{url}");
        let fired = store.fire_due_reminders(first, DAY, 100).await.unwrap();
        assert_eq!((fired.fired, fired.late), (1, 0), "{url}");
        assert_eq!(fired.notified, ["u1"]);
        assert_eq!(
            store
                .fire_due_reminders(first, DAY, 100)
                .await
                .unwrap()
                .fired,
            0
        );
        let (told, unread) = store.notifications("u1", 10, None).await.unwrap();
        assert_eq!((told.len(), unread), (1, 1), "{url}");
        assert_eq!(told[0].title, "Dentist");
        assert_eq!(told[0].fire_at, Some(first));
        assert_eq!(store.notifications("u2", 10, None).await.unwrap().1, 0);

        // Moving the due time moves the relative reminders and arms the sent one again.
        let patch = TaskPatch {
            due_at: Some(Some(utc("2027-04-04T08:00:00Z"))),
            ..Default::default()
        };
        let moved = store
            .update_task("u1", t.id, patch, false)
            .await
            .unwrap()
            .unwrap();
        // Summer time on both days now: 10:00 CEST is 08:00 UTC.
        assert_eq!(
            moved.reminders[0].fire_at,
            Some(utc("2027-04-03T08:00:00Z"))
        );
        assert!(!moved.reminders[0].done, "{url}");

        // Completing cancels; reopening arms again what is still ahead.
        let done = store.toggle_task("u1", t.id, false).await.unwrap().unwrap();
        assert!(done.reminders.iter().all(|r| r.done), "{url}");
        let at = utc("2027-04-03T08:00:00Z");
        assert_eq!(
            store.fire_due_reminders(at, DAY, 100).await.unwrap().fired,
            0
        );
        let open = store.toggle_task("u1", t.id, false).await.unwrap().unwrap();
        assert!(open.reminders.iter().all(|r| !r.done), "{url}");
        assert_eq!(
            store.fire_due_reminders(at, DAY, 100).await.unwrap().fired,
            1
        );

        // Sending the list replaces it; a relative reminder needs a due time.
        let replace = UpdateTask {
            reminders: Some(vec![]),
            ..Default::default()
        };
        let cleared = store
            .update_task("u1", t.id, replace.validate().unwrap(), false)
            .await
            .unwrap()
            .unwrap();
        assert!(cleared.reminders.is_empty());
        let undated = task("Someday", None, Some(vec![before("PT5M")]));
        let err = store
            .create_task("u1", undated.validate().unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("reminders[0].before"), "{err}");
        assert_eq!(
            store
                .list_tasks("u1", &Default::default())
                .await
                .unwrap()
                .tasks
                .len(),
            1
        );

        // Marking read.
        assert_eq!(store.mark_notifications_read("u1", None).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_recurring_task_carries_its_reminders_and_the_default_applies() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = open(&url).await;
        let settings = UpdateSettings {
            default_reminder: Some(Some("PT15M".into())),
            ..Default::default()
        };
        store
            .update_settings("u1", settings.validate().unwrap())
            .await
            .unwrap();
        let mut new = task("Standup", Some("2030-01-07T09:00:00Z"), None);
        new.recurrence = Some(todo_domain::Recurrence::parse("weekdays").unwrap());
        let t = store
            .create_task("u1", new.validate().unwrap())
            .await
            .unwrap();
        assert_eq!(t.reminders.len(), 1, "{url}");
        assert_eq!(t.reminders[0].when.before.as_deref(), Some("PT15M"));
        assert_eq!(t.reminders[0].fire_at, Some(utc("2030-01-07T08:45:00Z")));

        // An absolute reminder keeps its distance to the due time in the next occurrence.
        let patch = TaskPatch {
            reminders: Some(vec![
                When::At(utc("2030-01-06T20:00:00Z")),
                When::Before {
                    ms: 900_000,
                    on_day_at: None,
                },
            ]),
            ..Default::default()
        };
        store.update_task("u1", t.id, patch, false).await.unwrap();
        store.toggle_task("u1", t.id, false).await.unwrap();
        let page = store.list_tasks("u1", &Default::default()).await.unwrap();
        let next = page.tasks.iter().find(|n| !n.completed).unwrap();
        assert_eq!(next.due_at, Some(utc("2030-01-08T09:00:00Z")), "{url}");
        let fires: Vec<_> = next.reminders.iter().map(|r| r.fire_at).collect();
        assert_eq!(
            fires,
            [
                Some(utc("2030-01-07T20:00:00Z")),
                Some(utc("2030-01-08T08:45:00Z"))
            ],
            "{url}"
        );
        // A task with its own (empty) list of reminders does not get the default.
        let none = task("Quiet", Some("2030-01-07T09:00:00Z"), Some(vec![]));
        let quiet = store
            .create_task("u1", none.validate().unwrap())
            .await
            .unwrap();
        assert!(quiet.reminders.is_empty(), "{url}");
    }
}

#[tokio::test]
async fn late_reminders_are_marked_and_too_late_ones_dropped() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = open(&url).await;
        for (title, due) in [
            ("Recent", "2030-05-01T12:00:00Z"),
            ("Old", "2030-04-20T12:00:00Z"),
        ] {
            let new = task(title, Some(due), Some(vec![before("PT0S")]));
            store
                .create_task("u1", new.validate().unwrap())
                .await
                .unwrap();
        }
        // Back after downtime: "Recent" fell due 2 hours ago, "Old" 11 days ago.
        let now = utc("2030-05-01T14:00:00Z");
        let fired = store.fire_due_reminders(now, DAY, 100).await.unwrap();
        assert_eq!(
            (fired.fired, fired.late, fired.skipped.len()),
            (1, 1, 1),
            "{url}"
        );
        let (told, _) = store.notifications("u1", 10, None).await.unwrap();
        assert_eq!(told.len(), 1);
        assert!(told[0].late && told[0].title == "Recent", "{url}");
    }
}

#[tokio::test]
async fn the_previous_schema_migrates_with_its_data() {
    let (_dir, urls) = databases().await;
    for url in urls {
        migrate_before(&url, REMINDERS_MIGRATION).await;
        execute(
            &url,
            "INSERT INTO lists (id, user_id, name, name_key, position, inbox, created_at, updated_at) \
               VALUES (1, 'u1', 'Inbox', 'inbox', 0, TRUE, 1, 1);
             INSERT INTO tasks (user_id, title, title_key, search_text, completed, priority, tags, due_at, \
               created_at, updated_at, list_id) VALUES ('u1', 'Old task', 'old task', 'old task', FALSE, 2, '[]', \
               1900000000000, 1, 1, 1);
             INSERT INTO user_settings (user_id, time_zone) VALUES ('u1', 'Europe/Berlin');",
        )
        .await;
        let store = open(&url).await;
        let settings = store.settings("u1").await.unwrap();
        assert_eq!(settings.time_zone, "Europe/Berlin", "{url}");
        assert!(settings.notify_in_app && settings.notify_push && settings.notify_webhooks);
        assert_eq!(settings.default_reminder, None);
        let page = store.list_tasks("u1", &Default::default()).await.unwrap();
        assert_eq!(page.tasks.len(), 1, "{url}");
        assert!(page.tasks[0].reminders.is_empty());
        let id = page.tasks[0].id;
        let add = UpdateTask {
            reminders: Some(vec![before("PT1H")]),
            ..Default::default()
        };
        let t = store
            .update_task("u1", id, add.validate().unwrap(), false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            t.reminders[0].fire_at,
            Some(DateTime::from_timestamp_millis(1_900_000_000_000 - 3_600_000).unwrap()),
            "{url}"
        );
    }
}

/// Several processes on one PostgreSQL database: each reminder is fired by exactly one of them, and
/// each message claimed by one at a time, taken over only when its lease runs out.
#[tokio::test]
async fn stores_on_one_postgres_share_the_work_exactly_once() {
    let Some(pg) = todo_testkit::PgServer::shared() else {
        eprintln!("no PostgreSQL here; skipped");
        return;
    };
    let url = pg.new_database().await;
    let stores: Vec<Store> = futures_stores(&url, 4).await;
    let due = "2030-06-01T09:00:00Z";
    let mut sql = String::from("INSERT INTO webhooks (user_id, url, events, secret, created_at) VALUES ('u1', 'https://example.com/h', 'reminder.due', 'whsec_x', 1);");
    for i in 0..1000 {
        sql += &format!(
            "INSERT INTO tasks (user_id, title, title_key, search_text, completed, priority, tags, due_at, created_at, updated_at, list_id) \
             VALUES ('u{u}', 't{i}', 't{i}', 't{i}', FALSE, 2, '[]', {ms}, 1, 1, {list});
             INSERT INTO reminders (task_id, user_id, before_ms, fire_at, created_at) \
             VALUES (currval('tasks_id_seq'), 'u{u}', 0, {ms}, 1);",
            u = 1 + i % 2,
            ms = utc(due).timestamp_millis(),
            list = "(SELECT id FROM lists WHERE inbox LIMIT 1)",
        );
    }
    // Each user needs an Inbox for the tasks above.
    execute(
        &url,
        "INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at) VALUES ('u1', 'Inbox', 'inbox', 0, TRUE, 1, 1);",
    )
    .await;
    execute(&url, &sql).await;

    let now = utc(due) + Duration::seconds(1);
    let runs = stores.iter().cloned().map(|s| async move {
        let mut fired = 0;
        loop {
            let f = s.fire_due_reminders(now, DAY, 50).await.unwrap();
            fired += f.fired;
            if f.fired == 0 {
                return fired;
            }
        }
    });
    let counts = futures_join(runs).await;
    assert_eq!(counts.iter().sum::<usize>(), 1000, "{counts:?}");
    assert!(
        counts.iter().filter(|c| **c > 0).count() > 1,
        "work was shared: {counts:?}"
    );
    let (_, unread) = stores[0].notifications("u1", 1, None).await.unwrap();
    assert_eq!(unread, 500);

    // u1's 500 reminders each queued one message to u1's webhook; claimed once each.
    let lease = Duration::seconds(30);
    let claims = stores.iter().cloned().map(|s| async move {
        let mut ids = Vec::new();
        loop {
            let got = s.claim_deliveries(now, lease, 40).await.unwrap();
            if got.is_empty() {
                return ids;
            }
            ids.extend(got.into_iter().map(|d| d.id));
        }
    });
    let mut all: Vec<i64> = futures_join(claims).await.concat();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (500, 500));

    // Nothing is claimed again while leased; after the lease, all of them are, as second attempts.
    assert!(stores[1]
        .claim_deliveries(now + Duration::seconds(29), lease, 1000)
        .await
        .unwrap()
        .is_empty());
    let again = stores[2]
        .claim_deliveries(now + lease, lease, 1000)
        .await
        .unwrap();
    assert_eq!(again.len(), 500);
    assert!(again
        .iter()
        .all(|d| d.attempt == 2 && d.message_id.starts_with("msg_reminder_")));

    // A finished one is never claimed again; one to retry comes back at its time.
    let later = now + lease;
    let ok = Attempt {
        status_code: Some(204),
        error: None,
        retry_at: None,
        delivered: true,
    };
    stores[0]
        .record_attempt(again[0].id, &ok, later)
        .await
        .unwrap();
    let retry = Attempt {
        status_code: Some(503),
        error: Some("busy".into()),
        retry_at: Some(later + Duration::minutes(5)),
        delivered: false,
    };
    stores[0]
        .record_attempt(again[1].id, &retry, later)
        .await
        .unwrap();
    let far = later + Duration::hours(1);
    let third = stores[3].claim_deliveries(far, lease, 1000).await.unwrap();
    assert_eq!(third.len(), 499);
    assert!(third.iter().all(|d| d.id != again[0].id));
    for s in stores {
        s.close().await;
    }
}

async fn futures_stores(url: &str, n: usize) -> Vec<Store> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(open(url).await);
    }
    out
}

async fn futures_join<T: Send + 'static>(
    futs: impl Iterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// Web Push subscriptions: one row per endpoint, owned by whoever subscribed it last; an expired one
// is removed only while it still has the keys the failed message was encrypted for.

fn sub(endpoint: &str, p256dh: &str) -> NewPushSubscription {
    NewPushSubscription {
        endpoint: endpoint.into(),
        p256dh: p256dh.into(),
        auth: "auth".into(),
    }
}

#[tokio::test]
async fn an_endpoint_is_one_device_and_expiry_spares_a_renewed_one() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        let phone = "https://push.example/phone";
        let (first, created) = store
            .save_push_subscription("u1", &sub(phone, "k1"))
            .await
            .unwrap();
        assert!(created, "{url}");
        let (again, created) = store
            .save_push_subscription("u1", &sub(phone, "k2"))
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(again.id, first.id, "the same row, new keys");
        assert_eq!(
            store.push_target(first.id).await.unwrap().unwrap().p256dh,
            "k2"
        );

        // Another account signs in on that browser and subscribes: the device follows it.
        store
            .save_push_subscription("u2", &sub(phone, "k3"))
            .await
            .unwrap();
        assert!(
            store.push_subscriptions("u1").await.unwrap().is_empty(),
            "{url}"
        );
        assert_eq!(store.push_subscriptions("u2").await.unwrap().len(), 1);
        assert!(
            !store.delete_push_subscription("u1", phone).await.unwrap(),
            "not u1's any more"
        );

        // A 410 for a message encrypted for k2 does not remove the subscription renewed with k3…
        store
            .remove_expired_push_subscription(first.id, "k2")
            .await
            .unwrap();
        assert!(
            store.push_target(first.id).await.unwrap().is_some(),
            "{url}"
        );
        // …but does when the keys are the ones that failed.
        store
            .remove_expired_push_subscription(first.id, "k3")
            .await
            .unwrap();
        assert!(
            store.push_target(first.id).await.unwrap().is_none(),
            "{url}"
        );
        assert!(store.push_subscriptions("u2").await.unwrap().is_empty());
    }
}

/// The browser replaced a subscription: the user's old row goes and the new one is saved, in one
/// step; another user's row is never removed that way; the same endpoint with new keys keeps its row.
#[tokio::test]
async fn a_renewal_swaps_only_the_users_own_subscription() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        let (old, new, theirs) = (
            "https://push.example/old",
            "https://push.example/new",
            "https://push.example/theirs",
        );
        store
            .save_push_subscription("u1", &sub(old, "k1"))
            .await
            .unwrap();
        store
            .save_push_subscription("u2", &sub(theirs, "k9"))
            .await
            .unwrap();
        let endpoints = |user: &'static str| {
            let store = store.clone();
            async move {
                let rows = store.push_subscriptions(user).await.unwrap();
                rows.into_iter().map(|s| s.endpoint).collect::<Vec<_>>()
            }
        };

        let (saved, replaced) = store
            .renew_push_subscription("u1", Some(old), &sub(new, "k2"))
            .await
            .unwrap();
        assert!(replaced, "{url}");
        assert_eq!(endpoints("u1").await, [new], "{url}");

        let (_, replaced) = store
            .renew_push_subscription("u1", Some(theirs), &sub("https://push.example/more", "k3"))
            .await
            .unwrap();
        assert!(!replaced, "{url}");
        assert_eq!(endpoints("u2").await, [theirs], "{url}");

        let (rekeyed, replaced) = store
            .renew_push_subscription("u1", Some(new), &sub(new, "k4"))
            .await
            .unwrap();
        assert!(!replaced, "an update, not a removal: {url}");
        assert_eq!(rekeyed.id, saved.id, "{url}");
        assert_eq!(
            store.push_target(saved.id).await.unwrap().unwrap().p256dh,
            "k4"
        );
    }
}
