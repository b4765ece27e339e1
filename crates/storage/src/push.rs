//! Web Push subscriptions: one row per browser endpoint, owned by the user who subscribed it last.

use chrono::Utc;
use todo_domain::{NewPushSubscription, PushSubscription};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

/// Where and how to send one push message (RFC 8291 keys as base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl Store {
    /// Stores the browser's subscription for `user_id`; `true` when it is new. An endpoint belongs to
    /// one browser profile, so the same endpoint sent again (new keys, or another account signed in on
    /// that browser) replaces the row: the device follows whoever subscribed it last.
    pub async fn save_push_subscription(
        &self,
        user_id: &str,
        s: &NewPushSubscription,
    ) -> Result<(PushSubscription, bool), StorageError> {
        let (saved, created, _) = self.store_push_subscription(user_id, None, s).await?;
        Ok((saved, created))
    }

    /// The browser swapped its subscription at `old_endpoint` for `s` (its service worker's
    /// `pushsubscriptionchange`): in one transaction the user's old row goes (another user's stays) and
    /// `s` is saved as [`Store::save_push_subscription`] does. `true` when an old row went (never for
    /// the same endpoint with new keys, which is an update).
    pub async fn renew_push_subscription(
        &self,
        user_id: &str,
        old_endpoint: Option<&str>,
        s: &NewPushSubscription,
    ) -> Result<(PushSubscription, bool), StorageError> {
        let (saved, _, replaced) = self
            .store_push_subscription(user_id, old_endpoint, s)
            .await?;
        Ok((saved, replaced))
    }

    /// Saves `s`, first removing the user's `replacing` endpoint; (row, created, replaced).
    async fn store_push_subscription(
        &self,
        user_id: &str,
        replacing: Option<&str>,
        s: &NewPushSubscription,
    ) -> Result<(PushSubscription, bool, bool), StorageError> {
        let now = millis(Utc::now());
        let _turn = self.write_turn().await;
        let (id, created_at, existed, replaced): (i64, i64, bool, bool) =
            with_pool!(&self.pool, |p| {
                let mut tx = p.begin().await?;
                let mut replaced = false;
                // The same endpoint with new keys is an update, keeping the row (and what is queued for it).
                if let Some(old) = replacing.filter(|o| *o != s.endpoint) {
                    replaced = sqlx::query(
                        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2",
                    )
                    .bind(user_id)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0;
                }
                let existed: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM push_subscriptions WHERE endpoint = $1")
                        .bind(&s.endpoint)
                        .fetch_optional(&mut *tx)
                        .await?;
                let row: (i64, i64) = sqlx::query_as(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE SET \
                     user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, \
                     created_at = excluded.created_at RETURNING id, created_at",
                )
                .bind(user_id)
                .bind(&s.endpoint)
                .bind(&s.p256dh)
                .bind(&s.auth)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                (row.0, row.1, existed.is_some(), replaced)
            });
        Ok((
            PushSubscription {
                id,
                endpoint: s.endpoint.clone(),
                created_at: from_millis(created_at),
            },
            !existed,
            replaced,
        ))
    }

    /// The user's subscribed devices, oldest first.
    pub async fn push_subscriptions(
        &self,
        user_id: &str,
    ) -> Result<Vec<PushSubscription>, StorageError> {
        let sql = "SELECT id, endpoint, created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY id";
        let rows: Vec<(i64, String, i64)> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(id, endpoint, created_at)| PushSubscription {
                id,
                endpoint,
                created_at: from_millis(created_at),
            })
            .collect())
    }

    /// Removes the user's subscription at `endpoint`; `false` when there was none.
    pub async fn delete_push_subscription(
        &self,
        user_id: &str,
        endpoint: &str,
    ) -> Result<bool, StorageError> {
        let sql = "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2";
        let _turn = self.write_turn().await;
        let n = with_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(user_id)
            .bind(endpoint)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// The subscription a queued message goes to; `None` once it was removed.
    pub async fn push_target(&self, id: i64) -> Result<Option<PushTarget>, StorageError> {
        let sql = "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE id = $1";
        let row: Option<(String, String, String)> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|(endpoint, p256dh, auth)| PushTarget {
            endpoint,
            p256dh,
            auth,
        }))
    }

    /// Forgets a subscription the push service said is gone (404/410), unless the browser has
    /// re-subscribed it with other keys since (`p256dh` is what the message was sent with).
    pub async fn remove_expired_push_subscription(
        &self,
        id: i64,
        p256dh: &str,
    ) -> Result<(), StorageError> {
        let sql = "DELETE FROM push_subscriptions WHERE id = $1 AND p256dh = $2";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(id)
            .bind(p256dh)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }
}
