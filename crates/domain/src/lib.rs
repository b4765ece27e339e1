//! The task manager's domain: what a task, a user and a list query are, and the rules they obey.
//! Nothing here performs I/O, so every rule can be tested in isolation and reused by every role.
//! It must not depend on any other crate of this workspace, nor on a database, HTTP or a runtime.

mod chat;
mod import;
mod list;
mod notification;
mod push;
mod query;
mod recurrence;
mod reminder;
mod settings;
mod task;
mod user;
mod validation;
mod webhook;

pub use chat::{
    conversation_title, ChatReply, ChatRequest, ChatTurn, Conversation, Message, PastMessage, Role,
    ToolCall, ADD_TASK, COMPLETE_TASK, CREATE_LIST, DELETE_TASK, LIST_LISTS, LIST_REMINDERS,
    LIST_TASKS, MAX_MESSAGE_CHARS, UPDATE_TASK,
};
pub use chrono_tz::Tz;
pub use import::{ImportList, ImportPlan, ImportTask};
pub use list::{
    list_name_key, Colour, CreateList, ListPatch, NewList, TaskList, TasksOnDelete, UpdateList,
    INBOX, MAX_LIST_NAME_CHARS,
};
pub use notification::{Event, Notification};
pub use push::{
    decode_base64url, NewPushSubscription, PushEndpoint, PushKeysInput, PushRenewal,
    PushRenewalInput, PushSubscription, PushSubscriptionInput,
};
pub use query::{
    Cursor, Levels, ListQuery, Order, RawListQuery, SortKey, SortValue, Status, MAX_LIMIT,
    MAX_QUERY_CHARS,
};
pub use recurrence::{parse_time_zone, NextOccurrence, Recurrence, RepeatFrom, SeriesState};
pub use reminder::{
    check_reminders, format_duration, local_instant, parse_before, Reminder, ReminderInput, When,
    MAX_REMINDERS,
};
pub use settings::{Settings, SettingsPatch, UpdateSettings};
pub use task::{
    search_text, tag_pattern, title_key, CreateTask, NewTask, Priority, Task, TaskPatch,
    UpdateTask, MAX_DEPTH, MAX_DESCRIPTION_CHARS, MAX_TAGS, MAX_TAG_CHARS, MAX_TITLE_CHARS,
};
pub use user::{normalize_email, user_id_segment, Credentials, SignIn, SignUp, User};
pub use validation::{parse_due, ValidationError};
pub use webhook::{
    is_public, AttemptLog, CreateWebhook, DeliveryLog, NewWebhook, Webhook, MAX_WEBHOOKS,
    MAX_WEBHOOK_URL,
};
