//! Failed sign-ins per account, kept in the database so every replica sees the same count.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis};
use crate::{StorageError, Store};

/// Rows untouched for this long are forgotten: the delays they imposed have long run out.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What is known of an account's recent failed sign-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSignIns {
    pub failures: u32,
    /// Sign-ins are refused before this time.
    pub locked_until: DateTime<Utc>,
}

impl Store {
    /// `account`'s recent failed sign-ins, if it has any.
    pub async fn failed_sign_ins(
        &self,
        account: &str,
    ) -> Result<Option<FailedSignIns>, StorageError> {
        let sql = "SELECT failures, locked_until FROM sign_in_failures WHERE account = $1";
        let row: Option<(i32, i64)> = with_pool!(&self.pool, |p| sqlx::query_as(sql)
            .bind(account)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|(failures, until)| FailedSignIns {
            failures: failures as u32,
            locked_until: from_millis(until),
        }))
    }

    /// Counts one more failed sign-in to `account` and locks it for `delay(failures)`, where
    /// `failures` is the new count. Returns that count.
    pub async fn record_sign_in_failure(
        &self,
        account: &str,
        delay: impl Fn(u32) -> Duration,
    ) -> Result<u32, StorageError> {
        let now = Utc::now();
        let forget = millis(now) - FORGET_AFTER.as_millis() as i64;
        let bump = "INSERT INTO sign_in_failures (account, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
                    ON CONFLICT (account) DO UPDATE SET failures = sign_in_failures.failures + 1, updated_at = $2 \
                    RETURNING failures";
        let lock = "UPDATE sign_in_failures SET locked_until = $2 WHERE account = $1";
        let purge = "DELETE FROM sign_in_failures WHERE updated_at < $1";
        let _turn = self.write_turn().await;
        let failures: i32 = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(purge).bind(forget).execute(&mut *tx).await?;
            let failures: i32 = sqlx::query_scalar(bump)
                .bind(account)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?;
            let until =
                now + chrono::Duration::from_std(delay(failures as u32)).unwrap_or_default();
            sqlx::query(lock)
                .bind(account)
                .bind(millis(until))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            failures
        });
        Ok(failures as u32)
    }

    /// Forgets `account`'s failed sign-ins (it just signed in).
    pub async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StorageError> {
        let sql = "DELETE FROM sign_in_failures WHERE account = $1";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            sqlx::query(sql).bind(account).execute(p).await?;
        });
        Ok(())
    }
}
