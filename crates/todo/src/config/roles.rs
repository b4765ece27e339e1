//! The roles' own arguments (`serve`, `backend`, `frontend`, `mcp`, `migrate`), each validated into the
//! configuration its role runs with.

use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::server::Role;
use super::{
    bind_addr, non_empty, non_empty_secret, CommonArgs, ConfigError, ConnectionArgs,
    ConnectionLimits, ServerConfig,
};

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://todo.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// Apply migrations at start.
    #[arg(long, env = "AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct BackendArgs {
    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://todo.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// Apply migrations at start (a cluster runs `todo migrate` as a Job instead).
    #[arg(long, env = "AUTO_MIGRATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct FrontendArgs {
    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// Where the backend is reached, read at start (e.g. http://todo-backend:8000).
    #[arg(long, env = "BACKEND_URL")]
    pub backend_url: Option<String>,
    /// Alias of BACKEND_URL, as the seeds' ConfigMaps name it.
    #[arg(long, env = "NEXT_PUBLIC_API_URL", hide = true)]
    pub next_public_api_url: Option<String>,
    /// Mark the UI's cookies Secure (serve over HTTPS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// The frontend role, validated.
#[derive(Debug, Clone)]
pub struct FrontendConfig {
    pub addr: String,
    /// The backend's base URL, without a trailing slash.
    pub backend_url: String,
    pub web: todo_web::WebSettings,
    pub shutdown_delay: Duration,
    pub drain_timeout: Duration,
    pub connections: ConnectionLimits,
}

const DEFAULT_BACKEND_URL: &str = "http://127.0.0.1:8000";

impl FrontendArgs {
    pub fn into_config(self) -> Result<FrontendConfig, ConfigError> {
        let (name, raw) = match (
            non_empty(&self.backend_url),
            non_empty(&self.next_public_api_url),
        ) {
            (Some(u), _) => ("BACKEND_URL", u),
            (None, Some(u)) => ("NEXT_PUBLIC_API_URL", u),
            (None, None) => ("BACKEND_URL", DEFAULT_BACKEND_URL.to_owned()),
        };
        let bad = |why: &str| ConfigError(format!("{name} {why} (got {raw:?})"));
        let url =
            url::Url::parse(&raw).map_err(|_| bad("is not a URL like http://todo-backend:8000"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(bad("must be an http(s) URL with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        Ok(FrontendConfig {
            addr: bind_addr(&self.host, self.port)?,
            backend_url: url.as_str().trim_end_matches('/').to_owned(),
            web: todo_web::WebSettings {
                secure_cookies: self.secure_cookies,
            },
            shutdown_delay: self.connections.shutdown_delay(),
            drain_timeout: self.connections.drain_timeout(),
            connections: self.connections.limits()?,
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct McpArgs {
    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on [default: 8001, or PORT when set].
    #[arg(long, env = "MCP_SERVER_PORT")]
    pub port: Option<u16>,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://todo.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// Apply migrations at start.
    #[arg(long, env = "AUTO_MIGRATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,
    /// Speak MCP on standard input and output (for desktop MCP clients) instead of HTTP.
    #[arg(long)]
    pub stdio: bool,
    /// With --stdio: act as the user of this JWT (verified like API tokens).
    #[arg(
        long,
        env = "MCP_TOKEN",
        hide_env_values = true,
        conflicts_with = "user"
    )]
    pub token: Option<SecretString>,
    /// With --stdio: act as this local user (an email or a user id), for single-user setups.
    #[arg(long, env = "MCP_USER")]
    pub user: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct MigrateArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://todo.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// Keep retrying an unreachable database for this long before giving up.
    #[arg(long, env = "MIGRATE_WAIT_SECONDS", default_value_t = 60)]
    pub wait_seconds: u64,
    /// Migrate even if the SQLite database file can be read by other local users.
    #[arg(long, env = "ALLOW_READABLE_DATABASE", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_readable_database: bool,
}

/// Whom `todo mcp --stdio` acts for.
#[derive(Debug, Clone)]
pub enum StdioUser {
    /// The subject of this JWT.
    Token(SecretString),
    /// A local user, by email or id.
    Named(String),
}

impl ServeArgs {
    pub fn into_config(self) -> Result<ServerConfig, ConfigError> {
        self.common.into_config(
            self.host,
            self.port,
            self.database_url,
            self.auto_migrate,
            true,
            Role::Serve,
        )
    }
}

impl BackendArgs {
    pub fn into_config(self) -> Result<ServerConfig, ConfigError> {
        self.common.into_config(
            self.host,
            self.port,
            self.database_url,
            self.auto_migrate,
            false,
            Role::Backend,
        )
    }
}

impl McpArgs {
    /// `todo mcp --stdio`: the database and auth settings, and who the one local user is. On SQLite
    /// the database is migrated and a secret kept in it may be used, as `todo serve` does.
    pub fn into_stdio_config(self) -> Result<(ServerConfig, StdioUser), ConfigError> {
        let who = match (non_empty_secret(&self.token), non_empty(&self.user)) {
            (Some(t), _) => StdioUser::Token(t),
            (None, Some(u)) => StdioUser::Named(u),
            (None, None) => {
                return Err(ConfigError(
                    "todo mcp --stdio needs --user (MCP_USER: an email or user id) or --token (MCP_TOKEN: a JWT)".into(),
                ))
            }
        };
        let sqlite = self.database_url.expose_secret().starts_with("sqlite:");
        let config = self.common.into_config(
            "127.0.0.1".into(),
            0,
            self.database_url,
            self.auto_migrate || sqlite,
            sqlite,
            Role::Mcp,
        )?;
        Ok((config, who))
    }

    /// The HTTP server configuration (`todo mcp` without `--stdio`).
    pub fn into_config(self) -> Result<ServerConfig, ConfigError> {
        let port = match self.port {
            Some(p) => p,
            None => match std::env::var("PORT") {
                Ok(p) if !p.trim().is_empty() => p
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError(format!("PORT is not a port number: {p:?}")))?,
                _ => 8001,
            },
        };
        self.common.into_config(
            self.host,
            port,
            self.database_url,
            self.auto_migrate,
            false,
            Role::Mcp,
        )
    }
}
