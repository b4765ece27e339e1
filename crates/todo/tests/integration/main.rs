//! End-to-end tests: the real server, real HTTP, real SQLite and PostgreSQL.

mod support;

mod api;
mod auth;
mod chat;
mod connections;
mod mcp;
mod model;
mod process;
mod tokens;
