use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Database, TransactionManager};
use tokio::sync::{Mutex, MutexGuard};

use crate::changes::Changes;
use crate::health::Health;
use crate::StorageError;

/// Probes wait this long for their one connection (another probe may hold it) before giving up.
const PROBE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Migrations a newer release applied are tolerated (`ignore_missing`), so rolling back the binary
/// still starts; readiness guards the other direction (a schema older than this binary needs).
static SQLITE_MIGRATIONS: Migrator = tolerant(sqlx::migrate!("migrations/sqlite"));
static POSTGRES_MIGRATIONS: Migrator = tolerant(sqlx::migrate!("migrations/postgres"));

const fn tolerant(mut m: Migrator) -> Migrator {
    m.ignore_missing = true;
    m
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool, once per driver.
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Start on a SQLite file that other local users can read (they could read every password hash,
    /// session and, for `todo serve`, the JWT secret in it).
    pub allow_readable_file: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            allow_readable_file: false,
        }
    }
}

/// Whether a connection handed back to the pool may serve the next request. One whose transaction did not
/// end cleanly (a COMMIT, and then the ROLLBACK, failed on a full disk) is closed, which rolls it back:
/// reused, its next BEGIN would become a SAVEPOINT inside the dead transaction, and the "committed" writes
/// after it would never reach the file while holding SQLite's write lock.
async fn reusable<DB: Database>(conn: &mut DB::Connection) -> Result<bool, sqlx::Error> {
    // The ping waits for a rollback queued by a dropped transaction to run, so its outcome is known.
    conn.ping().await?;
    Ok(DB::TransactionManager::get_transaction_depth(conn) == 0)
}

/// [`reusable`], and what only SQLite's C API can tell: that SQLite itself has no transaction open, and
/// that the file was not opened read-only (SQLite falls back to read-only when the file cannot be opened
/// for writing; such a connection would refuse every write even after the file is writable again).
async fn sqlite_reusable(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    if !reusable::<sqlx::Sqlite>(conn).await? {
        return Ok(false);
    }
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is a live connection handle, locked away from sqlx's worker thread while `handle` lives;
    // both functions only read the connection's state.
    let (autocommit, read_only) = unsafe {
        (
            libsqlite3_sys::sqlite3_get_autocommit(db),
            libsqlite3_sys::sqlite3_db_readonly(db, c"main".as_ptr()),
        )
    };
    Ok(autocommit != 0 && read_only == 0)
}

/// Creates a missing SQLite database file readable and writable by this user only (SQLite gives the
/// -wal and -shm files it creates the database file's mode), and refuses an existing database, WAL or
/// SHM file that others may read, unless `allow_readable`.
fn private_file(file: &std::path::Path, allow_readable: bool) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        // A missing directory is left for SQLite to report when it connects, as before.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file);
        if allow_readable {
            return Ok(());
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let Ok(meta) = std::fs::metadata(&name) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let path = std::path::Path::new(&name).display();
                return Err(format!(
                    "the SQLite file {path} can be read or written by other users (mode {mode:o}); \
                     run `chmod 600 {}*` or set ALLOW_READABLE_DATABASE=true to start anyway",
                    file.display()
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (file, allow_readable);
    Ok(())
}

/// Whether the database answers and carries every migration this binary knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    Current,
    Behind { applied: i64, required: i64 },
}

/// A handle on the database; cheap to clone (it is a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// One connection of its own for readiness and outage probes, so they never queue behind requests.
    pub(crate) probe: Pool,
    pub(crate) health: Arc<Health>,
    /// SQLite's migrator takes no lock, so concurrent `todo migrate` runs serialise on this file.
    lock_file: Option<PathBuf>,
    /// SQLite allows one writer at a time. Queueing this process's writers here, in order, replaces
    /// SQLite's busy-wait backoff (sleeps of up to 100 ms) and keeps write latency tails short.
    writer: Option<Arc<Mutex<()>>>,
    /// Signalled when this process schedules a reminder, so the scheduler need not wait for its poll.
    scheduled: Arc<tokio::sync::Notify>,
    pub(crate) changes: Arc<Changes>,
}

impl Store {
    /// Notified whenever this process schedules a reminder or queues a message.
    pub fn scheduled(&self) -> Arc<tokio::sync::Notify> {
        self.scheduled.clone()
    }

    /// Wakes the scheduler when `task` has reminders (one may be due sooner than it planned) or a
    /// message about it was `queued`.
    pub(crate) fn wake_for(&self, task: &todo_domain::Task, queued: bool) {
        if queued || !task.reminders.is_empty() {
            self.scheduled.notify_one();
        }
    }

    /// Parses `url` and prepares a pool without connecting, so a process can start (unready) before its
    /// database is reachable. Only the URL, and a SQLite file others can read, make this fail.
    pub fn open(url: &str, opts: &StoreOptions) -> Result<Store, String> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => {
                let conn = SqliteConnectOptions::from_str(url)
                    .map_err(|e| e.to_string())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged write survives power loss, not only a crash.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .disable_statement_logging();
                let file = conn.get_filename().to_path_buf();
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    private_file(&file, opts.allow_readable_file)?;
                }
                let options = |max: u32| {
                    SqlitePoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(opts.acquire_timeout)
                        .after_release(|conn, _| Box::pin(sqlite_reusable(conn)))
                };
                // An in-memory database lives as long as its one connection, which probes share.
                let (pool, probe) = if in_memory {
                    let pool = options(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .connect_lazy_with(conn);
                    (pool.clone(), pool)
                } else {
                    (
                        options(opts.max_connections).connect_lazy_with(conn.clone()),
                        options(1)
                            .acquire_timeout(PROBE_ACQUIRE_TIMEOUT)
                            .connect_lazy_with(conn),
                    )
                };
                let lock_file = (!in_memory).then(|| {
                    let mut name = file.into_os_string();
                    name.push(".migrate-lock");
                    PathBuf::from(name)
                });
                Ok(Store {
                    pool: Pool::Sqlite(pool),
                    probe: Pool::Sqlite(probe),
                    health: Arc::default(),
                    lock_file,
                    writer: Some(Arc::default()),
                    scheduled: Arc::default(),
                    changes: Arc::default(),
                })
            }
            "postgres" | "postgresql" => {
                let conn = PgConnectOptions::from_str(url)
                    .map_err(|e| e.to_string())?
                    .disable_statement_logging();
                let options = |max: u32| {
                    PgPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(opts.acquire_timeout)
                        .after_release(|conn, _| Box::pin(reusable::<sqlx::Postgres>(conn)))
                };
                let pool = options(opts.max_connections).connect_lazy_with(conn.clone());
                let probe = options(1)
                    .acquire_timeout(PROBE_ACQUIRE_TIMEOUT)
                    .connect_lazy_with(conn);
                Ok(Store {
                    pool: Pool::Postgres(pool),
                    probe: Pool::Postgres(probe),
                    health: Arc::default(),
                    lock_file: None,
                    writer: None,
                    scheduled: Arc::default(),
                    changes: Arc::default(),
                })
            }
            _ => Err("must start with sqlite:// or postgres://".into()),
        }
    }

    /// Held for the duration of a write transaction; a no-op on PostgreSQL, which locks rows itself.
    pub(crate) async fn write_turn(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writer {
            Some(m) => Some(m.lock().await),
            None => None,
        }
    }

    pub fn kind(&self) -> DbKind {
        match self.pool {
            Pool::Sqlite(_) => DbKind::Sqlite,
            Pool::Postgres(_) => DbKind::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations. Safe to run from several processes at once: PostgreSQL serialises
    /// them with an advisory lock, SQLite with an exclusive lock on a file beside the database.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let _guard = match &self.lock_file {
            Some(path) => {
                let path = path.clone();
                let file =
                    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
                        let f = std::fs::OpenOptions::new()
                            .create(true)
                            .truncate(false)
                            .write(true)
                            .open(&path)?;
                        f.lock()?;
                        Ok(f)
                    })
                    .await
                    .map_err(std::io::Error::other)??;
                Some(file)
            }
            None => None,
        };
        let migrator = self.migrator();
        with_pool!(&self.pool, |p| migrator.run(p).await)?;
        Ok(())
    }

    /// Whether the database answers and its schema is at least what this binary needs (asked on the
    /// probe connection).
    pub async fn schema(&self) -> Result<Schema, StorageError> {
        let required = self.migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let sql = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        let applied: Result<i64, sqlx::Error> =
            with_pool!(&self.probe, |p| sqlx::query_scalar(sql).fetch_one(p).await);
        let applied = match applied {
            Ok(v) => v,
            // No migrations table yet: reachable, but nothing applied.
            Err(sqlx::Error::Database(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        Ok(if applied >= required {
            Schema::Current
        } else {
            Schema::Behind { applied, required }
        })
    }

    /// Returns the stored value of `key`, storing `value` first if the key is new (first writer wins).
    pub async fn setting_or_init(&self, key: &str, value: &str) -> Result<String, StorageError> {
        let insert =
            "INSERT INTO app_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        let select = "SELECT value FROM app_settings WHERE key = $1";
        let _turn = self.write_turn().await;
        let v = with_pool!(&self.pool, |p| {
            sqlx::query(insert).bind(key).bind(value).execute(p).await?;
            sqlx::query_scalar(select).bind(key).fetch_one(p).await?
        });
        Ok(v)
    }

    pub async fn close(&self) {
        self.flush_changes().await;
        with_pool!(&self.pool, |p| p.close().await);
        with_pool!(&self.probe, |p| p.close().await);
    }
}
