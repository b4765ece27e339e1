//! One chat turn's access to the tools: who the caller is, which way the tools are reached, and a
//! record of every call made, which becomes the turn's `tool_calls` and its stream events.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;
use todo_storage::Store;

use crate::tools::{self, ToolError};

/// Where the tools run: in this process, on the store, or behind an MCP server.
#[derive(Clone)]
pub enum Toolbox {
    Local(Store),
}

/// One tool call as the chat API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
    /// The tool's answer, or `{"error": "…"}` when it refused.
    pub result: Value,
}

/// Something the agent did that a streaming client shows as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// More of the answer's text.
    Delta(String),
    ToolCall(ToolCall),
}

/// A past message of the conversation, as the agent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    Tool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub role: Role,
    pub content: String,
}

/// The tools as one turn of one user uses them.
pub struct TurnTools<'a> {
    toolbox: &'a Toolbox,
    user_id: &'a str,
    calls: Vec<ToolCall>,
    events: Option<UnboundedSender<AgentEvent>>,
}

impl<'a> TurnTools<'a> {
    pub fn new(toolbox: &'a Toolbox, user_id: &'a str) -> Self {
        TurnTools {
            toolbox,
            user_id,
            calls: Vec::new(),
            events: None,
        }
    }

    /// Reports each call (and the answer's text) on `events` as it happens.
    pub fn with_events(mut self, events: UnboundedSender<AgentEvent>) -> Self {
        self.events = Some(events);
        self
    }

    /// Calls tool `name`; every call, refused or not, is recorded.
    pub async fn call(&mut self, name: &str, arguments: Value) -> Result<Value, ToolError> {
        let outcome = match self.toolbox {
            Toolbox::Local(store) => tools::run(store, self.user_id, name, arguments.clone()).await,
        };
        let result = match &outcome {
            Ok(v) => v.clone(),
            Err(e) => json!({"error": e.to_string()}),
        };
        let call = ToolCall {
            name: name.to_owned(),
            arguments,
            result,
        };
        self.emit(AgentEvent::ToolCall(call.clone()));
        self.calls.push(call);
        outcome
    }

    /// Streams a piece of the answer's text.
    pub fn say(&self, text: &str) {
        if !text.is_empty() {
            self.emit(AgentEvent::Delta(text.to_owned()));
        }
    }

    pub fn calls(&self) -> &[ToolCall] {
        &self.calls
    }

    pub fn into_calls(self) -> Vec<ToolCall> {
        self.calls
    }

    fn emit(&self, event: AgentEvent) {
        if let Some(tx) = &self.events {
            // A client that hung up does not stop the turn: its result is stored all the same.
            let _ = tx.send(event);
        }
    }
}
