pub mod auth;
pub mod chat;
pub mod health;
pub mod lists;
pub mod mcp;
pub mod notifications;
pub mod tasks;
pub mod transfer;
