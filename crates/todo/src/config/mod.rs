//! Command line and environment, parsed once into typed configuration. Every setting is a flag and an
//! environment variable (names follow the seeds' ConfigMaps); bad values stop the process with one line
//! that names the variable. Secrets (the JWT secret, API keys, database URLs, tokens) are `SecretString`
//! from the moment they are parsed, so no `Debug` print or log line can show them.

mod assistant;
mod connections;
mod oauth;
mod push;
mod roles;
mod scheduler;
mod server;
#[cfg(test)]
mod tests;
mod transfer;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

pub use crate::listener::ConnectionLimits;
pub use assistant::{AssistantArgs, Provider};
pub use connections::ConnectionArgs;
pub use oauth::OAuthArgs;
pub use push::{PushArgs, PushConfig};
pub use roles::{
    BackendArgs, FrontendArgs, FrontendConfig, McpArgs, MigrateArgs, ServeArgs, StdioUser,
};
pub use scheduler::SchedulerArgs;
pub use server::{CommonArgs, Secret, ServerConfig, MIN_SECRET_CHARS};
pub use transfer::{AccountArgs, ExportArgs, ImportArgs};

#[derive(Parser, Debug)]
#[command(
    name = "todo",
    version,
    about = "A self-hostable task manager you can talk to.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `todo` alone runs `todo serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Everything in one process on one port (the default): API, web and assistant, on SQLite by default.
    Serve(ServeArgs),
    /// The REST API role for a cluster (port 8000).
    Backend(BackendArgs),
    /// The web UI role (port 3000): pages, and `/api/*` forwarded to the backend at BACKEND_URL.
    Frontend(FrontendArgs),
    /// The MCP server: the task tools over Streamable HTTP at /mcp (port 8001), or over stdio.
    Mcp(McpArgs),
    /// Apply pending database migrations and exit.
    Migrate(MigrateArgs),
    /// Write a user's lists and tasks as one JSON document (what GET /api/{user_id}/export answers).
    Export(ExportArgs),
    /// Import a file of tasks for a user: an export document, a Todoist CSV template or a plain CSV.
    Import(ImportArgs),
    /// Exit 0 when URL answers 2xx within 3 s: a liveness check for images without a shell.
    Healthcheck {
        /// For example http://127.0.0.1:8000/health
        url: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    /// Log filter: a level (`info`, `debug`…) or a tracing filter (`todo=debug,info`).
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,
    /// `json` or `pretty`; by default JSON unless standard output is a terminal.
    #[arg(long, env = "LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// `host:port`, with IPv6 literals bracketed so `HOST=::` binds every interface.
fn bind_addr(host: &str, port: u16) -> Result<String, ConfigError> {
    let host = host.trim();
    if host.is_empty() {
        return Err(ConfigError("HOST must not be empty".into()));
    }
    Ok(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// An http(s) URL with a host, or an error naming `name`.
fn http_url(name: &str, raw: &str) -> Result<url::Url, ConfigError> {
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| ConfigError(format!("{name} is not an http(s) URL: {raw:?}")))
}

/// A configuration problem, phrased for the one line the process prints before exiting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Like [`non_empty`], for a secret: trimmed, and still a secret.
fn non_empty_secret(v: &Option<SecretString>) -> Option<SecretString> {
    v.as_ref()
        .map(|s| s.expose_secret().trim())
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
}

fn check_url(name: &str, v: Option<String>) -> Result<Option<String>, ConfigError> {
    match v {
        Some(u) if url::Url::parse(&u).is_err() => {
            Err(ConfigError(format!("{name} is not a valid URL: {u:?}")))
        }
        v => Ok(v),
    }
}

/// The browser origin (`scheme://host[:port]`, as browsers send it) of a configured URL, so
/// `https://App.example.com/` matches the `Origin` header `https://app.example.com`.
fn origin_of(value: &str) -> Result<String, ConfigError> {
    if value == "*" {
        return Err(ConfigError(
            "CORS_ORIGINS cannot be * (the API accepts credentials); list the allowed origins"
                .into(),
        ));
    }
    let bad = |why: &str| ConfigError(format!("CORS_ORIGINS entry {value:?} {why}"));
    let url =
        url::Url::parse(value).map_err(|_| bad("is not a URL like https://app.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("must be an http(s) URL with a host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must be an origin, without a path, query or fragment"));
    }
    Ok(url.origin().ascii_serialization())
}
