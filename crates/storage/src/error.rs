/// What can go wrong below the API. The HTTP layer maps it once: `Unavailable` to 503, `Conflict` to 409,
/// the rest to 500.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("already exists")]
    Conflict,
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("migration lock: {0}")]
    Lock(#[from] std::io::Error),
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
            _ => StorageError::Database(e),
        }
    }
}
