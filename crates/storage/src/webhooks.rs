//! Users' webhooks, their delivery log, and task events queued for them in the task write's own
//! transaction (so an event is sent if and only if its write committed).

use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use sqlx::{Database, Encode, Type};
use todo_domain::{AttemptLog, DeliveryLog, Event, NewWebhook, Task, Webhook, MAX_WEBHOOKS};

use crate::reminders::ReminderRow;
use crate::store::with_pool;
use crate::tasks::{from_millis, millis, read_tasks, TaskRow};
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

/// The user's (`$1`) webhooks `w` that take events matching `$2` (an [`event_pattern`]) now: not
/// disabled, and the user's webhooks switch on.
const SUBSCRIBED: &str =
    "w.user_id = $1 AND w.disabled_at IS NULL AND (' ' || w.events || ' ') LIKE $2 \
     AND NOT EXISTS (SELECT 1 FROM user_settings s WHERE s.user_id = $1 AND NOT s.notify_webhooks)";

fn event_pattern(event: Event) -> String {
    format!("% {} %", event.as_str())
}

/// Events per statement of [`queue_task_events`] (two values each).
const EVENTS_PER_INSERT: usize = 1000;

/// Queues `event` about `task` for each of the user's webhooks subscribed to it, in the caller's
/// transaction; one indexed statement, which finds nothing for a user without webhooks. Returns
/// whether anything was queued.
pub(crate) async fn queue_task_event<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    event: Event,
    task: &Task,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    queue_task_events(tx, user_id, event, std::slice::from_ref(task), now).await
}

/// [`queue_task_event`] for each of `tasks`: one message per task (with its own id) for each
/// subscribed webhook, in a statement per [`EVENTS_PER_INSERT`] tasks.
pub(crate) async fn queue_task_events<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    event: Event,
    tasks: &[Task],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let mut queued = 0;
    for chunk in tasks.chunks(EVENTS_PER_INSERT) {
        // Each task's message id and payload, as rows `m` (columns `column1`, `column2` on both databases).
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 5 + 2 * i, 6 + 2 * i))
            .collect();
        let sql = format!(
            "INSERT INTO deliveries (user_id, channel, target_id, event, message_id, payload, next_attempt_at, created_at) \
             SELECT w.user_id, 'webhook', w.id, $3, m.column1, m.column2, $4, $4 \
             FROM webhooks w CROSS JOIN (VALUES {}) m WHERE {SUBSCRIBED} RETURNING id",
            rows.join(", ")
        );
        let mut q = sqlx::query_as::<DB, (i64,)>(&sql)
            .bind(user_id)
            .bind(event_pattern(event))
            .bind(event.as_str())
            .bind(millis(now));
        for task in chunk {
            let payload = json!({"type": event.as_str(), "timestamp": now, "data": {"task": task}});
            q = q.bind(message_id()).bind(payload.to_string());
        }
        queued += q.fetch_all(&mut **tx).await?.len();
    }
    Ok(queued > 0)
}

/// [`queue_task_events`] about the user's tasks `ids`, read back (with their reminders) only when
/// one of the user's webhooks takes `event`: a write of many tasks reads them for someone listening.
pub(crate) async fn queue_events_about<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    event: Event,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    TaskRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    if ids.is_empty() || !subscribed(tx, user_id, event).await? {
        return Ok(false);
    }
    let tasks = read_tasks(tx, user_id, ids).await?;
    queue_task_events(tx, user_id, event, &tasks, now).await
}

/// Whether any of the user's webhooks takes `event` now.
async fn subscribed<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    event: Event,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let sql = format!("SELECT w.id FROM webhooks w WHERE {SUBSCRIBED} LIMIT 1");
    let found: Option<(i64,)> = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(event_pattern(event))
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
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
