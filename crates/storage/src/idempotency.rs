//! Retried requests that must not act twice. A client that got no answer (a timeout, or a 503 from a
//! database that crashed after committing) retries with the same `Idempotency-Key`; the first answer is
//! kept for a day and given again to the same user's retries of the same request.

use chrono::Duration;
use todo_domain::{NewTask, Task};

use crate::store::with_pool;
use crate::tasks::{create_in, millis, now};
use crate::{StorageError, Store};

/// How long an answer is kept for retries.
const ANSWER_LIFETIME: Duration = Duration::hours(24);
/// How long a request may hold its key unanswered before a retry may take it over (it must have died
/// with its process: chat turns are bounded well below this).
const CLAIM_LIFETIME: Duration = Duration::minutes(15);

/// A client's key for one request, and a digest of that request, so the key cannot replay an answer to
/// a different request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

/// What an earlier request with the same key left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// Its answer, to be given again.
    Answered { status: u16, body: String },
    /// It is still running.
    InProgress,
    /// The key was used for a different request.
    OtherRequest,
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    fingerprint: String,
    status: Option<i32>,
    response: Option<String>,
    created_at: i64,
}

impl KeyRow {
    /// What this row means for a request with `fingerprint` at `now`; `None` once it has expired.
    fn prior(self, fingerprint: &str, now: i64) -> Option<Prior> {
        let lifetime = match self.status {
            Some(_) => ANSWER_LIFETIME,
            None => CLAIM_LIFETIME,
        };
        if self.created_at < now - lifetime.num_milliseconds() {
            return None;
        }
        Some(if self.fingerprint != fingerprint {
            Prior::OtherRequest
        } else {
            match (self.status, self.response) {
                (Some(status), Some(body)) => Prior::Answered {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                },
                _ => Prior::InProgress,
            }
        })
    }
}

const LOOKUP: &str = "SELECT fingerprint, status, response, created_at FROM idempotency_keys \
                      WHERE user_id = $1 AND key = $2";
const PURGE: &str = "DELETE FROM idempotency_keys WHERE user_id = $1 AND (created_at < $2 \
                     OR (key = $3 AND (created_at < $4 OR status IS NULL AND created_at < $5)))";
const INSERT: &str =
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, response, created_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";

impl Store {
    /// Creates a task and records it as the answer to `key`, in one transaction, so a committed task
    /// always has its key. An earlier request with the key wins: its outcome comes back instead.
    pub async fn create_task_once(
        &self,
        user_id: &str,
        new: NewTask,
        key: &IdempotencyKey,
    ) -> Result<Result<Task, Prior>, StorageError> {
        // Two first requests racing on PostgreSQL: the loser's insert of the key fails, and its retry
        // finds the winner's answer.
        let created = match self.try_create_task_once(user_id, &new, key).await {
            Err(StorageError::Conflict) => self.try_create_task_once(user_id, &new, key).await,
            other => other,
        }?;
        if let Ok(task) = &created {
            self.task_changed(user_id, task.id).await;
        }
        Ok(created)
    }

    async fn try_create_task_once(
        &self,
        user_id: &str,
        new: &NewTask,
        key: &IdempotencyKey,
    ) -> Result<Result<Task, Prior>, StorageError> {
        let now = now();
        let at = millis(now);
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            if let Some(prior) = earlier(&mut *tx, user_id, key, at).await? {
                return Ok(Err(prior));
            }
            let (task, queued) = create_in(&mut tx, user_id, new, now).await??;
            let body = serde_json::to_string(&task)
                .map_err(|e| StorageError::Database(sqlx::Error::Encode(Box::new(e))))?;
            store_key(&mut tx, user_id, key, Some((201, &body)), at).await?;
            tx.commit().await?;
            self.wake_for(&task, queued);
            Ok(Ok(task))
        })
    }

    /// Takes `key` for a request that is about to run, or returns what an earlier request with it left.
    /// The request must end with [`Store::settle_key`] or [`Store::release_key`].
    pub async fn claim_key(
        &self,
        user_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Prior>, StorageError> {
        match self.try_claim_key(user_id, key).await {
            Err(StorageError::Conflict) => self.try_claim_key(user_id, key).await,
            other => other,
        }
    }

    async fn try_claim_key(
        &self,
        user_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Prior>, StorageError> {
        let at = millis(now());
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            if let Some(prior) = earlier(&mut *tx, user_id, key, at).await? {
                return Ok(Some(prior));
            }
            store_key(&mut tx, user_id, key, None, at).await?;
            tx.commit().await?;
            Ok(None)
        })
    }

    /// Stores the answer of the request that claimed `key`.
    pub async fn settle_key(
        &self,
        user_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StorageError> {
        let sql = "UPDATE idempotency_keys SET status = $1, response = $2 WHERE user_id = $3 AND key = $4";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(i32::from(status))
            .bind(body)
            .bind(user_id)
            .bind(key)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Gives `key` up after its request failed, so a retry runs it afresh.
    pub async fn release_key(&self, user_id: &str, key: &str) -> Result<(), StorageError> {
        let sql = "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status IS NULL";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(user_id)
            .bind(key)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

/// What an earlier request with `key` left, if it has not expired.
async fn earlier<'e, DB, E>(
    exec: E,
    user_id: &str,
    key: &IdempotencyKey,
    at: i64,
) -> Result<Option<Prior>, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    KeyRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let row: Option<KeyRow> = sqlx::query_as(LOOKUP)
        .bind(user_id)
        .bind(key.key.as_str())
        .fetch_optional(exec)
        .await?;
    Ok(row.and_then(|r| r.prior(&key.fingerprint, at)))
}

/// Stores `key` with its answer, or with none while its request runs, first dropping the user's expired
/// keys and an expired row under this key.
async fn store_key<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    key: &IdempotencyKey,
    answer: Option<(i32, &str)>,
    at: i64,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let answers = at - ANSWER_LIFETIME.num_milliseconds();
    let claims = at - CLAIM_LIFETIME.num_milliseconds();
    sqlx::query(PURGE)
        .bind(user_id)
        .bind(answers)
        .bind(key.key.as_str())
        .bind(answers)
        .bind(claims)
        .execute(&mut **tx)
        .await?;
    sqlx::query(INSERT)
        .bind(user_id)
        .bind(key.key.as_str())
        .bind(key.fingerprint.as_str())
        .bind(answer.map(|(status, _)| status))
        .bind(answer.map(|(_, body)| body))
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
