//! The change bus: who changed what, for live views (MCP resource subscriptions, notification
//! streams). In one process a broadcast channel; on PostgreSQL also `NOTIFY` on one channel, which
//! every replica's listener turns back into local messages, so a change made on one replica reaches
//! subscribers on all of them. Messages are hints to re-read, not data: a lagging subscriber may miss
//! some and should then treat everything it watches as changed.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::{broadcast, oneshot};

use crate::store::Pool;
use crate::Store;

/// The PostgreSQL channel all replicas `LISTEN` on.
const CHANNEL: &str = "todo_changes";
/// Messages a slow subscriber may fall behind by before it sees `Lagged`.
const CAPACITY: usize = 1024;
/// Wait before listening again after the listener's connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(2);

/// Something of `user_id`'s changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub user_id: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The task with this id was created, changed or deleted.
    Task(i64),
    /// Many of the user's tasks at once (an import): whatever shows tasks may have changed.
    Tasks,
    /// The user's notifications changed.
    Notifications,
}

/// What travels through `NOTIFY`: the change and the process that published it, which already
/// delivered it locally.
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    #[serde(flatten)]
    change: Change,
}

#[derive(Debug)]
pub(crate) struct Changes {
    sender: broadcast::Sender<Change>,
    /// Names this process in its own `NOTIFY`s, so its listener skips what it already delivered.
    origin: String,
    /// Set once the PostgreSQL listener runs; dropping it (with the last `Store`) stops the listener.
    listening: OnceLock<oneshot::Sender<()>>,
}

impl Default for Changes {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Changes {
            sender: broadcast::channel(CAPACITY).0,
            origin: format!("{}-{nanos}", std::process::id()),
            listening: OnceLock::new(),
        }
    }
}

impl Store {
    /// Changes from now on, from this process and (on PostgreSQL) every other replica.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        let receiver = self.changes.sender.subscribe();
        if let Pool::Postgres(pool) = &self.pool {
            self.changes.listening.get_or_init(|| {
                let (stop, stopped) = oneshot::channel();
                tokio::spawn(listen(
                    pool.clone(),
                    self.changes.sender.clone(),
                    self.changes.origin.clone(),
                    stopped,
                ));
                stop
            });
        }
        receiver
    }

    /// Tells subscribers here, and on PostgreSQL every replica, about `change`. A change that cannot
    /// be sent is logged, not returned: the write it describes has happened.
    pub async fn publish(&self, change: Change) {
        self.publish_all(vec![change]).await;
    }

    /// [`Store::publish`] of several changes, in order; on PostgreSQL in one statement.
    async fn publish_all(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        if let Pool::Postgres(pool) = &self.pool {
            let payloads: Vec<String> = changes
                .iter()
                .map(|change| {
                    let wire = Wire {
                        origin: self.changes.origin.clone(),
                        change: change.clone(),
                    };
                    serde_json::to_string(&wire).expect("a change serialises")
                })
                .collect();
            // A function scan of the array: the notifications go out in its order.
            let sent = sqlx::query("SELECT pg_notify($1, p) FROM UNNEST($2::text[]) AS p")
                .bind(CHANNEL)
                .bind(payloads)
                .execute(pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not tell other replicas about a change");
            }
        }
        for change in changes {
            // No receivers is not an error: nobody is watching.
            let _ = self.changes.sender.send(change);
        }
    }

    /// The user's notifications changed (one was told, or some were read): live unread counts listen.
    pub(crate) async fn notifications_changed(&self, user_id: &str) {
        self.publish(Change {
            user_id: user_id.to_owned(),
            kind: ChangeKind::Notifications,
        })
        .await;
    }

    /// [`Store::publish`] of a change to one of `user_id`'s tasks.
    pub(crate) async fn task_changed(&self, user_id: &str, task_id: i64) {
        self.tasks_changed(user_id, &[task_id]).await;
    }

    /// A change for each of `task_ids`, published together.
    pub(crate) async fn tasks_changed(&self, user_id: &str, task_ids: &[i64]) {
        let changes = task_ids
            .iter()
            .map(|&id| Change {
                user_id: user_id.to_owned(),
                kind: ChangeKind::Task(id),
            })
            .collect();
        self.publish_all(changes).await;
    }
}

/// Relays other replicas' `NOTIFY`s to this process's subscribers until `stopped` fires (when the
/// last `Store` handle, which holds its sender, is dropped).
async fn listen(
    pool: PgPool,
    sender: broadcast::Sender<Change>,
    origin: String,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            Err(e) = relay(&pool, &sender, &origin) => {
                tracing::warn!(error = %e, "change listener lost its connection");
            }
        }
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(RELISTEN_AFTER) => {}
        }
    }
}

async fn relay(
    pool: &PgPool,
    sender: &broadcast::Sender<Change>,
    origin: &str,
) -> Result<Infallible, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let note = listener.recv().await?;
        match serde_json::from_str::<Wire>(note.payload()) {
            Ok(w) if w.origin == origin => {}
            Ok(w) => {
                let _ = sender.send(w.change);
            }
            Err(e) => tracing::warn!(error = %e, "unreadable change notification"),
        }
    }
}
