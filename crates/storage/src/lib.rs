//! Persistence for tasks, users and sessions. One set of SQL statements serves SQLite and PostgreSQL:
//! [`with_pool!`] expands each operation once per driver, so both run natively typed code without a
//! second implementation to keep in step. It depends only on the domain: nothing here knows about
//! HTTP, auth or the assistant.

mod calendar;
mod changes;
mod chat;
mod error;
mod health;
mod idempotency;
mod lists;
mod oauth;
mod outbox;
mod push;
mod reminders;
mod settings;
mod store;
mod tasks;
mod throttle;
mod transfer;
mod tree;
mod users;
mod webhooks;

pub use calendar::MAX_FEED_TASKS;
pub use changes::{Change, ChangeKind};
pub use chat::NewMessage;
pub use error::{StorageError, WriteFault};
pub use health::{Outage, Readiness};
pub use idempotency::{IdempotencyKey, Prior};
pub use lists::ListDeletion;
pub use oauth::{
    ConnectedApp, NewGrant, NewToken, OAuthClient, PersonalToken, RedeemedCode, Redemption,
    RefreshedGrant, StoredToken, TokenKind,
};
pub use outbox::{Attempt, Channel, Delivery, Fired};
pub use push::PushTarget;
pub use reminders::ReminderOf;
pub use store::{DbKind, Schema, Store, StoreOptions};
pub use tasks::TaskPage;
pub use throttle::FailedSignIns;
pub use transfer::Holdings;
pub use users::SessionUser;
pub use webhooks::WebhookTarget;
