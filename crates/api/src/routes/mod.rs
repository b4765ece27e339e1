pub mod auth;
pub mod chat;
pub mod health;
pub mod mcp;
pub mod tasks;
