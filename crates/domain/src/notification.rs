//! What users are told: in-app notifications and the events other channels carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One in-app notification (today: a reminder that went off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// The task it is about; `null` once the task is deleted.
    pub task_id: Option<i64>,
    /// The task's title when it went off.
    pub title: String,
    pub due_at: Option<DateTime<Utc>>,
    /// When the reminder was set to go off.
    pub fire_at: Option<DateTime<Utc>>,
    /// Delivered noticeably after its time (the server was down or busy).
    pub late: bool,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// Events users can subscribe webhooks to; the names are the Standard Webhooks `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Event {
    #[serde(rename = "task.created")]
    TaskCreated,
    #[serde(rename = "task.updated")]
    TaskUpdated,
    #[serde(rename = "task.completed")]
    TaskCompleted,
    #[serde(rename = "task.deleted")]
    TaskDeleted,
    #[serde(rename = "reminder.due")]
    ReminderDue,
    /// Sent on request from the settings page; not subscribable.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl Event {
    /// The events a webhook can subscribe to.
    pub const ALL: [Event; 5] = [
        Event::TaskCreated,
        Event::TaskUpdated,
        Event::TaskCompleted,
        Event::TaskDeleted,
        Event::ReminderDue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::TaskCreated => "task.created",
            Event::TaskUpdated => "task.updated",
            Event::TaskCompleted => "task.completed",
            Event::TaskDeleted => "task.deleted",
            Event::ReminderDue => "reminder.due",
            Event::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        Self::ALL
            .into_iter()
            .chain([Event::WebhookTest])
            .find(|e| e.as_str() == name.trim())
    }
}
