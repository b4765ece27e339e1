//! One stateless chat turn: everything a turn needs is read from the database and everything it
//! produces is written back, so any replica can serve any turn and a restart loses nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use todo_domain::{conversation_title, ChatReply, Conversation, PastMessage, Role};
use todo_storage::{NewMessage, StorageError, Store};
use tokio::sync::mpsc::UnboundedSender;

use crate::agent::{Assistant, TurnCaller};
use crate::turn::AgentEvent;

/// Past messages the agent sees: enough for follow-ups and confirmations, bounded so a long
/// conversation costs the same per turn as a short one.
pub const HISTORY_WINDOW: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The conversation does not exist for this user.
    #[error("conversation not found")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Runs one turn for `caller` in `conversation` (the caller's, already looked up), or in a new one
/// when it is `None`. The user's message is stored before the agent runs and the answer after, so a
/// crash mid-turn still leaves the question on record.
pub async fn run_turn(
    store: &Store,
    assistant: &Assistant,
    caller: TurnCaller<'_>,
    conversation: Option<Conversation>,
    message: &str,
    events: Option<UnboundedSender<AgentEvent>>,
) -> Result<ChatReply, ChatError> {
    run_turn_at(
        store,
        assistant,
        caller,
        conversation,
        message,
        events,
        Utc::now(),
    )
    .await
}

/// [`run_turn`] as if it were `now` (for the built-in assistant's dates).
pub async fn run_turn_at(
    store: &Store,
    assistant: &Assistant,
    caller: TurnCaller<'_>,
    conversation: Option<Conversation>,
    message: &str,
    events: Option<UnboundedSender<AgentEvent>>,
    now: DateTime<Utc>,
) -> Result<ChatReply, ChatError> {
    let user_id = caller.user_id;
    let conversation = match conversation {
        Some(c) => c,
        None => {
            store
                .create_conversation(user_id, &conversation_title(message))
                .await?
        }
    };
    if let Some(tx) = &events {
        let _ = tx.send(AgentEvent::Started {
            conversation_id: conversation.id,
        });
    }
    let history: Vec<PastMessage> = store
        .recent_messages(user_id, conversation.id, HISTORY_WINDOW)
        .await?
        .into_iter()
        .map(|m| PastMessage {
            role: m.role,
            content: m.content,
        })
        .collect();
    let memory = store.assistant_memory(user_id, conversation.id).await?;
    let user_message = NewMessage {
        role: Role::User,
        content: message,
        tool_calls: None,
        memory: None,
    };
    store
        .add_message(user_id, conversation.id, user_message)
        .await?
        .ok_or(ChatError::NotFound)?;

    // The built-in assistant reads "tomorrow at 5pm" on the user's clock.
    let zone = store.settings(user_id).await?.zone();
    let answer = assistant
        .respond(
            caller,
            &history,
            memory.as_deref(),
            message,
            now.with_timezone(&zone),
            events,
        )
        .await;
    let (response, tool_calls) = (answer.text, answer.tool_calls);

    let stored = NewMessage {
        role: Role::Assistant,
        content: &response,
        tool_calls: (!tool_calls.is_empty()).then_some(&tool_calls[..]),
        memory: answer.memory.as_deref(),
    };
    // A conversation deleted while the agent ran just drops the answer; the tasks it changed stay.
    store_answer(store, user_id, conversation.id, stored).await?;
    Ok(ChatReply {
        conversation_id: conversation.id,
        response,
        tool_calls,
    })
}

/// Longest single wait between attempts to store an answer; the waits double up to it (~6 s in all).
const ANSWER_RETRY_MAX_WAIT: Duration = Duration::from_millis(3200);

/// Stores the answer, waiting out a database outage: the tools have already acted, and losing the
/// answer would hide what they did and invite the client to retry (and repeat them).
async fn store_answer(
    store: &Store,
    user_id: &str,
    conversation_id: i64,
    answer: NewMessage<'_>,
) -> Result<(), StorageError> {
    let mut wait = Duration::from_millis(200);
    loop {
        match store.add_message(user_id, conversation_id, answer).await {
            Err(StorageError::Unavailable(e)) if wait <= ANSWER_RETRY_MAX_WAIT => {
                tracing::warn!(error = %e, retry_in = ?wait, "cannot store the assistant's answer yet");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            stored => return stored.map(drop),
        }
    }
}
