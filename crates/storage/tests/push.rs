//! Web Push subscriptions on SQLite and PostgreSQL (when there is one): one row per endpoint, owned by
//! whoever subscribed it last; an expired one is removed only while it still has the keys the failed
//! message was encrypted for.

mod common;

use common::databases;
use todo_domain::NewPushSubscription;
use todo_storage::{Store, StoreOptions};

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
