//! Webhooks in storage on SQLite and PostgreSQL (when there is one): the schema before webhooks could
//! be disabled migrates with its webhooks, which keep receiving events.

mod common;

use common::{databases, execute, migrate_before};
use todo_domain::{CreateTask, Event};
use todo_storage::{Store, StoreOptions};

const WEBHOOKS_MIGRATION: i64 = 20261201000011;

#[tokio::test]
async fn the_previous_schema_migrates_with_its_webhooks() {
    let (_dir, urls) = databases().await;
    for url in urls {
        migrate_before(&url, WEBHOOKS_MIGRATION).await;
        execute(
            &url,
            "INSERT INTO webhooks (user_id, url, events, secret, created_at) \
               VALUES ('u1', 'https://example.com/h', 'task.created reminder.due', 'whsec_AAAA', 1);",
        )
        .await;
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        let hooks = store.webhooks("u1").await.unwrap();
        assert_eq!(hooks.len(), 1, "{url}");
        assert_eq!(hooks[0].events, [Event::TaskCreated, Event::ReminderDue]);
        assert_eq!(hooks[0].disabled_at, None);
        let new: CreateTask = serde_json::from_value(serde_json::json!({"title": "t"})).unwrap();
        store
            .create_task("u1", new.validate().unwrap())
            .await
            .unwrap();
        let hooks = store.webhooks("u1").await.unwrap();
        assert_eq!(hooks[0].deliveries.len(), 1, "{url}");
        assert_eq!(hooks[0].deliveries[0].event, "task.created");
        assert_eq!(hooks[0].deliveries[0].status, "pending");
        let target = store.webhook_target(hooks[0].id).await.unwrap().unwrap();
        assert_eq!(
            (target.secret.as_str(), target.disabled),
            ("whsec_AAAA", false)
        );
    }
}
