//! What the store knows of its database between requests. Readiness asks over a connection of its own,
//! so a pool exhausted by slow requests reads as "busy", not as "database down". Once the database is seen
//! down, requests fail at once instead of each waiting out the pool's acquire timeout, while a probe in the
//! background, at most every [`PROBE_INTERVAL`], tells when it is back. A write that failed for want of
//! disk makes readiness probe with a write of its own until one succeeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::WriteFault;
use crate::store::with_pool;
use crate::{Schema, StorageError, Store};

/// How often a probe runs while the database is down.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// How long a probe may take before the database counts as still down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A condition of the database that a failed request revealed; see [`StorageError::outage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// It does not answer (refused, unreachable, restarting).
    Down,
    /// It answers but cannot store changes.
    Unwritable(WriteFault),
}

/// What readiness found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database answers, but every pooled connection is in use: requests queue.
    Busy,
    Behind {
        applied: i64,
        required: i64,
    },
    Unwritable(WriteFault),
}

#[derive(Debug, Default)]
pub(crate) struct Health {
    /// When a probe last ran, while the database is down; `None` while it answers.
    down: Mutex<Option<Instant>>,
    probing: AtomicBool,
    write_fault: Mutex<Option<WriteFault>>,
}

/// The value behind `m`; a panic while it was held cannot leave these plain values half-written.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl StorageError {
    /// The database condition this error reveals, if it is one rather than a fault of one request.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            StorageError::Unavailable(_) | StorageError::Down => Some(Outage::Down),
            StorageError::Unwritable { fault, .. } => Some(Outage::Unwritable(*fault)),
            _ => None,
        }
    }
}

impl Store {
    /// Records what a request found; the server reports every outage a request ran into.
    pub fn report(&self, outage: Outage) {
        match outage {
            Outage::Down => {
                // Due for a probe at once: a pool that timed out because it was busy, not because the
                // database is gone, lets requests through again as soon as the probe answers.
                let due = Instant::now()
                    .checked_sub(PROBE_INTERVAL)
                    .unwrap_or_else(Instant::now);
                lock(&self.health.down).get_or_insert(due);
            }
            Outage::Unwritable(fault) => self.set_write_fault(Some(fault)),
        }
    }

    /// Records that a write was stored, so earlier write faults are over.
    pub fn report_write_stored(&self) {
        self.set_write_fault(None);
    }

    fn set_write_fault(&self, fault: Option<WriteFault>) {
        *lock(&self.health.write_fault) = fault;
    }

    /// Lets a request through unless the database is known to be down. While it is, requests fail at
    /// once, and one probe per [`PROBE_INTERVAL`] runs in the background (for at most [`PROBE_TIMEOUT`]);
    /// the first that gets an answer lets requests through again.
    pub async fn admit(&self) -> Result<(), StorageError> {
        let last_probe = *lock(&self.health.down);
        let Some(last_probe) = last_probe else {
            return Ok(());
        };
        if last_probe.elapsed() >= PROBE_INTERVAL
            && !self.health.probing.swap(true, Ordering::AcqRel)
        {
            let store = self.clone();
            tokio::spawn(async move { store.probe().await });
        }
        Err(StorageError::Down)
    }

    async fn probe(&self) {
        let answered = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, self.ping()).await,
            Ok(Ok(()))
        );
        *lock(&self.health.down) = (!answered).then(Instant::now);
        self.health.probing.store(false, Ordering::Release);
        if answered {
            tracing::info!("database answers again");
        }
    }

    async fn ping(&self) -> Result<(), StorageError> {
        with_pool!(&self.probe, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The readiness check, on the probe connection: the database answers, its schema is at least what
    /// this binary needs, and (after a write failed) it stores a write again.
    pub async fn readiness(&self) -> Result<Readiness, StorageError> {
        let found = self.check_readiness().await;
        match &found {
            Err(e) => {
                if let Some(outage) = e.outage() {
                    self.report(outage);
                }
            }
            Ok(_) => *lock(&self.health.down) = None,
        }
        found
    }

    async fn check_readiness(&self) -> Result<Readiness, StorageError> {
        if let Schema::Behind { applied, required } = self.schema().await? {
            return Ok(Readiness::Behind { applied, required });
        }
        if lock(&self.health.write_fault).is_some() {
            match self.probe_write().await {
                Ok(()) => self.set_write_fault(None),
                Err(StorageError::Unwritable { fault, .. }) => {
                    self.set_write_fault(Some(fault));
                    return Ok(Readiness::Unwritable(fault));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(if self.pool_exhausted() {
            Readiness::Busy
        } else {
            Readiness::Ready
        })
    }

    /// A small write that must reach the disk, as every acknowledged write does.
    async fn probe_write(&self) -> Result<(), StorageError> {
        let sql = "INSERT INTO app_settings (key, value) VALUES ('readiness_probe', $1) \
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        let now = chrono::Utc::now().to_rfc3339();
        let _turn = self.write_turn().await;
        with_pool!(&self.probe, |p| sqlx::query(sql)
            .bind(&now)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    fn pool_exhausted(&self) -> bool {
        with_pool!(&self.pool, |p| p.size()
            >= p.options().get_max_connections()
            && p.num_idle() == 0)
    }
}
