//! What the storage tests share: a database of each kind, raw SQL on it, and a database migrated
//! only up to an older schema, as an older release left it.

use std::borrow::Cow;
use std::path::Path;

use sqlx::migrate::Migrator;
use todo_testkit::PgServer;

/// A SQLite file and, when there is a PostgreSQL, a fresh database on it; the directory holds the file.
pub async fn databases() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
    if let Some(pg) = PgServer::shared() {
        urls.push(pg.new_database().await);
    }
    (dir, urls)
}

pub async fn execute(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

/// Applies the migrations older than `version` to the (new) database at `url`.
pub async fn migrate_before(url: &str, version: i64) {
    let kind = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(kind);
    let mut previous = Migrator::new(dir.as_path()).await.unwrap();
    let earlier: Vec<_> = previous
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    previous.migrations = Cow::Owned(earlier);
    use sqlx::Connection;
    if kind == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        previous.run(&mut c).await.unwrap();
        // The store refuses a database file others can read, as an operator upgrading makes it private.
        use std::os::unix::fs::PermissionsExt;
        let file = url.trim_start_matches("sqlite://");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        previous.run(&mut c).await.unwrap();
    }
}
