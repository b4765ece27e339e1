use chrono::Utc;
use todo_domain::{Conversation, Message, Role, ToolCall};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

const CONVERSATION_COLUMNS: &str = "id, user_id, title, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "id, conversation_id, role, content, tool_calls, created_at";

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: i64,
    user_id: String,
    title: String,
    created_at: i64,
    updated_at: i64,
}

impl From<ConversationRow> for Conversation {
    fn from(r: ConversationRow) -> Self {
        Conversation {
            id: r.id,
            user_id: r.user_id,
            title: r.title,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    conversation_id: i64,
    role: String,
    content: String,
    tool_calls: Option<String>,
    created_at: i64,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Message {
            id: r.id,
            conversation_id: r.conversation_id,
            // Only this module writes roles, always from `Role::as_str`.
            role: Role::parse(&r.role).unwrap_or(Role::Assistant),
            content: r.content,
            tool_calls: r
                .tool_calls
                .and_then(|json| serde_json::from_str(&json).ok()),
            created_at: from_millis(r.created_at),
        }
    }
}

/// A message to append to a conversation.
#[derive(Clone, Copy)]
pub struct NewMessage<'a> {
    pub role: Role,
    pub content: &'a str,
    pub tool_calls: Option<&'a [ToolCall]>,
    /// What the built-in assistant keeps for the next turn (see `assistant_memory`).
    pub memory: Option<&'a str>,
}

impl Store {
    pub async fn create_conversation(
        &self,
        user_id: &str,
        title: &str,
    ) -> Result<Conversation, StorageError> {
        let now = millis(Utc::now());
        let sql = format!(
            "INSERT INTO conversations (user_id, title, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING {CONVERSATION_COLUMNS}"
        );
        let _turn = self.write_turn().await;
        let row: ConversationRow = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(title)
            .bind(now)
            .fetch_one(p)
            .await?);
        Ok(row.into())
    }

    /// The caller's conversation `id`; `None` for an unknown id or another user's conversation.
    pub async fn conversation(
        &self,
        user_id: &str,
        id: i64,
    ) -> Result<Option<Conversation>, StorageError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND user_id = $2"
        );
        let row: Option<ConversationRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(id)
            .bind(user_id)
            .fetch_optional(p)
            .await?);
        Ok(row.map(Into::into))
    }

    /// The caller's most recently active conversations first.
    pub async fn list_conversations(
        &self,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<Conversation>, StorageError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE user_id = $1 \
             ORDER BY updated_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<ConversationRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes the caller's conversation and its messages; `false` when there was none.
    pub async fn delete_conversation(&self, user_id: &str, id: i64) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let gone = sqlx::query("DELETE FROM conversations WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(gone == 1)
        })
    }

    /// Appends a message to the caller's conversation and marks the conversation active. `None` when
    /// the conversation is not the caller's (or was deleted meanwhile).
    pub async fn add_message(
        &self,
        user_id: &str,
        conversation_id: i64,
        m: NewMessage<'_>,
    ) -> Result<Option<Message>, StorageError> {
        let now = millis(Utc::now());
        let calls = m
            .tool_calls
            .map(|c| serde_json::to_string(c).expect("tool calls serialise"));
        let touch = "UPDATE conversations SET updated_at = $1 WHERE id = $2 AND user_id = $3";
        let insert = format!(
            "INSERT INTO messages (user_id, conversation_id, role, content, tool_calls, memory, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {MESSAGE_COLUMNS}"
        );
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let owned = sqlx::query(touch)
                .bind(now)
                .bind(conversation_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if owned == 0 {
                return Ok(None);
            }
            let row: MessageRow = sqlx::query_as(&insert)
                .bind(user_id)
                .bind(conversation_id)
                .bind(m.role.as_str())
                .bind(m.content)
                .bind(calls)
                .bind(m.memory)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(row.into()))
        })
    }

    /// The last `limit` messages of the caller's conversation, oldest first.
    pub async fn recent_messages(
        &self,
        user_id: &str,
        conversation_id: i64,
        limit: u32,
    ) -> Result<Vec<Message>, StorageError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND user_id = $2 \
             ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<MessageRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?);
        Ok(rows.into_iter().rev().map(Into::into).collect())
    }

    /// The memory stored with the newest assistant message of the caller's conversation, if any.
    pub async fn assistant_memory(
        &self,
        user_id: &str,
        conversation_id: i64,
    ) -> Result<Option<String>, StorageError> {
        let sql = "SELECT memory FROM messages WHERE conversation_id = $1 AND user_id = $2 \
                   AND role = $3 ORDER BY id DESC LIMIT 1";
        let memory: Option<Option<String>> = with_pool!(&self.pool, |p| sqlx::query_scalar(sql)
            .bind(conversation_id)
            .bind(user_id)
            .bind(Role::Assistant.as_str())
            .fetch_optional(p)
            .await?);
        Ok(memory.flatten())
    }
}
