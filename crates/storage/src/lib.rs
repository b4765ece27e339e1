//! Persistence for tasks, users and sessions. One set of SQL statements serves SQLite and PostgreSQL:
//! [`with_pool!`] expands each operation once per driver, so both run natively typed code without a
//! second implementation to keep in step. It depends only on the domain: nothing here knows about
//! HTTP, auth or the assistant.

mod chat;
mod error;
mod health;
mod idempotency;
mod lists;
mod outbox;
mod reminders;
mod settings;
mod store;
mod tasks;
mod throttle;
mod transfer;
mod tree;
mod users;

pub use chat::NewMessage;
pub use error::{StorageError, WriteFault};
pub use health::{Outage, Readiness};
pub use idempotency::{IdempotencyKey, Prior};
pub use lists::ListDeletion;
pub use outbox::{Attempt, Channel, Delivery, Fired};
pub use reminders::ReminderOf;
pub use store::{DbKind, Schema, Store, StoreOptions};
pub use tasks::TaskPage;
pub use throttle::FailedSignIns;
pub use transfer::Holdings;
pub use users::SessionUser;
