//! The assistant: task tools defined once and reached in-process or over MCP, and the agents that
//! use them to answer a chat message.

pub mod tools;
mod turn;

pub use tools::{catalog, ToolDef, ToolError};
pub use todo_domain::{Role, ToolCall};
pub use turn::{AgentEvent, Toolbox, Turn, TurnTools};
