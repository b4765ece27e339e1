//! Command line and environment, parsed once into typed configuration. Every setting is a flag and an
//! environment variable (names follow the seeds' ConfigMaps); bad values stop the process with one line
//! that names the variable. Secrets (the JWT secret, API keys, database URLs, tokens) are `SecretString`
//! from the moment they are parsed, so no `Debug` print or log line can show them.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use todo_api::{AllowedHosts, ApiSettings, HttpLimits, Surface};
use todo_assistant::ModelConfig;
use todo_storage::StoreOptions;

pub use crate::listener::ConnectionLimits;

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
    /// After SIGTERM, keep serving this long so load balancers notice, then drain.
    #[arg(long, env = "SHUTDOWN_DELAY_SECONDS", default_value_t = 0)]
    pub shutdown_delay_seconds: u64,
    /// Longest wait for in-flight requests after shutdown begins.
    #[arg(long, env = "DRAIN_TIMEOUT_SECONDS", default_value_t = 20)]
    pub drain_timeout_seconds: u64,
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
            shutdown_delay: Duration::from_secs(self.shutdown_delay_seconds),
            drain_timeout: Duration::from_secs(self.drain_timeout_seconds),
            connections: self.connections.limits()?,
        })
    }
}

/// How long clients may hold connections without using them, and how many they may hold: a flood
/// of silent or trickling clients must not take the server from everyone else.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// Close a connection whose client takes longer than this from a request's first byte to the end
    /// of its headers.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,
    /// Close a connection with no request in progress for this long (a new or a keep-alive one).
    /// Above the 60 s idle timeout of common load balancers, so they close first.
    #[arg(long, env = "IDLE_TIMEOUT_SECONDS", default_value_t = 75)]
    pub idle_timeout_seconds: u64,
    /// Most client connections open at once, kept below the open-file limit (`ulimit -n`); when
    /// full, the oldest idle connection is closed to make room.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
}

impl ConnectionArgs {
    fn limits(&self) -> Result<ConnectionLimits, ConfigError> {
        if self.header_read_timeout_seconds == 0 || self.idle_timeout_seconds == 0 {
            return Err(ConfigError(
                "HEADER_READ_TIMEOUT_SECONDS and IDLE_TIMEOUT_SECONDS must be at least 1".into(),
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError("MAX_CONNECTIONS must be at least 1".into()));
        }
        Ok(ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            idle_timeout: Duration::from_secs(self.idle_timeout_seconds),
            max_connections: self.max_connections,
        })
    }
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
}

/// Settings shared by the server roles.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// HS256 signing secret, at least 32 characters. `todo serve` generates and keeps one if unset.
    #[arg(long, env = "BETTER_AUTH_SECRET", hide_env_values = true)]
    pub better_auth_secret: Option<SecretString>,
    /// Public URL of the auth server; its JWKS (`<url>/api/auth/jwks`) is the last fallback.
    #[arg(long, env = "BETTER_AUTH_URL")]
    pub better_auth_url: Option<String>,
    /// Required `iss` of tokens, and the `iss` of tokens this server issues.
    #[arg(long, env = "BETTER_AUTH_ISSUER")]
    pub better_auth_issuer: Option<String>,
    /// Required `aud` of tokens, when set.
    #[arg(long, env = "BETTER_AUTH_AUDIENCE")]
    pub better_auth_audience: Option<String>,
    /// JWKS of an external Better Auth server, for EdDSA/ES256/RS256 tokens.
    #[arg(long, env = "BETTER_AUTH_JWKS_URL")]
    pub better_auth_jwks_url: Option<String>,
    /// In-cluster base URL of the auth server; its JWKS is `<url>/api/auth/jwks` (used when BETTER_AUTH_JWKS_URL is unset).
    #[arg(long, env = "BACKEND_BETTER_AUTH_URL")]
    pub backend_better_auth_url: Option<String>,
    /// Lifetime of the JWTs `GET /api/auth/token` issues.
    #[arg(long, env = "JWT_TTL_SECONDS", default_value_t = 900)]
    pub jwt_ttl_seconds: u64,
    /// Lifetime of a sign-in session.
    #[arg(long, env = "SESSION_TTL_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_seconds: u64,
    /// Comma-separated browser origins allowed to call the API.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// The web UI's public URL; also allowed as a browser origin.
    #[arg(long, env = "FRONTEND_URL")]
    pub frontend_url: Option<String>,
    /// Mark session cookies Secure (serve over HTTPS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// Database connections this process keeps at most (readiness uses one more of its own).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
    /// Longest wait for a free database connection before a request is answered 503.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_SECONDS", default_value_t = 5)]
    pub database_acquire_timeout_seconds: u64,
    /// A request running longer is answered 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// Largest accepted request body.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit_bytes: usize,
    /// After SIGTERM, keep serving (unready) this long so load balancers notice, then drain.
    #[arg(long, env = "SHUTDOWN_DELAY_SECONDS", default_value_t = 0)]
    pub shutdown_delay_seconds: u64,
    /// Longest wait for in-flight requests after shutdown begins.
    #[arg(long, env = "DRAIN_TIMEOUT_SECONDS", default_value_t = 20)]
    pub drain_timeout_seconds: u64,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub assistant: AssistantArgs,
}

/// Which model answers chat messages, and where the tools are.
#[derive(Args, Debug, Clone)]
pub struct AssistantArgs {
    /// `auto` picks a model when a key (or OPENAI_BASE_URL) is set, else the built-in assistant.
    #[arg(long, env = "LLM_PROVIDER", default_value = "auto")]
    pub llm_provider: Provider,
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<SecretString>,
    /// Any OpenAI-compatible API root, e.g. http://localhost:11434/v1 for Ollama.
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    #[arg(long, env = "OPENAI_MODEL", default_value = "gpt-4o-mini")]
    pub openai_model: String,
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<SecretString>,
    #[arg(long, env = "GEMINI_MODEL", default_value = "gemini-2.0-flash")]
    pub gemini_model: String,
    #[arg(long, env = "COHERE_API_KEY", hide_env_values = true)]
    pub cohere_api_key: Option<SecretString>,
    #[arg(long, env = "COHERE_MODEL", default_value = "command-a-03-2025")]
    pub cohere_model: String,
    /// Bound on one request to the model.
    #[arg(long, env = "LLM_TIMEOUT_SECONDS", default_value_t = 60)]
    pub llm_timeout_seconds: u64,
    /// Most model round trips in one chat turn.
    #[arg(long, env = "LLM_MAX_STEPS", default_value_t = 8)]
    pub llm_max_steps: usize,
    /// Where the agent reaches the MCP server (e.g. http://todo-mcp:8001); unset: tools in-process.
    #[arg(long, env = "MCP_SERVER_URL")]
    pub mcp_server_url: Option<String>,
    /// Extra comma-separated host names /mcp answers to (`*.example.com` and `*` allowed). Loopback,
    /// single-label Service names and `*.svc[.cluster.local]` are always accepted.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub mcp_allowed_hosts: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Auto,
    Openai,
    Gemini,
    Cohere,
    Builtin,
}

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const GEMINI_BASE: &str = "https://generativelanguage.googleapis.com/v1beta/openai";
const COHERE_BASE: &str = "https://api.cohere.ai/compatibility/v1";

impl AssistantArgs {
    /// The model to use, or `None` for the built-in assistant.
    fn model(&self) -> Result<Option<ModelConfig>, ConfigError> {
        let openai_key = non_empty_secret(&self.openai_api_key);
        let openai_base = non_empty(&self.openai_base_url)
            .map(|u| http_url("OPENAI_BASE_URL", &u).map(String::from))
            .transpose()?;
        let gemini_key = non_empty_secret(&self.gemini_api_key);
        let cohere_key = non_empty_secret(&self.cohere_api_key);
        let provider = match self.llm_provider {
            Provider::Auto if openai_key.is_some() || openai_base.is_some() => Provider::Openai,
            Provider::Auto if gemini_key.is_some() => Provider::Gemini,
            Provider::Auto if cohere_key.is_some() => Provider::Cohere,
            Provider::Auto => Provider::Builtin,
            p => p,
        };
        let missing = |var: &str| {
            ConfigError(format!(
                "LLM_PROVIDER={} needs {var}",
                format!("{provider:?}").to_lowercase()
            ))
        };
        let (name, base_url, api_key, model) = match provider {
            Provider::Builtin | Provider::Auto => return Ok(None),
            Provider::Openai => {
                if openai_key.is_none() && openai_base.is_none() {
                    return Err(missing(
                        "OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)",
                    ));
                }
                let base = openai_base.unwrap_or_else(|| OPENAI_BASE.into());
                ("openai", base, openai_key, self.openai_model.clone())
            }
            Provider::Gemini => {
                let key = gemini_key.ok_or_else(|| missing("GEMINI_API_KEY"))?;
                (
                    "gemini",
                    GEMINI_BASE.into(),
                    Some(key),
                    self.gemini_model.clone(),
                )
            }
            Provider::Cohere => {
                let key = cohere_key.ok_or_else(|| missing("COHERE_API_KEY"))?;
                (
                    "cohere",
                    COHERE_BASE.into(),
                    Some(key),
                    self.cohere_model.clone(),
                )
            }
        };
        if self.llm_timeout_seconds == 0 || self.llm_max_steps == 0 {
            return Err(ConfigError(
                "LLM_TIMEOUT_SECONDS and LLM_MAX_STEPS must be at least 1".into(),
            ));
        }
        Ok(Some(ModelConfig {
            provider: name,
            base_url,
            api_key,
            model,
            timeout: Duration::from_secs(self.llm_timeout_seconds),
            max_steps: self.llm_max_steps,
            retries: 3,
        }))
    }

    /// The MCP endpoint of `MCP_SERVER_URL`: the seeds give the server's root, so `/mcp` is added.
    fn mcp_endpoint(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = non_empty(&self.mcp_server_url) else {
            return Ok(None);
        };
        let mut url = http_url("MCP_SERVER_URL", &raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError(format!(
                "MCP_SERVER_URL must not carry a query or fragment: {raw:?}"
            )));
        }
        if !url.path().trim_end_matches('/').ends_with("/mcp") {
            let path = format!("{}/mcp", url.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        Ok(Some(url.into()))
    }
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

/// The JWT secret: given, or (for `todo serve` only) generated once and kept in the database.
#[derive(Debug, Clone)]
pub enum Secret {
    Given(SecretString),
    Generate,
}

/// Everything a server role needs, validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: String,
    pub database_url: SecretString,
    pub store: StoreOptions,
    pub auto_migrate: bool,
    pub secret: Secret,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub jwks_url: Option<String>,
    pub jwt_ttl: Duration,
    pub api: ApiSettings,
    pub shutdown_delay: Duration,
    pub drain_timeout: Duration,
    pub connections: ConnectionLimits,
    /// Serve the web UI beside the API (`todo serve`).
    pub with_ui: bool,
    /// What this role serves besides the probes.
    pub surface: Surface,
    /// The model behind the chat; `None` for the built-in assistant.
    pub model: Option<ModelConfig>,
    /// The MCP endpoint the agent's tools are reached through; `None` for in-process tools.
    pub mcp_server_url: Option<String>,
}

pub const MIN_SECRET_CHARS: usize = 32;
/// A day: these tokens cannot be revoked, so they stay short-lived.
const MAX_JWT_TTL: u64 = 24 * 3600;
/// A year.
const MAX_SESSION_TTL: u64 = 366 * 24 * 3600;

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

impl CommonArgs {
    fn into_config(
        self,
        host: String,
        port: u16,
        database_url: SecretString,
        auto_migrate: bool,
        may_generate_secret: bool,
        role: Role,
    ) -> Result<ServerConfig, ConfigError> {
        let hosts = || AllowedHosts::with_defaults(&self.assistant.mcp_allowed_hosts);
        let surface = match role {
            Role::Serve => Surface {
                api: true,
                mcp: Some(hosts()),
            },
            Role::Backend => Surface {
                api: true,
                mcp: None,
            },
            Role::Mcp => Surface {
                api: false,
                mcp: Some(hosts()),
            },
        };
        let model = self.assistant.model()?;
        let mcp_server_url = self.assistant.mcp_endpoint()?;
        // Used exactly as given (not trimmed): it must match the other party's copy byte for byte.
        let given = self
            .better_auth_secret
            .filter(|s| !s.expose_secret().trim().is_empty());
        let secret = match given {
            Some(s) if s.expose_secret().chars().count() < MIN_SECRET_CHARS => {
                return Err(ConfigError(format!(
                    "BETTER_AUTH_SECRET must be at least {MIN_SECRET_CHARS} characters (got {})",
                    s.expose_secret().chars().count()
                )))
            }
            Some(s) => Secret::Given(s),
            // Generating needs the settings table, which only exists once migrations have run.
            None if may_generate_secret && auto_migrate => Secret::Generate,
            None if may_generate_secret => {
                return Err(ConfigError(
                    "BETTER_AUTH_SECRET is required when AUTO_MIGRATE=false (at least 32 characters)".into(),
                ))
            }
            None => {
                return Err(ConfigError(format!(
                    "BETTER_AUTH_SECRET is required (at least {MIN_SECRET_CHARS} characters; e.g. `openssl rand -base64 32`)"
                )))
            }
        };
        // The JWKS: given outright, or under the auth server's in-cluster URL, or under its public URL.
        let auth_base = check_url(
            "BACKEND_BETTER_AUTH_URL",
            non_empty(&self.backend_better_auth_url),
        )?
        .or(check_url(
            "BETTER_AUTH_URL",
            non_empty(&self.better_auth_url),
        )?);
        let jwks_url = match non_empty(&self.better_auth_jwks_url) {
            Some(u) => Some(u),
            None => auth_base.map(|base| {
                if base.ends_with("/jwks") {
                    base
                } else {
                    format!("{}/api/auth/jwks", base.trim_end_matches('/'))
                }
            }),
        };
        let jwks_url = check_url("BETTER_AUTH_JWKS_URL", jwks_url)?;
        let frontend_url = check_url("FRONTEND_URL", non_empty(&self.frontend_url))?;
        let given = self
            .cors_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty());
        let mut cors_origins = given.map(origin_of).collect::<Result<Vec<_>, _>>()?;
        // FRONTEND_URL is the UI's address, which may have a path: only its origin matters here.
        if let Some(u) = frontend_url
            .as_deref()
            .and_then(|f| url::Url::parse(f).ok())
        {
            if !matches!(u.scheme(), "http" | "https") {
                return Err(ConfigError(format!(
                    "FRONTEND_URL must be an http(s) URL (got {u})"
                )));
            }
            cors_origins.push(u.origin().ascii_serialization());
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError(
                "DATABASE_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        if self.database_acquire_timeout_seconds == 0 {
            return Err(ConfigError(
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS must be at least 1".into(),
            ));
        }
        if self.request_timeout_seconds == 0 {
            return Err(ConfigError(
                "REQUEST_TIMEOUT_SECONDS must be at least 1".into(),
            ));
        }
        if !(1..=MAX_JWT_TTL).contains(&self.jwt_ttl_seconds) {
            return Err(ConfigError(format!(
                "JWT_TTL_SECONDS must be 1–{MAX_JWT_TTL}"
            )));
        }
        if !(1..=MAX_SESSION_TTL).contains(&self.session_ttl_seconds) {
            return Err(ConfigError(format!(
                "SESSION_TTL_SECONDS must be 1–{MAX_SESSION_TTL}"
            )));
        }
        let addr = bind_addr(&host, port)?;
        Ok(ServerConfig {
            addr,
            database_url,
            store: StoreOptions {
                max_connections: self.database_max_connections,
                acquire_timeout: Duration::from_secs(self.database_acquire_timeout_seconds),
            },
            auto_migrate,
            secret,
            issuer: non_empty(&self.better_auth_issuer),
            audience: non_empty(&self.better_auth_audience),
            jwks_url,
            jwt_ttl: Duration::from_secs(self.jwt_ttl_seconds),
            api: ApiSettings {
                limits: HttpLimits {
                    body_limit: self.body_limit_bytes,
                    request_timeout: Duration::from_secs(self.request_timeout_seconds),
                },
                cors_origins,
                session_ttl: Duration::from_secs(self.session_ttl_seconds),
                secure_cookies: self.secure_cookies,
            },
            shutdown_delay: Duration::from_secs(self.shutdown_delay_seconds),
            drain_timeout: Duration::from_secs(self.drain_timeout_seconds),
            connections: self.connections.limits()?,
            with_ui: matches!(role, Role::Serve),
            surface,
            model,
            mcp_server_url,
        })
    }
}

/// Whom `todo mcp --stdio` acts for.
#[derive(Debug, Clone)]
pub enum StdioUser {
    /// The subject of this JWT.
    Token(SecretString),
    /// A local user, by email or id.
    Named(String),
}

/// Which server role a configuration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Serve,
    Backend,
    Mcp,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("todo").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn bare_todo_is_serve_on_port_3000() {
        let cli = parse(&[]);
        assert!(cli.command.is_none());
        let cfg = cli.serve.into_config().unwrap();
        assert_eq!(cfg.addr, "127.0.0.1:3000");
        assert!(matches!(cfg.secret, Secret::Generate));
    }

    /// `todo backend <args>` parsed and validated.
    fn backend(args: &[&str]) -> Result<ServerConfig, ConfigError> {
        let args: Vec<&str> = std::iter::once("backend")
            .chain(args.iter().copied())
            .collect();
        match parse(&args).command {
            Some(Command::Backend(b)) => b.into_config(),
            other => panic!("not backend: {other:?}"),
        }
    }

    #[test]
    fn cors_origins_are_normalised_to_what_browsers_send() {
        let secret = "s".repeat(40);
        let cfg = backend(&[
            "--better-auth-secret",
            &secret,
            "--cors-origins",
            "https://App.Example.com/, http://localhost:3000",
            "--frontend-url",
            "https://todo.example.com:443/app",
        ])
        .unwrap();
        assert_eq!(
            cfg.api.cors_origins,
            vec![
                "https://app.example.com",
                "http://localhost:3000",
                "https://todo.example.com"
            ]
        );
        for bad in ["*", "localhost:3000", "https://x.com/path", "ftp://x.com"] {
            let e = backend(&["--better-auth-secret", &secret, "--cors-origins", bad]).unwrap_err();
            assert!(e.0.starts_with("CORS_ORIGINS"), "{bad}: {}", e.0);
        }
    }

    #[test]
    fn assistant_urls_are_checked_and_mcp_endpoints_derived() {
        let secret = "s".repeat(40);
        let mcp = |url: &str| backend(&["--better-auth-secret", &secret, "--mcp-server-url", url]);
        for (given, endpoint) in [
            ("http://todo-mcp:8001", "http://todo-mcp:8001/mcp"),
            ("http://todo-mcp:8001/", "http://todo-mcp:8001/mcp"),
            ("http://gw/todo/", "http://gw/todo/mcp"),
            ("https://x.example.com/mcp", "https://x.example.com/mcp"),
        ] {
            assert_eq!(
                mcp(given).unwrap().mcp_server_url.as_deref(),
                Some(endpoint)
            );
        }
        for bad in ["todo-mcp:8001", "http://todo-mcp:8001/?x=1", "ftp://x"] {
            let e = mcp(bad).unwrap_err();
            assert!(e.0.starts_with("MCP_SERVER_URL"), "{bad}: {}", e.0);
        }
        let e = backend(&[
            "--better-auth-secret",
            &secret,
            "--openai-base-url",
            "localhost:11434/v1",
        ])
        .unwrap_err();
        assert!(e.0.starts_with("OPENAI_BASE_URL"), "{}", e.0);
        let e =
            backend(&["--better-auth-secret", &secret, "--llm-provider", "gemini"]).unwrap_err();
        assert_eq!(e.0, "LLM_PROVIDER=gemini needs GEMINI_API_KEY");
        let cfg = backend(&[
            "--better-auth-secret",
            &secret,
            "--openai-base-url",
            "http://localhost:11434/v1",
        ])
        .unwrap();
        assert_eq!(cfg.model.unwrap().provider, "openai");
        assert!(backend(&["--better-auth-secret", &secret])
            .unwrap()
            .model
            .is_none());
    }

    #[test]
    fn backend_requires_a_long_secret() {
        let e = backend(&["--better-auth-secret", "short"]).unwrap_err();
        assert_eq!(
            e.0,
            "BETTER_AUTH_SECRET must be at least 32 characters (got 5)"
        );
        let cfg = backend(&["--port", "7860", "--better-auth-secret", &"s".repeat(32)]).unwrap();
        assert_eq!(cfg.addr, "0.0.0.0:7860");
    }

    /// `todo frontend <args>` parsed and validated.
    fn frontend(args: &[&str]) -> Result<FrontendConfig, ConfigError> {
        let args: Vec<&str> = std::iter::once("frontend")
            .chain(args.iter().copied())
            .collect();
        match parse(&args).command {
            Some(Command::Frontend(f)) => f.into_config(),
            other => panic!("not frontend: {other:?}"),
        }
    }

    #[test]
    fn frontend_reads_the_backend_url() {
        let cfg = frontend(&["--backend-url", "http://todo-backend:8000/"]).unwrap();
        assert_eq!(cfg.backend_url, "http://todo-backend:8000");
        assert_eq!(cfg.addr, "0.0.0.0:3000");
        let alias = frontend(&["--next-public-api-url", "https://api.example.com/base"]).unwrap();
        assert_eq!(alias.backend_url, "https://api.example.com/base");
        assert_eq!(frontend(&[]).unwrap().backend_url, "http://127.0.0.1:8000");
        let e = frontend(&["--backend-url", "todo-backend:8000"]).unwrap_err();
        assert_eq!(
            e.0,
            "BACKEND_URL must be an http(s) URL with a host (got \"todo-backend:8000\")"
        );
        let e = frontend(&["--next-public-api-url", "not a url"]).unwrap_err();
        assert!(
            e.0.starts_with("NEXT_PUBLIC_API_URL is not a URL"),
            "{}",
            e.0
        );
    }

    #[test]
    fn jwks_url_derives_from_the_auth_server_urls() {
        let secret = "s".repeat(40);
        let jwks = |args: &[&str]| {
            let mut all = vec!["--better-auth-secret", &secret];
            all.extend_from_slice(args);
            backend(&all).unwrap().jwks_url
        };
        assert_eq!(
            jwks(&["--backend-better-auth-url", "http://todo-frontend:3000/"]).as_deref(),
            Some("http://todo-frontend:3000/api/auth/jwks")
        );
        // Only the public auth URL: its JWKS is the fallback; the in-cluster URL wins over it.
        assert_eq!(
            jwks(&["--better-auth-url", "https://todo.example.com"]).as_deref(),
            Some("https://todo.example.com/api/auth/jwks")
        );
        assert_eq!(
            jwks(&[
                "--better-auth-url",
                "https://todo.example.com",
                "--backend-better-auth-url",
                "http://fe:3000"
            ])
            .as_deref(),
            Some("http://fe:3000/api/auth/jwks")
        );
        assert_eq!(jwks(&[]), None);
    }

    #[test]
    fn secrets_never_show_in_debug_output_or_errors() {
        let auth_secret = "auth-secret-0123456789-0123456789-abc";
        let password = "db-password-hunter2";
        let database_url = format!("postgres://todo:{password}@db:5432/todo");
        let keys = ["sk-openai-key-4711", "gemini-key-4712", "cohere-key-4713"];
        let mcp_token = "eyJ.mcp-token-4714.sig";
        let too_short = "short-secret-4715";
        let secrets = [
            auth_secret,
            password,
            keys[0],
            keys[1],
            keys[2],
            mcp_token,
            too_short,
        ];
        let with_secrets = |role: &str| {
            parse(&[
                role,
                "--database-url",
                &database_url,
                "--better-auth-secret",
                auth_secret,
                "--openai-api-key",
                keys[0],
                "--gemini-api-key",
                keys[1],
                "--cohere-api-key",
                keys[2],
            ])
        };
        let mut printed = Vec::new();

        let cli = with_secrets("backend");
        printed.push(format!("{cli:?}"));
        let Some(Command::Backend(backend)) = cli.command else {
            unreachable!()
        };
        let config = backend.clone().into_config().unwrap();
        assert_eq!(config.database_url.expose_secret(), database_url);
        printed.push(format!("{config:?}"));
        let mut short = backend;
        short.common.better_auth_secret = Some(too_short.into());
        printed.push(short.into_config().unwrap_err().to_string());

        let cli = parse(&[
            "mcp",
            "--stdio",
            "--token",
            mcp_token,
            "--database-url",
            &database_url,
            "--better-auth-secret",
            auth_secret,
        ]);
        printed.push(format!("{cli:?}"));
        let Some(Command::Mcp(mcp)) = cli.command else {
            unreachable!()
        };
        printed.push(format!("{:?}", mcp.into_stdio_config().unwrap()));

        let cli = parse(&["migrate", "--database-url", &database_url]);
        printed.push(format!("{cli:?}"));
        // A database URL the driver cannot read: the error says why, without repeating the URL.
        let unreadable = format!("postgres://todo:{password}@db:port/todo");
        let e = crate::server::open_store(&unreadable.into(), &Default::default()).unwrap_err();
        assert!(e.0.starts_with("DATABASE_URL is not usable"), "{}", e.0);
        printed.push(e.to_string());

        for out in &printed {
            for secret in secrets {
                assert!(!out.contains(secret), "{secret} shows in {out}");
            }
        }
        assert!(printed[1].contains("REDACTED"), "{}", printed[1]);
    }

    #[test]
    fn connection_limits_default_and_refuse_zero() {
        let secret = "s".repeat(40);
        let cfg = backend(&["--better-auth-secret", &secret]).unwrap();
        assert_eq!(
            cfg.connections,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(75),
                max_connections: 1024,
            }
        );
        let e = backend(&[
            "--better-auth-secret",
            &secret,
            "--idle-timeout-seconds",
            "0",
        ])
        .unwrap_err();
        assert!(e.0.contains("IDLE_TIMEOUT_SECONDS"), "{}", e.0);
        let e = frontend(&["--max-connections", "0"]).unwrap_err();
        assert_eq!(e.0, "MAX_CONNECTIONS must be at least 1");
    }
}
