//! End-to-end tests: the real server, real HTTP, real SQLite and PostgreSQL.

mod support;

mod api;
mod auth;
mod chat;
mod connections;
mod faults;
mod lists;
mod mcp;
mod model;
mod outages;
mod process;
mod reliability;
mod reminder_fields;
mod retries;
mod security;
mod tokens;
mod transfer;
