//! Where a task sits: its list and its place in a tree of subtasks. Checked inside the transaction that
//! writes the task, so a concurrent move cannot slip a cycle or a fifth level past the check.

use chrono::{DateTime, Utc};
use todo_domain::{ValidationError, INBOX, MAX_DEPTH};

/// A task's list and parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spot {
    pub list_id: i64,
    pub parent_id: Option<i64>,
}

/// For a would-be parent `$1` of user `$2`: its list, its depth (1 at the top level), and whether task `$3`
/// is the parent itself or one of its ancestors (making it a parent would close a cycle). The depth bound
/// only guards against a damaged tree.
const ANCESTRY: &str = "WITH RECURSIVE up (id, parent_id, d) AS ( \
        SELECT id, parent_id, 1 FROM tasks WHERE id = $1 AND user_id = $2 \
        UNION ALL SELECT t.id, t.parent_id, up.d + 1 FROM tasks t JOIN up ON t.id = up.parent_id WHERE up.d < 16) \
    SELECT (SELECT list_id FROM tasks WHERE id = $1 AND user_id = $2), CAST(MAX(d) AS BIGINT), \
        CAST(COALESCE(MAX(CASE WHEN id = $3 THEN 1 ELSE 0 END), 0) AS BIGINT) FROM up";

/// The tasks under `$1` (of user `$2`) at any depth, and the task itself at depth 1.
macro_rules! subtree {
    ($select:literal) => {
        concat!(
            "WITH RECURSIVE down (id, d) AS ( \
                SELECT id, 1 FROM tasks WHERE id = $1 AND user_id = $2 \
                UNION ALL SELECT t.id, down.d + 1 FROM tasks t JOIN down ON t.parent_id = down.id WHERE down.d < 16) ",
            $select
        )
    };
}

/// How many levels the tree under a task has, counting the task.
const HEIGHT: &str = subtree!("SELECT CAST(COALESCE(MAX(d), 0) AS BIGINT) FROM down");
/// The ids of every task under a task (not the task itself).
pub(crate) const DESCENDANTS: &str = subtree!("SELECT id FROM down WHERE d > 1");

const LIST_OF_USER: &str = "SELECT id FROM lists WHERE id = $1 AND user_id = $2";
const INBOX_OF_USER: &str = "SELECT id FROM lists WHERE user_id = $1 AND inbox";
/// Creates the user's Inbox unless there is one (external issuers' users get theirs on first use).
const CREATE_INBOX: &str =
    "INSERT INTO lists (user_id, name, name_key, position, inbox, created_at, updated_at) \
    VALUES ($1, $2, $3, 0, TRUE, $4, $4) ON CONFLICT DO NOTHING";

/// The user's Inbox, created when missing.
pub(crate) async fn inbox<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let found: Option<(i64,)> = sqlx::query_as(INBOX_OF_USER)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some((id,)) = found {
        return Ok(id);
    }
    sqlx::query(CREATE_INBOX)
        .bind(user_id)
        .bind(INBOX)
        .bind(todo_domain::list_name_key(INBOX))
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
    let (id,): (i64,) = sqlx::query_as(INBOX_OF_USER)
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

/// Where a task goes, given the list and parent asked for: a subtask goes into its parent's list (asking
/// for another is an error), a top-level task into the list asked for or the Inbox. `moving` is the task
/// being moved, whose subtree must not contain the new parent and must fit under it.
pub(crate) async fn place<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    list_id: Option<i64>,
    parent_id: Option<i64>,
    moving: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Result<Spot, ValidationError>, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    (Option<i64>, Option<i64>, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let invalid = |field: &str, message: String| Ok(Err(ValidationError::field(field, message)));
    if let Some(parent) = parent_id {
        let (parent_list, parent_depth, cycle): (Option<i64>, Option<i64>, i64) =
            sqlx::query_as(ANCESTRY)
                .bind(parent)
                .bind(user_id)
                .bind(moving.unwrap_or(0))
                .fetch_one(&mut **tx)
                .await?;
        let (Some(parent_list), Some(parent_depth)) = (parent_list, parent_depth) else {
            return invalid("parent_id", format!("no task {parent} of yours"));
        };
        if cycle != 0 {
            return invalid(
                "parent_id",
                "cannot be the task itself or one of its subtasks".into(),
            );
        }
        if list_id.is_some_and(|l| l != parent_list) {
            return invalid(
                "parent_id",
                format!(
                    "is in another list (list {parent_list}): a subtask is in its parent's list"
                ),
            );
        }
        let height = match moving {
            Some(id) => {
                let (h,): (i64,) = sqlx::query_as(HEIGHT)
                    .bind(id)
                    .bind(user_id)
                    .fetch_one(&mut **tx)
                    .await?;
                h.max(1)
            }
            None => 1,
        };
        if parent_depth + height > MAX_DEPTH as i64 {
            return invalid(
                "parent_id",
                format!("subtasks go at most {MAX_DEPTH} levels deep"),
            );
        }
        return Ok(Ok(Spot {
            list_id: parent_list,
            parent_id: Some(parent),
        }));
    }
    let list_id = match list_id {
        Some(l) => {
            let found: Option<(i64,)> = sqlx::query_as(LIST_OF_USER)
                .bind(l)
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
            match found {
                Some(_) => l,
                None => return invalid("list_id", format!("no list {l} of yours")),
            }
        }
        None => inbox(tx, user_id, now).await?,
    };
    Ok(Ok(Spot {
        list_id,
        parent_id: None,
    }))
}
