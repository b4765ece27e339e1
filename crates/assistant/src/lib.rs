//! The assistant: task tools defined once and reached in-process or over MCP, and the agents that
//! use them to answer a chat message (a model, or the built-in assistant of `todo-nlu`).

mod agent;
pub mod chat;
mod llm;
pub mod mcp;
pub mod tools;
mod turn;

pub use agent::{Assistant, Brain, TurnCaller};
pub use llm::{Model, ModelConfig, ModelError};
pub use todo_domain::{Role, ToolCall, Turn};
pub use tools::{catalog, ToolDef, ToolError};
pub use turn::{AgentEvent, Toolbox, TurnTools};
