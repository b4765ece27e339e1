//! Users' webhooks, their delivery log, and task events queued for them in the task write's own
//! transaction (so an event is sent if and only if its write committed).

use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use sqlx::{Database, Encode, Type};
use todo_domain::{AttemptLog, DeliveryLog, Event, NewWebhook, Task, Webhook, MAX_WEBHOOKS};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

/// Messages per webhook the listing shows.
const RECENT_DELIVERIES: i64 = 20;

/// What the sender needs to reach a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    /// `whsec_…`; the caller keeps it in a secret type.
    pub secret: String,
    pub disabled: bool,
}

type WebhookRow = (i64, String, String, i64, Option<i64>);
type LogRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i32>,
    Option<String>,
);

/// A message id no other message has (the receiver's idempotency key).
fn message_id() -> String {
    format!(
        "msg_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 24)
    )
}

fn events_of(text: &str) -> Vec<Event> {
    text.split_whitespace().filter_map(Event::parse).collect()
}

/// Queues `event` about `task` for each of the user's webhooks subscribed to it (when the user has
/// webhooks switched on), in the caller's transaction; one indexed statement, which finds nothing for
/// a user without webhooks. Returns whether anything was queued.
pub(crate) async fn queue_task_event<'e, DB, E>(
    exec: E,
    user_id: &str,
    event: Event,
    task: &Task,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let payload = json!({"type": event.as_str(), "timestamp": now, "data": {"task": task}});
    let queued: Vec<(i64,)> = sqlx::query_as(
        "INSERT INTO deliveries (user_id, channel, target_id, event, message_id, payload, next_attempt_at, created_at) \
         SELECT w.user_id, 'webhook', w.id, $2, $3, $4, $5, $5 FROM webhooks w \
         WHERE w.user_id = $1 AND w.disabled_at IS NULL AND (' ' || w.events || ' ') LIKE $6 \
         AND NOT EXISTS (SELECT 1 FROM user_settings s WHERE s.user_id = $1 AND NOT s.notify_webhooks) \
         RETURNING id",
    )
    .bind(user_id)
    .bind(event.as_str())
    .bind(message_id())
    .bind(payload.to_string())
    .bind(millis(now))
    .bind(format!("% {} %", event.as_str()))
    .fetch_all(exec)
    .await?;
    Ok(!queued.is_empty())
}

impl Store {
    /// Registers a webhook; `None` when the user already has [`MAX_WEBHOOKS`].
    pub async fn create_webhook(
        &self,
        user_id: &str,
        new: &NewWebhook,
        secret: &str,
    ) -> Result<Option<Webhook>, StorageError> {
        let now = Utc::now();
        let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhooks WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if n >= MAX_WEBHOOKS as i64 {
                return Ok(None);
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO webhooks (user_id, url, events, secret, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user_id)
            .bind(&new.url)
            .bind(events.join(" "))
            .bind(secret)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(Webhook {
                id,
                url: new.url.clone(),
                events: new.events.clone(),
                created_at: from_millis(millis(now)),
                disabled_at: None,
                deliveries: Vec::new(),
            }))
        })
    }

    /// The user's webhooks, oldest first, each with its most recent messages and their attempts.
    pub async fn webhooks(&self, user_id: &str) -> Result<Vec<Webhook>, StorageError> {
        let hooks = "SELECT id, url, events, created_at, disabled_at FROM webhooks WHERE user_id = $1 ORDER BY id";
        // The newest messages of each of the user's webhooks, with their attempts (a left join: a
        // message not tried yet has none).
        let log = "SELECT d.target_id, d.id, d.message_id, d.event, d.status, d.created_at, d.next_attempt_at, \
                     a.attempted_at, a.status_code, a.error \
                   FROM deliveries d LEFT JOIN delivery_attempts a ON a.delivery_id = d.id \
                   WHERE d.channel = 'webhook' AND d.user_id = $1 AND d.id IN ( \
                     SELECT r.id FROM deliveries r WHERE r.channel = 'webhook' AND r.target_id = d.target_id \
                     ORDER BY r.id DESC LIMIT $2) \
                   ORDER BY d.target_id, d.id DESC, a.id";
        let (rows, logs): (Vec<WebhookRow>, Vec<LogRow>) = with_pool!(&self.pool, |p| {
            let rows = sqlx::query_as(hooks).bind(user_id).fetch_all(p).await?;
            let logs = sqlx::query_as(log)
                .bind(user_id)
                .bind(RECENT_DELIVERIES)
                .fetch_all(p)
                .await?;
            (rows, logs)
        });
        let mut hooks: Vec<Webhook> = rows
            .into_iter()
            .map(|(id, url, events, created_at, disabled_at)| Webhook {
                id,
                url,
                events: events_of(&events),
                created_at: from_millis(created_at),
                disabled_at: disabled_at.map(from_millis),
                deliveries: Vec::new(),
            })
            .collect();
        let mut last: Option<i64> = None;
        for (target, delivery, message_id, event, status, created, next, at, code, error) in logs {
            let Some(hook) = hooks.iter_mut().find(|h| h.id == target) else {
                continue;
            };
            if last != Some(delivery) {
                last = Some(delivery);
                hook.deliveries.push(DeliveryLog {
                    message_id,
                    event,
                    next_attempt_at: (status == "pending").then(|| from_millis(next)),
                    status,
                    created_at: from_millis(created),
                    attempts: Vec::new(),
                });
            }
            if let (Some(at), Some(log)) = (at, hook.deliveries.last_mut()) {
                log.attempts.push(AttemptLog {
                    at: from_millis(at),
                    status_code: code.and_then(|c| u16::try_from(c).ok()),
                    error,
                });
            }
        }
        Ok(hooks)
    }

    /// Deletes the user's webhook and its messages (pending ones are not sent); false when there is
    /// no such webhook.
    pub async fn delete_webhook(&self, user_id: &str, id: i64) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let gone = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone > 0 {
                sqlx::query("DELETE FROM deliveries WHERE channel = 'webhook' AND target_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(gone > 0)
        })
    }

    /// Queues a `webhook.test` message for the user's webhook; its message id, or `None` when there
    /// is no such webhook.
    pub async fn queue_test_event(
        &self,
        user_id: &str,
        id: i64,
    ) -> Result<Option<String>, StorageError> {
        let now = Utc::now();
        let message_id = message_id();
        let payload = json!({
            "type": Event::WebhookTest.as_str(),
            "timestamp": now,
            "data": {"webhook_id": id},
        });
        let _turn = self.write_turn().await;
        let queued = with_pool!(&self.pool, |p| {
            sqlx::query(
            "INSERT INTO deliveries (user_id, channel, target_id, event, message_id, payload, next_attempt_at, created_at) \
             SELECT user_id, 'webhook', id, $3, $4, $5, $6, $6 FROM webhooks WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .bind(Event::WebhookTest.as_str())
        .bind(&message_id)
        .bind(payload.to_string())
        .bind(millis(now))
        .execute(p)
        .await?
        .rows_affected()
        });
        if queued == 0 {
            return Ok(None);
        }
        self.scheduled().notify_one();
        Ok(Some(message_id))
    }

    /// Where a message to webhook `id` goes; `None` once the webhook is deleted.
    pub async fn webhook_target(&self, id: i64) -> Result<Option<WebhookTarget>, StorageError> {
        let row: Option<(String, String, Option<i64>)> = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT url, secret, disabled_at FROM webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(url, secret, disabled)| WebhookTarget {
            url,
            secret,
            disabled: disabled.is_some(),
        }))
    }

    /// Stops sending to webhook `id` (its endpoint said 410 Gone).
    pub async fn disable_webhook(&self, id: i64, now: DateTime<Utc>) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
            )
            .bind(millis(now))
            .bind(id)
            .execute(p)
            .await?;
        });
        Ok(())
    }
}
