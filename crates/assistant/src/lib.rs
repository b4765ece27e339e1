//! The assistant: task tools defined once and reached in-process or over MCP, and the agents that
//! use them to answer a chat message.

mod agent;
pub mod builtin;
pub mod chat;
mod llm;
pub mod mcp;
pub mod tools;
mod turn;

pub use agent::{Assistant, Brain, TurnCaller};
pub use llm::{Model, ModelConfig, ModelError};
pub use todo_domain::{Role, ToolCall};
pub use tools::{catalog, ToolDef, ToolError};
pub use turn::{AgentEvent, Toolbox, Turn, TurnTools};
