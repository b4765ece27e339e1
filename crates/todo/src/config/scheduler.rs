//! The reminder scheduler every `serve` and `backend` process runs.

use std::time::Duration;

use clap::Args;
use todo_notify::{SchedulerSettings, WebhookSettings};

use super::ConfigError;

#[derive(Args, Debug, Clone)]
pub struct SchedulerArgs {
    /// A reminder found later than this after its time (everything was down) is dropped with a log line.
    #[arg(long, env = "REMINDER_MAX_LATENESS_SECONDS", default_value_t = 24 * 3600)]
    pub reminder_max_lateness_seconds: u64,
    /// The longest the scheduler sleeps without looking for work another replica scheduled.
    #[arg(long, env = "SCHEDULER_POLL_SECONDS", default_value_t = 30)]
    pub scheduler_poll_seconds: u64,
    /// How long a replica holds a message it is sending before another may take it over.
    #[arg(long, env = "SCHEDULER_LEASE_SECONDS", default_value_t = 60)]
    pub scheduler_lease_seconds: u64,
    /// Let webhooks reach loopback, private and link-local addresses (refused by default: a user's
    /// webhook must not reach the server's own network).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
}

impl SchedulerArgs {
    pub(super) fn webhooks(&self) -> WebhookSettings {
        WebhookSettings {
            allow_private: self.webhook_allow_private,
        }
    }

    pub(super) fn settings(&self) -> Result<SchedulerSettings, ConfigError> {
        let positive = |name: &str, v: u64, max: u64| {
            if (1..=max).contains(&v) {
                Ok(v)
            } else {
                Err(ConfigError(format!("{name} must be 1–{max} (got {v})")))
            }
        };
        let max_late = positive(
            "REMINDER_MAX_LATENESS_SECONDS",
            self.reminder_max_lateness_seconds,
            30 * 24 * 3600,
        )?;
        let poll = positive("SCHEDULER_POLL_SECONDS", self.scheduler_poll_seconds, 3600)?;
        let lease = positive(
            "SCHEDULER_LEASE_SECONDS",
            self.scheduler_lease_seconds,
            3600,
        )?;
        Ok(SchedulerSettings {
            max_late: chrono::Duration::seconds(max_late as i64),
            lease: chrono::Duration::seconds(lease as i64),
            idle_poll: Duration::from_secs(poll),
            ..SchedulerSettings::default()
        })
    }
}
