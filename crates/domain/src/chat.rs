//! Conversations with the assistant: what is stored per turn and what the chat API exchanges.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::validation::ValidationError;

/// Longest chat message accepted, in characters: a paragraph, not a document.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Conversation titles are the first words of the first message.
const TITLE_CHARS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        }
    }
}

/// One tool call the assistant made during a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ToolCall {
    #[schema(example = "add_task")]
    pub name: String,
    #[schema(value_type = Object, example = json!({"title": "Buy milk"}))]
    pub arguments: Value,
    /// The tool's answer, or `{"error": "…"}` when it refused.
    #[schema(value_type = Object, example = json!({"task_id": 12, "status": "created", "title": "Buy milk"}))]
    pub result: Value,
}

/// The task tools' names: one contract for their definitions (MCP, models) and the built-in assistant.
pub const ADD_TASK: &str = "add_task";
pub const LIST_TASKS: &str = "list_tasks";
pub const COMPLETE_TASK: &str = "complete_task";
pub const DELETE_TASK: &str = "delete_task";
pub const UPDATE_TASK: &str = "update_task";
/// The lists' tools, next to the original five.
pub const LIST_LISTS: &str = "list_lists";
pub const CREATE_LIST: &str = "create_list";
/// The reminders' read tool.
pub const LIST_REMINDERS: &str = "list_reminders";

/// A past message of a conversation, as an assistant sees it. (A "turn" is one whole exchange: the
/// user's message, the tool calls it led to and the answer.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: String,
    /// The tools an assistant message called, in order; `null` otherwise.
    pub tool_calls: Option<Vec<ToolCall>>,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/{user_id}/chat`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChatRequest {
    /// Continue this conversation; omit to start a new one.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub conversation_id: Option<i64>,
    #[schema(example = "Add a task to buy milk", min_length = 1, max_length = 4000)]
    pub message: String,
}

/// A validated chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTurn {
    pub conversation_id: Option<i64>,
    pub message: String,
}

impl ChatRequest {
    pub fn validate(self) -> Result<ChatTurn, ValidationError> {
        let mut e = ValidationError::default();
        let message = self.message.trim().to_owned();
        let n = message.chars().count();
        if n == 0 {
            e.add("message", "must not be empty");
        } else if n > MAX_MESSAGE_CHARS {
            e.add(
                "message",
                format!("must be at most {MAX_MESSAGE_CHARS} characters (got {n})"),
            );
        } else if message
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            e.add("message", "must not contain control characters");
        }
        if matches!(self.conversation_id, Some(id) if id < 1) {
            e.add("conversation_id", "must be a positive integer");
        }
        e.into_result(ChatTurn {
            conversation_id: self.conversation_id,
            message,
        })
    }
}

/// Answer of `POST /api/{user_id}/chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChatReply {
    pub conversation_id: i64,
    pub response: String,
    pub tool_calls: Vec<ToolCall>,
}

/// A conversation's title: its first message, on one line and cut at a word near 60 characters.
pub fn conversation_title(first_message: &str) -> String {
    let line: String = first_message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.chars().count() <= TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(TITLE_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > TITLE_CHARS / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_and_cut_at_a_word() {
        assert_eq!(conversation_title("  add\n milk  "), "add milk");
        let long = "please add a task to buy groceries for the whole week including vegetables";
        let t = conversation_title(long);
        assert!(
            t.ends_with('…') && t.chars().count() <= TITLE_CHARS + 1,
            "{t}"
        );
        assert!(long.starts_with(t.trim_end_matches('…')));
    }

    #[test]
    fn chat_requests_are_validated() {
        let bad = ChatRequest {
            conversation_id: Some(0),
            message: " \n".into(),
        };
        let e = bad.validate().unwrap_err();
        assert!(e.fields.contains_key("message") && e.fields.contains_key("conversation_id"));
        let ok = ChatRequest {
            conversation_id: None,
            message: " hi ".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.message, "hi");
    }
}
