pub mod auth;
pub mod calendar;
pub mod chat;
pub mod health;
pub mod lists;
pub mod mcp;
pub mod tasks;
pub mod transfer;
