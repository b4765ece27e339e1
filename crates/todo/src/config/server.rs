//! Settings shared by the server roles (database, auth, HTTP limits, the assistant), validated once into
//! [`ServerConfig`].

use std::num::NonZeroU32;
use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use todo_api::{AllowedHosts, ApiSettings, AuthLimits, HttpLimits, Surface, TrustedProxies};
use todo_assistant::ModelConfig;
use todo_notify::{SchedulerSettings, WebhookSettings};
use todo_storage::StoreOptions;

use super::{
    bind_addr, check_url, http_url, non_empty, origin_of, AssistantArgs, ConfigError,
    ConnectionArgs, ConnectionLimits, OAuthArgs, PushArgs, PushConfig, SchedulerArgs,
};

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
    /// Tokens (ours or an external issuer's) valid for longer than this (`exp` − `iat`) are refused.
    #[arg(long, env = "JWT_MAX_LIFETIME_SECONDS", default_value_t = 24 * 3600)]
    pub jwt_max_lifetime_seconds: u64,
    /// Lifetime of a sign-in session.
    #[arg(long, env = "SESSION_TTL_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_seconds: u64,
    /// Comma-separated browser origins allowed to call the API.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// The web UI's public URL; also allowed as a browser origin.
    #[arg(long, env = "FRONTEND_URL")]
    pub frontend_url: Option<String>,
    /// The address browsers, calendar apps and MCP clients reach this deployment at (the ingress host,
    /// e.g. https://todo.example.com): the base of calendar feed links (else FRONTEND_URL's origin) and
    /// the OAuth issuer (OAuth is off without it).
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark session cookies Secure (serve over HTTPS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// Comma-separated addresses or CIDR networks of the proxies in front (an ingress, `todo frontend`)
    /// whose `X-Forwarded-For` names the client; nobody else's is believed.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Sign-in and sign-up attempts one client address may make at once…
    #[arg(long, env = "AUTH_RATE_LIMIT_BURST", default_value_t = 10)]
    pub auth_rate_limit_burst: u32,
    /// …and then per minute.
    #[arg(long, env = "AUTH_RATE_LIMIT_PER_MINUTE", default_value_t = 10)]
    pub auth_rate_limit_per_minute: u32,
    /// Failed sign-ins to one account before each further one locks it (1 s, doubling, up to AUTH_MAX_LOCK_SECONDS).
    #[arg(long, env = "AUTH_FREE_FAILURES", default_value_t = 5)]
    pub auth_free_failures: u32,
    /// Longest lock of an account after failed sign-ins.
    #[arg(long, env = "AUTH_MAX_LOCK_SECONDS", default_value_t = 900)]
    pub auth_max_lock_seconds: u64,
    /// Start even if the SQLite database file can be read by other local users.
    #[arg(long, env = "ALLOW_READABLE_DATABASE", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_readable_database: bool,
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
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub assistant: AssistantArgs,
    #[command(flatten)]
    pub scheduler: SchedulerArgs,
    #[command(flatten)]
    pub oauth: OAuthArgs,
    #[command(flatten)]
    pub push: PushArgs,
}

/// Which server role a configuration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Serve,
    Backend,
    Mcp,
}

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
    pub jwt_max_lifetime: Duration,
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
    /// The reminder scheduler, which `serve` and `backend` run (not `mcp`).
    pub scheduler: Option<SchedulerSettings>,
    pub webhooks: WebhookSettings,
    /// Web Push: the VAPID key and how messages are sent.
    pub push: PushConfig,
}

pub const MIN_SECRET_CHARS: usize = 32;
/// A day: a stolen token works until it expires or its session ends, so they stay short-lived.
const MAX_JWT_TTL: u64 = 24 * 3600;
/// A week: the most any issuer's token may be valid for here.
const MAX_JWT_LIFETIME: u64 = 7 * 24 * 3600;
/// A year.
const MAX_SESSION_TTL: u64 = 366 * 24 * 3600;

/// `http://127.0.0.1:3000` for a server bound to a loopback address on a fixed port.
fn loopback_origin(host: &str, port: u16) -> Option<String> {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (loopback && port != 0).then(|| match host.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => format!("http://[{v6}]:{port}"),
        Err(_) => format!("http://{host}:{port}"),
    })
}

impl CommonArgs {
    pub(super) fn into_config(
        self,
        host: String,
        port: u16,
        database_url: SecretString,
        auto_migrate: bool,
        may_generate_secret: bool,
        role: Role,
    ) -> Result<ServerConfig, ConfigError> {
        let model = self.assistant.model()?;
        let mcp_server_url = self.assistant.mcp_endpoint()?;
        // The MCP server answers to the name the backend's agent reaches it by.
        let mut mcp_hosts = self.assistant.mcp_allowed_hosts.clone();
        mcp_hosts.extend(
            mcp_server_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_owned)),
        );
        // `todo serve` on this machine is reached at its own address: MCP clients sign in there
        // without PUBLIC_URL. Any other role, or a wildcard bind, has no address it can know.
        let public_url = non_empty(&self.public_url).or_else(|| {
            (role == Role::Serve)
                .then(|| loopback_origin(&host, port))
                .flatten()
        });
        let oauth = self.oauth.settings(public_url.as_deref())?;
        // ...and to the public name MCP clients reach it by.
        mcp_hosts.extend(
            oauth
                .as_ref()
                .and_then(|o| url::Url::parse(&o.mcp_resource).ok())
                .and_then(|u| u.host_str().map(str::to_owned)),
        );
        let hosts = || AllowedHosts::with_defaults(&mcp_hosts);
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
        let public_url = match public_url {
            Some(u) => Some(http_url("PUBLIC_URL", &u)?),
            // The UI's origin: the ingress or `todo frontend` there passes /calendar on to the API.
            None => frontend_url
                .as_deref()
                .and_then(|f| url::Url::parse(f).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .and_then(|u| url::Url::parse(&u.origin().ascii_serialization()).ok()),
        };
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
        if !(self.jwt_ttl_seconds..=MAX_JWT_LIFETIME).contains(&self.jwt_max_lifetime_seconds) {
            return Err(ConfigError(format!(
                "JWT_MAX_LIFETIME_SECONDS must be JWT_TTL_SECONDS ({})–{MAX_JWT_LIFETIME}",
                self.jwt_ttl_seconds
            )));
        }
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| ConfigError(format!("TRUSTED_PROXIES: {e}")))?;
        let per_address_burst = NonZeroU32::new(self.auth_rate_limit_burst)
            .ok_or_else(|| ConfigError("AUTH_RATE_LIMIT_BURST must be at least 1".into()))?;
        if !(1..=60_000).contains(&self.auth_rate_limit_per_minute) {
            return Err(ConfigError(
                "AUTH_RATE_LIMIT_PER_MINUTE must be 1–60000".into(),
            ));
        }
        if self.auth_max_lock_seconds == 0 {
            return Err(ConfigError(
                "AUTH_MAX_LOCK_SECONDS must be at least 1".into(),
            ));
        }
        let auth_limits = AuthLimits {
            per_address_burst,
            per_address_interval: Duration::from_secs(60) / self.auth_rate_limit_per_minute,
            free_failures: self.auth_free_failures,
            max_lock: Duration::from_secs(self.auth_max_lock_seconds),
        };
        let push = self.push.config(frontend_url.as_deref())?;
        let addr = bind_addr(&host, port)?;
        Ok(ServerConfig {
            addr,
            database_url,
            store: StoreOptions {
                max_connections: self.database_max_connections,
                acquire_timeout: Duration::from_secs(self.database_acquire_timeout_seconds),
                allow_readable_file: self.allow_readable_database,
            },
            auto_migrate,
            secret,
            issuer: non_empty(&self.better_auth_issuer),
            audience: non_empty(&self.better_auth_audience),
            jwks_url,
            jwt_ttl: Duration::from_secs(self.jwt_ttl_seconds),
            jwt_max_lifetime: Duration::from_secs(self.jwt_max_lifetime_seconds),
            api: ApiSettings {
                limits: HttpLimits {
                    body_limit: self.body_limit_bytes,
                    request_timeout: Duration::from_secs(self.request_timeout_seconds),
                },
                cors_origins,
                session_ttl: Duration::from_secs(self.session_ttl_seconds),
                secure_cookies: self.secure_cookies,
                auth_limits,
                trusted_proxies,
                public_url,
                webhook_allow_private: self.scheduler.webhook_allow_private,
                oauth,
            },
            shutdown_delay: self.connections.shutdown_delay(),
            drain_timeout: self.connections.drain_timeout(),
            connections: self.connections.limits()?,
            with_ui: matches!(role, Role::Serve),
            surface,
            model,
            mcp_server_url,
            scheduler: match role {
                Role::Serve | Role::Backend => Some(self.scheduler.settings()?),
                Role::Mcp => None,
            },
            webhooks: self.scheduler.webhooks(),
            push,
        })
    }
}
