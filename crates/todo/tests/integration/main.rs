//! End-to-end tests: the real server, real HTTP, real SQLite and PostgreSQL.

mod support;

mod api;
mod auth;
mod calendar;
mod chat;
mod connections;
mod faults;
mod lists;
mod mcp;
mod model;
mod oauth;
mod outages;
mod process;
mod push;
mod reliability;
mod reminder_fields;
mod reminders;
mod retries;
mod security;
mod tokens;
mod transfer;
mod webhooks;
