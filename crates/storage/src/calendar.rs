//! The calendar feed's link (one per user, kept hashed) and the tasks the feed shows.

use chrono::{DateTime, Utc};
use todo_domain::Task;

use crate::reminders;
use crate::store::with_pool;
use crate::tasks::{from_millis, millis, now, TaskRow, COLUMNS};
use crate::{StorageError, Store};

/// Most tasks one feed holds (the earliest due first): a calendar app polls it, so it stays bounded.
pub const MAX_FEED_TASKS: i64 = 5000;

impl Store {
    /// Keeps `token_hash` as the user's feed link, replacing (and so revoking) any earlier one.
    pub async fn set_calendar_token(
        &self,
        user_id: &str,
        token_hash: &str,
    ) -> Result<DateTime<Utc>, StorageError> {
        let now = now();
        let sql =
            "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = $3";
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(user_id)
            .bind(token_hash)
            .bind(millis(now))
            .execute(p)
            .await
            .map(drop)?);
        Ok(now)
    }

    /// When the user's current feed link was made, if there is one.
    pub async fn calendar_token_created(
        &self,
        user_id: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let row: Option<(i64,)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT created_at FROM calendar_tokens WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(at,)| from_millis(at)))
    }

    /// Revokes the user's feed link; whether there was one.
    pub async fn revoke_calendar_token(&self, user_id: &str) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        let done = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM calendar_tokens WHERE user_id = $1"
        )
        .bind(user_id)
        .execute(p)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Whose feed link hashes to `token_hash`.
    pub async fn calendar_owner(&self, token_hash: &str) -> Result<Option<String>, StorageError> {
        let row: Option<(String,)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT user_id FROM calendar_tokens WHERE token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(u,)| u))
    }

    /// The user's tasks with a due date and their reminders, earliest first: every open one, and the completed ones due
    /// since `done_since` (older history would only grow the feed). At most [`MAX_FEED_TASKS`].
    pub async fn dated_tasks(
        &self,
        user_id: &str,
        done_since: DateTime<Utc>,
    ) -> Result<Vec<Task>, StorageError> {
        // The COALESCE matches the tasks_user_due index, which the feed's order then walks.
        let sql = format!(
            "SELECT {COLUMNS} FROM tasks WHERE user_id = $1 \
             AND COALESCE(due_at, 9223372036854775807) < 9223372036854775807 \
             AND (NOT completed OR due_at >= $2) \
             ORDER BY COALESCE(due_at, 9223372036854775807), id LIMIT $3"
        );
        let rows: Vec<TaskRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(millis(done_since))
            .bind(MAX_FEED_TASKS)
            .fetch_all(p)
            .await?);
        let mut tasks: Vec<Task> = rows.into_iter().map(Task::from).collect();
        // Their reminders become the feed's alarms; read a bounded number of tasks' at a time.
        for chunk in tasks.chunks_mut(500) {
            with_pool!(&self.pool, |p| reminders::attach(p, chunk).await?);
        }
        Ok(tasks)
    }
}
