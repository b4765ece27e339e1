//! The assistant: task tools defined once and reached in-process or over MCP, and the agents that
//! use them to answer a chat message (a model, or the built-in assistant of `todo-nlu`). It must not
//! depend on the HTTP API, auth or the web UI (they call into it); it acts for a user id it is given.

mod agent;
pub mod chat;
mod llm;
pub mod mcp;
pub mod tools;
mod turn;
pub mod views;

pub use agent::{Answer, Assistant, Brain, TurnCaller};
pub use llm::{Model, ModelConfig, ModelError};
pub use todo_domain::{PastMessage, Role, ToolCall};
pub use tools::{catalog, ToolDef, ToolError};
pub use turn::{AgentEvent, Toolbox, TurnTools};
