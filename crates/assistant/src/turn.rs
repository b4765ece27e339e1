//! One chat turn's access to the tools: who the caller is, which way the tools are reached, and a
//! record of every call made, which becomes the turn's `tool_calls` and its stream events.

use serde_json::{json, Value};
use todo_domain::ToolCall;
use todo_storage::Store;
use tokio::sync::mpsc::UnboundedSender;

use crate::mcp::{McpRemote, McpSession};
use crate::tools::{self, ToolError};

/// Where the tools run: in this process, on the store, or behind an MCP server.
#[derive(Clone)]
pub enum Toolbox {
    Local(Store),
    Remote(McpRemote),
}

/// Something the agent did that a streaming client shows as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The turn's conversation is known (sent first).
    Started {
        conversation_id: i64,
    },
    /// More of the answer's text.
    Delta(String),
    ToolCall(ToolCall),
}

/// The tools as one turn of one user uses them.
pub struct TurnTools<'a> {
    toolbox: &'a Toolbox,
    user_id: &'a str,
    /// The caller's bearer token, forwarded to a remote MCP server so it acts as the same user.
    token: Option<&'a str>,
    /// Opened on the first remote call and reused for the rest of the turn.
    session: Option<McpSession>,
    calls: Vec<ToolCall>,
    events: Option<UnboundedSender<AgentEvent>>,
}

impl<'a> TurnTools<'a> {
    pub fn new(toolbox: &'a Toolbox, user_id: &'a str) -> Self {
        TurnTools {
            toolbox,
            user_id,
            token: None,
            session: None,
            calls: Vec::new(),
            events: None,
        }
    }

    /// Forwards `token` when the tools are remote.
    pub fn with_token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
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
            Toolbox::Remote(remote) => self.remote_call(remote, name, arguments.clone()).await,
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

    /// Records a call that was refused before it could run (its arguments were unreadable).
    pub fn refused(&mut self, name: &str, arguments: Value, error: &str) {
        let call = ToolCall {
            name: name.to_owned(),
            arguments,
            result: json!({ "error": error }),
        };
        self.emit(AgentEvent::ToolCall(call.clone()));
        self.calls.push(call);
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

    /// Ends the turn: closes a remote session and hands back the calls made.
    pub async fn finish(self) -> Vec<ToolCall> {
        if let Some(session) = self.session {
            session.close().await;
        }
        self.calls
    }

    async fn remote_call(
        &mut self,
        remote: &McpRemote,
        name: &str,
        arguments: Value,
    ) -> Result<Value, ToolError> {
        if self.session.is_none() {
            let token = self.token.ok_or_else(|| {
                ToolError::Transport("no caller token to forward to the MCP server".into())
            })?;
            self.session = Some(remote.connect(token).await?);
        }
        let session = self.session.as_ref().expect("connected above");
        session.call(name, arguments).await
    }

    fn emit(&self, event: AgentEvent) {
        if let Some(tx) = &self.events {
            // A client that hung up does not stop the turn: its result is stored all the same.
            let _ = tx.send(event);
        }
    }
}

/// The built-in assistant reaches the tools through the turn, so its calls are recorded and
/// streamed like a model's.
impl todo_nlu::Tools for TurnTools<'_> {
    async fn call(&mut self, name: &str, arguments: Value) -> Result<Value, todo_nlu::ToolFailure> {
        TurnTools::call(self, name, arguments)
            .await
            .map_err(|e| match e {
                ToolError::NotFound(id) => todo_nlu::ToolFailure::NotFound(id),
                ToolError::Invalid(msg) => todo_nlu::ToolFailure::Invalid(msg),
                ToolError::Unavailable | ToolError::Transport(_) => {
                    todo_nlu::ToolFailure::Unreachable
                }
                other => todo_nlu::ToolFailure::Other(other.to_string()),
            })
    }

    /// Read straight from the store, so "undo" can restore a task without a recorded call; a
    /// remote MCP server offers no such read, so there changes made by name cannot be undone.
    async fn peek(&mut self, id: i64) -> Option<todo_domain::Task> {
        match self.toolbox {
            Toolbox::Local(store) => store.get_task(self.user_id, id).await.ok().flatten(),
            Toolbox::Remote(_) => None,
        }
    }
}
