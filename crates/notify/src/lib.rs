//! Reminders that arrive. Every `serve` and `backend` process runs a [`Scheduler`]; there is no
//! leader: on PostgreSQL the processes share the work through row locks and leases (see
//! `todo_storage::Store::fire_due_reminders`), so each reminder is told once and each message is
//! sent at least once, with an idempotency key, across crashes.

mod channels;
mod egress;
pub mod push;
mod scheduler;
mod webhook;

pub use channels::{Channels, Outcome, SendFuture, Sender};
pub use push::{KeyUnavailable, PushSender, PushSettings, Vapid, VapidKey};
pub use scheduler::{Clock, Scheduler, SchedulerSettings, SystemClock, Tick};
pub use webhook::{sign, WebhookSender, WebhookSettings, SECRET_PREFIX, WEBHOOK_TIMEOUT};
