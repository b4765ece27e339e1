use std::fmt;

/// What can go wrong below the API. The HTTP layer maps it once: `Unavailable`, `Down` and `Unwritable` to 503,
/// `Conflict` to 409, `Invalid` to 422, the rest to 500.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database was found down moments ago and has not answered a probe since.
    #[error("database unavailable: it does not answer (probing every 0.5 s)")]
    Down,
    /// The database answers but cannot store changes; nothing of the failed write was kept.
    #[error("cannot store changes ({fault}): {source}")]
    Unwritable {
        fault: WriteFault,
        #[source]
        source: sqlx::Error,
    },
    #[error("already exists")]
    Conflict,
    /// The request names something that is not there or not allowed (a list, a parent task).
    #[error("{0}")]
    Invalid(todo_domain::ValidationError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("migration lock: {0}")]
    Lock(#[from] std::io::Error),
}

/// Why storage refuses writes: conditions of the machine, not of the request, that clear on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    DiskFull,
    ReadOnly,
    Io,
}

impl fmt::Display for WriteFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteFault::DiskFull => "the disk is full",
            WriteFault::ReadOnly => "the database is read-only",
            WriteFault::Io => "the disk reported an I/O error",
        })
    }
}

impl WriteFault {
    fn of(db: &dyn sqlx::error::DatabaseError) -> Option<WriteFault> {
        let code = db.code()?;
        if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
            // SQLite reports extended result codes; the primary code is the low byte.
            return match code.parse::<i32>().ok()? & 0xff {
                13 => Some(WriteFault::DiskFull), // SQLITE_FULL
                8 => Some(WriteFault::ReadOnly),  // SQLITE_READONLY
                10 | 14 => Some(WriteFault::Io),  // SQLITE_IOERR, SQLITE_CANTOPEN
                _ => None,
            };
        }
        match &*code {
            "53100" => Some(WriteFault::DiskFull), // disk_full
            "25006" => Some(WriteFault::ReadOnly), // read_only_sql_transaction (a standby)
            "58030" => Some(WriteFault::Io),       // io_error
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StorageError::Unavailable(e),
            sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict,
            // PostgreSQL going away or not yet back (shutdown, restart, failover): an outage, not a bug.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
            {
                StorageError::Unavailable(e)
            }
            sqlx::Error::Database(db) => match WriteFault::of(db.as_ref()) {
                Some(fault) => StorageError::Unwritable { fault, source: e },
                None => StorageError::Database(e),
            },
            _ => StorageError::Database(e),
        }
    }
}
