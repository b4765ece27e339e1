//! The scheduler every `serve` and `backend` process runs: it fires due reminders and sends the
//! outbox's messages, sleeping until the next one is due (or something new is scheduled here).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use todo_storage::{Attempt, Delivery, StorageError, Store};
use tokio::task::JoinSet;

use crate::channels::{Channels, Outcome};

/// The time the scheduler works to; tests drive it with their own.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// A reminder found later than this after its time (everything was down) is dropped, with a log
    /// line, instead of told (`REMINDER_MAX_LATENESS`).
    pub max_late: Duration,
    /// How long a process holds a message it is sending before another may take it over.
    pub lease: Duration,
    /// The longest the scheduler sleeps without looking at the database (other replicas may have
    /// scheduled something sooner).
    pub idle_poll: StdDuration,
    /// Reminders fired, or messages claimed, per statement.
    pub batch: u32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            max_late: Duration::hours(24),
            lease: Duration::seconds(60),
            idle_poll: StdDuration::from_secs(30),
            batch: 500,
        }
    }
}

/// When a message that failed is tried again, by the number of attempts so far: the Standard Webhooks
/// schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h), with a last try where it reaches 24 hours.
const RETRY_AFTER: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 23_095];

fn retry_at(attempt: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let wait = RETRY_AFTER.get(usize::try_from(attempt).ok()?.checked_sub(1)?)?;
    Some(now + Duration::seconds(*wait))
}

/// What one [`Scheduler::tick`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub fired: usize,
    pub late: usize,
    pub skipped: usize,
    pub sent: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Scheduler {
    store: Store,
    channels: Channels,
    clock: Arc<dyn Clock>,
    settings: SchedulerSettings,
}

impl Scheduler {
    pub fn new(
        store: Store,
        channels: Channels,
        clock: Arc<dyn Clock>,
        settings: SchedulerSettings,
    ) -> Self {
        Scheduler {
            store,
            channels,
            clock,
            settings,
        }
    }

    /// Fires every reminder due now and sends every message due now.
    pub async fn tick(&self) -> Result<Tick, StorageError> {
        let mut tick = Tick::default();
        let s = &self.settings;
        loop {
            let now = self.clock.now();
            let fired = self
                .store
                .fire_due_reminders(now, s.max_late, s.batch)
                .await?;
            for (id, fire_at) in &fired.skipped {
                tracing::warn!(reminder = id, %fire_at, max_late = %s.max_late, "reminder found too late after its time; not sent");
            }
            tick.fired += fired.fired;
            tick.late += fired.late;
            tick.skipped += fired.skipped.len();
            if fired.fired + fired.skipped.len() < s.batch as usize {
                break;
            }
        }
        if tick.fired > 0 {
            tracing::info!(fired = tick.fired, late = tick.late, "reminders went off");
        }
        loop {
            let now = self.clock.now();
            let claimed = self.store.claim_deliveries(now, s.lease, s.batch).await?;
            let n = claimed.len();
            let mut sending = JoinSet::new();
            for delivery in claimed {
                let this = self.clone();
                sending.spawn(async move {
                    let outcome = this.channels.send(&delivery).await;
                    (delivery, outcome)
                });
            }
            while let Some(done) = sending.join_next().await {
                let Ok((delivery, outcome)) = done else {
                    continue; // A sender panicked: its lease runs out and another try follows.
                };
                let delivered = self.record(&delivery, outcome).await?;
                if delivered {
                    tick.sent += 1;
                } else {
                    tick.failed += 1;
                }
            }
            if n < s.batch as usize {
                break;
            }
        }
        Ok(tick)
    }

    async fn record(&self, delivery: &Delivery, outcome: Outcome) -> Result<bool, StorageError> {
        let now = self.clock.now();
        let attempt = match outcome {
            Outcome::Sent { status } => Attempt {
                status_code: Some(status),
                error: None,
                retry_at: None,
                delivered: true,
            },
            Outcome::Failed {
                status,
                error,
                retry,
            } => {
                let retry_at = retry.then(|| retry_at(delivery.attempt, now)).flatten();
                tracing::warn!(delivery = delivery.id, channel = ?delivery.channel, attempt = delivery.attempt,
                    status, error = %error, retry_at = ?retry_at, "message not delivered");
                Attempt {
                    status_code: status,
                    error: Some(error),
                    retry_at,
                    delivered: false,
                }
            }
        };
        self.store
            .record_attempt(delivery.id, &attempt, now)
            .await?;
        Ok(attempt.delivered)
    }

    /// Runs until `shutdown` resolves: a tick, then sleep until the next reminder or message is due,
    /// at most `idle_poll`, or until this process schedules something ([`Store::scheduled`]).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let wake = self.store.scheduled();
        loop {
            // Registered before the tick, so something scheduled during it is not missed.
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "scheduler: the database is unavailable; retrying");
            }
            let now = self.clock.now();
            let next = self.store.next_due().await.ok().flatten();
            let wait = next
                .map(|t| (t - now).to_std().unwrap_or_default())
                .unwrap_or(self.settings.idle_poll)
                .min(self.settings.idle_poll);
            tracing::debug!(?wait, ?next, "scheduler sleeps");
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait) => {}
                () = woken => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_for_a_day_then_stop() {
        let now = Utc::now();
        let waits: Vec<i64> = (1..=8)
            .map_while(|a| retry_at(a, now))
            .map(|t| (t - now).num_seconds())
            .collect();
        assert_eq!(waits, RETRY_AFTER);
        assert_eq!(RETRY_AFTER.iter().sum::<i64>(), 24 * 3600);
        assert_eq!(retry_at(8, now), None);
        assert_eq!(retry_at(0, now), None);
    }
}
