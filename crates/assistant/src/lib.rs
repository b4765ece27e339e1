//! The assistant: task tools defined once and reached in-process or over MCP, and the agents that
//! use them to answer a chat message.

pub mod builtin;
pub mod tools;
mod turn;

pub use tools::{catalog, ToolDef, ToolError};
pub use turn::{AgentEvent, Role, ToolCall, Toolbox, Turn, TurnTools};
