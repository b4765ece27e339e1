//! The OAuth authorization server and the resources it issues tokens for (`PUBLIC_URL`).

use std::time::Duration;

use clap::Args;
use todo_api::OAuthSettings;

use super::{http_url, non_empty, ConfigError};

#[derive(Args, Debug, Clone)]
pub struct OAuthArgs {
    /// The MCP endpoint's public URL, which OAuth tokens are bound to [default: PUBLIC_URL/mcp].
    #[arg(long, env = "MCP_RESOURCE_URL")]
    pub mcp_resource_url: Option<String>,
    /// Lifetime of OAuth access tokens.
    #[arg(long, env = "OAUTH_ACCESS_TOKEN_TTL_SECONDS", default_value_t = 3600)]
    pub oauth_access_token_ttl_seconds: u64,
    /// Lifetime of OAuth refresh tokens (each use replaces the token).
    #[arg(long, env = "OAUTH_REFRESH_TOKEN_TTL_DAYS", default_value_t = 30)]
    pub oauth_refresh_token_ttl_days: u64,
    /// Most OAuth clients that may register themselves.
    #[arg(long, env = "OAUTH_MAX_CLIENTS", default_value_t = 1000)]
    pub oauth_max_clients: u32,
}

/// A day: access tokens are checked on every request but should still be short-lived.
const MAX_ACCESS_TTL: u64 = 24 * 3600;

impl OAuthArgs {
    /// The authorization server of `public_url` (`PUBLIC_URL` as given: the OAuth issuer MCP clients
    /// sign in through); OAuth is off without it.
    pub fn settings(&self, public_url: Option<&str>) -> Result<Option<OAuthSettings>, ConfigError> {
        let Some(raw) = public_url else {
            return Ok(None);
        };
        let url = http_url("PUBLIC_URL", raw)?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError(format!(
                "PUBLIC_URL must be an origin like https://todo.example.com, without a path (got {raw:?})"
            )));
        }
        let issuer = url.origin().ascii_serialization();
        let mcp_resource = match non_empty(&self.mcp_resource_url) {
            Some(m) => {
                let u = http_url("MCP_RESOURCE_URL", &m)?;
                if u.query().is_some() || u.fragment().is_some() {
                    return Err(ConfigError(format!(
                        "MCP_RESOURCE_URL must not have a query or fragment (got {m:?})"
                    )));
                }
                u.as_str().trim_end_matches('/').to_owned()
            }
            None => format!("{issuer}/mcp"),
        };
        if !(1..=MAX_ACCESS_TTL).contains(&self.oauth_access_token_ttl_seconds) {
            return Err(ConfigError(format!(
                "OAUTH_ACCESS_TOKEN_TTL_SECONDS must be 1–{MAX_ACCESS_TTL}"
            )));
        }
        if !(1..=366).contains(&self.oauth_refresh_token_ttl_days) {
            return Err(ConfigError(
                "OAUTH_REFRESH_TOKEN_TTL_DAYS must be 1–366".into(),
            ));
        }
        Ok(Some(OAuthSettings {
            issuer,
            mcp_resource,
            access_ttl: Duration::from_secs(self.oauth_access_token_ttl_seconds),
            refresh_ttl: Duration::from_secs(self.oauth_refresh_token_ttl_days * 24 * 3600),
            max_clients: self.oauth_max_clients.into(),
        }))
    }
}
