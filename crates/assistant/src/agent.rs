//! Which brain answers a turn: a model through its chat-completions endpoint, or the built-in offline
//! assistant. Both act only through the turn's tools.

use chrono::DateTime;
use todo_domain::Tz;
use tokio::sync::mpsc::UnboundedSender;

use crate::llm::Model;
use crate::turn::{AgentEvent, Toolbox, TurnTools};
use crate::{PastMessage, ToolCall};

/// What answers chat messages.
#[derive(Clone)]
pub enum Brain {
    /// The deterministic offline assistant: no key, no network.
    Builtin,
    Model(Model),
}

impl Brain {
    pub fn describe(&self) -> String {
        match self {
            Brain::Builtin => "built-in assistant".into(),
            Brain::Model(m) => format!("{} model {}", m.config().provider, m.config().model),
        }
    }
}

/// The assistant of one process: its brain and the way it reaches the tools.
#[derive(Clone)]
pub struct Assistant {
    pub brain: Brain,
    pub toolbox: Toolbox,
}

/// A turn's answer: its text, the tool calls made (in order), and what the built-in assistant keeps
/// for the conversation's next turn (`None` from a model).
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub memory: Option<String>,
}

/// Who a turn is for.
pub struct TurnCaller<'a> {
    pub user_id: &'a str,
    /// The caller's bearer token, forwarded when the tools are behind a remote MCP server.
    pub token: Option<&'a str>,
}

impl Assistant {
    /// Answers `message` after `history` (and the built-in assistant's `memory` of the last
    /// answer), at `now` on the user's clock (their time zone), which both brains read dates on.
    pub async fn respond(
        &self,
        caller: TurnCaller<'_>,
        history: &[PastMessage],
        memory: Option<&str>,
        message: &str,
        now: DateTime<Tz>,
        events: Option<UnboundedSender<AgentEvent>>,
    ) -> Answer {
        let mut tools = TurnTools::new(&self.toolbox, caller.user_id);
        if let Some(token) = caller.token {
            tools = tools.with_token(token);
        }
        if let Some(events) = events {
            tools = tools.with_events(events);
        }
        let mut memory_next = None;
        let text = match &self.brain {
            Brain::Builtin => {
                let reply = builtin(history, memory, message, now, &mut tools).await;
                memory_next = Some(reply.memory);
                reply.text
            }
            Brain::Model(model) => match model.reply(history, message, &mut tools, now).await {
                Ok(text) => text,
                Err(e) => {
                    tracing::warn!(error = %e, "model failed");
                    let provider = model.config().provider;
                    if tools.calls().is_empty() {
                        // Nothing was done yet, so the built-in assistant can take the whole turn.
                        let note = format!("The AI model ({provider}) is not available right now, so the built-in assistant answered. ");
                        tools.say(&note);
                        let reply = builtin(history, memory, message, now, &mut tools).await;
                        memory_next = Some(reply.memory);
                        format!("{note}{}", reply.text)
                    } else {
                        // Redoing the turn could repeat what the model already did; report it instead.
                        let done: Vec<&str> =
                            tools.calls().iter().map(|c| c.name.as_str()).collect();
                        let text = format!("The AI model ({provider}) stopped answering partway. It had already run: {}. Please check your tasks and ask again if something is missing.", done.join(", "));
                        tools.say(&text);
                        text
                    }
                }
            },
        };
        Answer {
            text,
            tool_calls: tools.finish().await,
            memory: memory_next,
        }
    }
}

/// The built-in assistant's answer, streamed as one piece: it has no partial text to show earlier.
async fn builtin(
    history: &[PastMessage],
    memory: Option<&str>,
    message: &str,
    now: DateTime<Tz>,
    tools: &mut TurnTools<'_>,
) -> todo_nlu::Reply {
    let reply = todo_nlu::reply(history, memory, message, tools, now).await;
    tools.say(&reply.text);
    reply
}
