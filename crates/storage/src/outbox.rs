//! Firing due reminders and the outbox of messages to other channels. Any number of processes run
//! these against one database: on PostgreSQL each claims rows with `FOR UPDATE SKIP LOCKED`, so two
//! never take the same reminder or message; on SQLite one process owns the file.
//!
//! A reminder fires in one transaction that marks it sent, writes its in-app notification and queues
//! its messages: it is told exactly once, or (on a crash) not yet. A message is sent outside any
//! transaction under a lease; if the sender dies, the lease runs out and another process sends it
//! again, with the same `message_id` for the receiver to deduplicate (at least once).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use todo_domain::{Event, Notification};

use crate::store::{with_pool, Pool};
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

/// Rows of inserts batched into one statement (well under both databases' bind limits).
const INSERT_CHUNK: usize = 1000;

/// A reminder fired this late or later is marked late.
const LATE_AFTER: Duration = Duration::minutes(1);

/// What one pass of [`Store::fire_due_reminders`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fired {
    /// Reminders told, and how many of them late.
    pub fired: usize,
    pub late: usize,
    /// Reminders found more than the allowed lateness after their time and dropped: (id, fire_at).
    pub skipped: Vec<(i64, DateTime<Utc>)>,
    /// Users who got a new in-app notification (told on the change bus).
    pub notified: Vec<String>,
    /// Messages queued for other channels.
    pub queued: usize,
}

/// The channels the outbox sends through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Webhook,
    Push,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Push => "push",
        }
    }

    fn parse(s: &str) -> Option<Channel> {
        [Channel::Webhook, Channel::Push]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub user_id: String,
    pub channel: Channel,
    /// The webhook's or push subscription's id.
    pub target_id: i64,
    pub event: Event,
    /// Stable across retries: the receiver's idempotency key (`webhook-id`).
    pub message_id: String,
    /// The event as JSON: `{"type", "timestamp", "data"}` (the Standard Webhooks shape).
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
}

/// The outcome of one attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// `None`: finished (delivered, or given up when not `delivered`); else the next try's time.
    pub retry_at: Option<DateTime<Utc>>,
    pub delivered: bool,
}

/// A message queued in a transaction.
pub(crate) struct NewDelivery {
    pub user_id: String,
    pub channel: Channel,
    pub target_id: i64,
    pub event: Event,
    pub message_id: String,
    pub payload: String,
}

type DueRow = (
    i64,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    i64,
    bool,
    bool,
    bool,
);
type DeliveryRow = (i64, String, String, i64, String, String, String, i32);
type NotificationRow = (
    i64,
    Option<i64>,
    String,
    Option<i64>,
    Option<i64>,
    bool,
    i64,
    Option<i64>,
);

fn params(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|k| format!("${k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The event payload every channel carries for a reminder.
fn reminder_payload(row: &DueRow, late: bool, now: DateTime<Utc>) -> String {
    let (id, task_id, _, fire_at, title, due_at, list_id, ..) = row;
    json!({
        "type": Event::ReminderDue.as_str(),
        "timestamp": now,
        "data": {
            "reminder_id": id,
            "fire_at": from_millis(*fire_at),
            "late": late,
            "task": {"id": task_id, "title": title, "due_at": due_at.map(from_millis), "list_id": list_id},
        },
    })
    .to_string()
}

impl Store {
    /// Fires up to `limit` pending reminders due at `now`: each is marked sent, told in the app and
    /// queued for the user's other channels, in one transaction. One more than `max_late` past its time
    /// is dropped instead (and reported, for the log).
    pub async fn fire_due_reminders(
        &self,
        now: DateTime<Utc>,
        max_late: Duration,
        limit: u32,
    ) -> Result<Fired, StorageError> {
        let lock = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE OF r SKIP LOCKED",
        };
        let claim = format!(
            "SELECT r.id, r.task_id, r.user_id, r.fire_at, t.title, t.due_at, t.list_id, \
               COALESCE(s.notify_in_app, TRUE), COALESCE(s.notify_push, TRUE), COALESCE(s.notify_webhooks, TRUE) \
             FROM reminders r JOIN tasks t ON t.id = r.task_id \
             LEFT JOIN user_settings s ON s.user_id = r.user_id \
             WHERE r.status = 'pending' AND r.fire_at <= $1 ORDER BY r.fire_at, r.id LIMIT $2{lock}"
        );
        let turn = self.write_turn().await;
        let fired = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let due: Vec<DueRow> = sqlx::query_as(&claim)
                .bind(millis(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            if due.is_empty() {
                return Ok(Fired::default());
            }
            let mut fired = Fired::default();
            let (mut sent, mut skipped) = (Vec::new(), Vec::new());
            for row in &due {
                let age = now - from_millis(row.3);
                if age > max_late {
                    skipped.push(row.0);
                    fired.skipped.push((row.0, from_millis(row.3)));
                } else {
                    sent.push(row.0);
                }
            }
            for (ids, status) in [(&sent, "sent"), (&skipped, "skipped")] {
                for chunk in ids.chunks(INSERT_CHUNK) {
                    let sql = format!(
                        "UPDATE reminders SET status = $1, sent_at = $2 WHERE id IN ({})",
                        params(3, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(status).bind(millis(now));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            let firing: Vec<&DueRow> = due.iter().filter(|r| sent.contains(&r.0)).collect();
            let late = |r: &DueRow| now - from_millis(r.3) >= LATE_AFTER;
            fired.fired = firing.len();
            fired.late = firing.iter().filter(|r| late(r)).count();

            let in_app: Vec<&&DueRow> = firing.iter().filter(|r| r.7).collect();
            for chunk in in_app.chunks(INSERT_CHUNK) {
                let mut b = sqlx::QueryBuilder::new(
                    "INSERT INTO notifications (user_id, task_id, reminder_id, fire_at, title, due_at, late, created_at) ",
                );
                b.push_values(chunk, |mut b, r| {
                    b.push_bind(r.2.clone())
                        .push_bind(r.1)
                        .push_bind(r.0)
                        .push_bind(r.3)
                        .push_bind(r.4.clone())
                        .push_bind(r.5)
                        .push_bind(late(r))
                        .push_bind(millis(now));
                });
                b.push(" ON CONFLICT (reminder_id, fire_at) DO NOTHING");
                b.build().execute(&mut *tx).await?;
            }
            let notified: HashSet<&str> = in_app.iter().map(|r| r.2.as_str()).collect();
            fired.notified = notified.into_iter().map(str::to_owned).collect();

            // Each user's webhooks (subscribed to reminders) and push subscriptions, when switched on.
            let users = |pick: fn(&DueRow) -> bool| -> Vec<String> {
                let set: HashSet<&str> = firing
                    .iter()
                    .filter(|r| pick(r))
                    .map(|r| r.2.as_str())
                    .collect();
                set.into_iter().map(str::to_owned).collect()
            };
            let mut targets: HashMap<&str, Vec<(Channel, i64)>> = HashMap::new();
            let hooks = users(|r| r.9);
            let pushes = users(|r| r.8);
            let mut found: Vec<(Channel, i64, String)> = Vec::new();
            for (channel, who, sql) in [
                (
                    Channel::Webhook,
                    &hooks,
                    "SELECT id, user_id, events FROM webhooks WHERE disabled_at IS NULL AND user_id IN ",
                ),
                (
                    Channel::Push,
                    &pushes,
                    "SELECT id, user_id, '' FROM push_subscriptions WHERE user_id IN ",
                ),
            ] {
                for chunk in who.chunks(INSERT_CHUNK) {
                    let sql = format!("{sql}({}) ORDER BY id", params(1, chunk.len()));
                    let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
                    for u in chunk {
                        q = q.bind(u.as_str());
                    }
                    for (id, user, events) in q.fetch_all(&mut *tx).await? {
                        let wanted = channel == Channel::Push
                            || events
                                .split_whitespace()
                                .any(|e| e == Event::ReminderDue.as_str());
                        if wanted {
                            found.push((channel, id, user));
                        }
                    }
                }
            }
            for (channel, id, user) in &found {
                targets
                    .entry(user.as_str())
                    .or_default()
                    .push((*channel, *id));
            }
            let mut queue = Vec::new();
            for r in &firing {
                for (channel, target_id) in targets.get(r.2.as_str()).into_iter().flatten() {
                    queue.push(NewDelivery {
                        user_id: r.2.clone(),
                        channel: *channel,
                        target_id: *target_id,
                        event: Event::ReminderDue,
                        message_id: format!("msg_reminder_{}_{}", r.0, r.3),
                        payload: reminder_payload(r, late(r), now),
                    });
                }
            }
            fired.queued = queue.len();
            for chunk in queue.chunks(INSERT_CHUNK) {
                let mut b = sqlx::QueryBuilder::new(
                    "INSERT INTO deliveries (user_id, channel, target_id, event, message_id, payload, next_attempt_at, created_at) ",
                );
                b.push_values(chunk, |mut b, d| {
                    b.push_bind(d.user_id.clone())
                        .push_bind(d.channel.as_str())
                        .push_bind(d.target_id)
                        .push_bind(d.event.as_str())
                        .push_bind(d.message_id.clone())
                        .push_bind(d.payload.clone())
                        .push_bind(millis(now))
                        .push_bind(millis(now));
                });
                b.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            fired
        });
        drop(turn);
        for user in &fired.notified {
            self.notifications_changed(user).await;
        }
        Ok(fired)
    }

    /// When the scheduler next has work: the earliest pending reminder or message (a leased message
    /// counts from its lease's end).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        let sql = "SELECT (SELECT MIN(fire_at) FROM reminders WHERE status = 'pending'), \
                   (SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) \
                    FROM deliveries WHERE status = 'pending')";
        let (r, d): (Option<i64>, Option<i64>) =
            with_pool!(&self.pool, |p| sqlx::query_as(sql).fetch_one(p).await?);
        Ok(match (r, d) {
            (Some(a), Some(b)) => Some(from_millis(a.min(b))),
            (a, b) => a.or(b).map(from_millis),
        })
    }

    /// Claims up to `limit` messages due at `now` for `lease`; each claim counts as an attempt.
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError> {
        let lock = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE deliveries SET lease_until = $1, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
               AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING id, user_id, channel, target_id, event, message_id, payload, attempts"
        );
        let _turn = self.write_turn().await;
        let rows: Vec<DeliveryRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(millis(now + lease))
            .bind(millis(now))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, user_id, channel, target_id, event, message_id, payload, attempt)| {
                    Some(Delivery {
                        id,
                        user_id,
                        channel: Channel::parse(&channel)?,
                        target_id,
                        event: Event::parse(&event)?,
                        message_id,
                        payload,
                        attempt,
                    })
                },
            )
            .collect())
    }

    /// Logs an attempt at a claimed message and releases it: finished, or due again at `retry_at`.
    pub async fn record_attempt(
        &self,
        delivery_id: i64,
        attempt: &Attempt,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let status = match (attempt.delivered, attempt.retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        let finished = (status != "pending").then(|| millis(now));
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(delivery_id)
            .bind(millis(now))
            .bind(attempt.status_code.map(i32::from))
            .bind(attempt.error.as_deref())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE deliveries SET status = $1, lease_until = NULL, finished_at = $2, \
                 next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $4",
            )
            .bind(status)
            .bind(finished)
            .bind(attempt.retry_at.map(millis))
            .bind(delivery_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The user's notifications, newest first (before `before`, an id, for the next page), and how
    /// many are unread.
    pub async fn notifications(
        &self,
        user_id: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<Notification>, i64), StorageError> {
        let list = "SELECT id, task_id, title, due_at, fire_at, late, created_at, read_at FROM notifications \
                    WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        let (rows, unread): (Vec<NotificationRow>, i64) = with_pool!(&self.pool, |p| {
            let rows = sqlx::query_as(list)
                .bind(user_id)
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?;
            (rows, unread_in(p, user_id).await?)
        });
        let list = rows
            .into_iter()
            .map(
                |(id, task_id, title, due_at, fire_at, late, created_at, read_at)| Notification {
                    id,
                    task_id,
                    title,
                    due_at: due_at.map(from_millis),
                    fire_at: fire_at.map(from_millis),
                    late,
                    created_at: from_millis(created_at),
                    read: read_at.is_some(),
                },
            )
            .collect();
        Ok((list, unread))
    }

    pub async fn unread_notifications(&self, user_id: &str) -> Result<i64, StorageError> {
        Ok(with_pool!(&self.pool, |p| unread_in(p, user_id).await?))
    }

    /// Marks the given notifications of the user read (all of them with `None`); returns how many
    /// stay unread.
    pub async fn mark_notifications_read(
        &self,
        user_id: &str,
        ids: Option<&[i64]>,
    ) -> Result<i64, StorageError> {
        let now = millis(Utc::now());
        let turn = self.write_turn().await;
        let unread = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            match ids {
                None => {
                    sqlx::query(
                        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                    )
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(ids) => {
                    for chunk in ids.chunks(INSERT_CHUNK) {
                        let sql = format!(
                            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND id IN ({})",
                            params(3, chunk.len())
                        );
                        let mut q = sqlx::query(&sql).bind(now).bind(user_id);
                        for id in chunk {
                            q = q.bind(*id);
                        }
                        q.execute(&mut *tx).await?;
                    }
                }
            }
            let unread = unread_in(&mut *tx, user_id).await?;
            tx.commit().await?;
            unread
        });
        drop(turn);
        self.notifications_changed(user_id).await;
        Ok(unread)
    }
}

async fn unread_in<'e, DB, E>(exec: E, user_id: &str) -> Result<i64, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .fetch_one(exec)
            .await?;
    Ok(n)
}
