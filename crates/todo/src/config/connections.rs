//! How a server role holds its clients: connection limits (`HEADER_READ_TIMEOUT_SECONDS`,
//! `IDLE_TIMEOUT_SECONDS`, `MAX_CONNECTIONS`) and how it lets them go at shutdown
//! (`SHUTDOWN_DELAY_SECONDS`, `DRAIN_TIMEOUT_SECONDS`), the same for every role that listens.

use std::time::Duration;

use clap::Args;

use super::{ConfigError, ConnectionLimits};

/// How long clients may hold connections without using them, and how many they may hold (a flood of
/// silent or trickling clients must not take the server from everyone else), and how shutdown drains.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// After SIGTERM, keep serving (with readiness failing, where there is one) this long so load
    /// balancers notice, then drain.
    #[arg(long, env = "SHUTDOWN_DELAY_SECONDS", default_value_t = 0)]
    pub shutdown_delay_seconds: u64,
    /// Longest wait for in-flight requests after shutdown begins.
    #[arg(long, env = "DRAIN_TIMEOUT_SECONDS", default_value_t = 20)]
    pub drain_timeout_seconds: u64,
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
    pub(super) fn shutdown_delay(&self) -> Duration {
        Duration::from_secs(self.shutdown_delay_seconds)
    }

    pub(super) fn drain_timeout(&self) -> Duration {
        Duration::from_secs(self.drain_timeout_seconds)
    }

    pub(super) fn limits(&self) -> Result<ConnectionLimits, ConfigError> {
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
