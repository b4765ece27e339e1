//! Whole-account export and import. An import is one transaction: its lists, then its tasks level by
//! level in multi-row inserts, their reminders, and (for a user with a webhook taking them) a
//! `task.created` message per task, so ten thousand tasks take a few statements instead of ten
//! thousand round trips, and a failure anywhere leaves nothing behind.

use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Type};
use todo_domain::{list_name_key, Event, ImportPlan, Task, TaskList, ValidationError};

use crate::lists::{ListRow, COLUMNS as LIST_COLUMNS};
use crate::reminders::{self, at_local_time, NewReminder};
use crate::store::{with_pool, Pool};
use crate::tasks::{
    bind_new_task, millis, now, TaskRow, COLUMNS as TASK_COLUMNS, NEW_TASK_COLUMNS, NEW_TASK_VALUES,
};
use crate::tree::{inbox, Spot};
use crate::webhooks::queue_events_about;
use crate::{Change, ChangeKind, StorageError, Store};

/// Rows per insert statement: 18 values each (a task's; a reminder's are fewer) stays well inside
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const ROWS_PER_INSERT: usize = 500;

/// Everything of one user's that an export holds, read at one moment.
#[derive(Debug, Clone)]
pub struct Holdings {
    /// In the user's order, the Inbox first.
    pub lists: Vec<TaskList>,
    /// Every task, subtasks and completed ones included, by id, with its reminders.
    pub tasks: Vec<Task>,
}

impl Store {
    /// The user's lists and tasks, from one snapshot of the database.
    pub async fn holdings(&self, user_id: &str) -> Result<Holdings, StorageError> {
        // Creates the Inbox of a user who has never had one, so the snapshot below only reads.
        self.lists(user_id).await?;
        let lists_sql = format!(
            "SELECT {LIST_COLUMNS} FROM lists WHERE user_id = $1 ORDER BY inbox DESC, position, id"
        );
        let tasks_sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE user_id = $1 ORDER BY id");
        let postgres = matches!(self.pool, Pool::Postgres(_));
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            // SQLite's transaction reads one snapshot already; PostgreSQL's default one per statement.
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let lists: Vec<ListRow> = sqlx::query_as(&lists_sql)
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
            let tasks: Vec<TaskRow> = sqlx::query_as(&tasks_sql)
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
            let mut reminders = reminders::of_user(&mut *tx, user_id).await?;
            tx.commit().await?;
            let tasks = tasks
                .into_iter()
                .map(|row| {
                    let mut task = Task::from(row);
                    task.reminders = reminders.remove(&task.id).unwrap_or_default();
                    task
                })
                .collect();
            Ok(Holdings {
                lists: lists.into_iter().map(TaskList::from).collect(),
                tasks,
            })
        })
    }

    /// Writes `plan` for the user in one transaction and returns, for each of its lists, whether it
    /// was created (the others existed: the Inbox, or a list of that name). Reminders whose time has
    /// passed are stored as done, so an import of old tasks tells nobody anything; each task is a
    /// `task.created` event, and the change bus hears of the import once ([`ChangeKind::Tasks`]).
    pub async fn import(
        &self,
        user_id: &str,
        plan: &ImportPlan,
    ) -> Result<Vec<bool>, StorageError> {
        let levels = plan.levels();
        let misplaced = plan
            .tasks
            .iter()
            .enumerate()
            .position(|(i, t)| t.list >= plan.lists.len() || t.parent.is_some_and(|p| p >= i));
        if let Some(i) = misplaced {
            return Err(StorageError::Invalid(ValidationError::field(
                format!("tasks[{i}]"),
                "names a list or parent that does not come before it",
            )));
        }
        let now = now();
        let created = self.write_import(user_id, plan, &levels, now).await?;
        if !plan.tasks.is_empty() {
            self.publish(Change {
                user_id: user_id.to_owned(),
                kind: ChangeKind::Tasks,
            })
            .await;
        }
        Ok(created)
    }

    async fn write_import(
        &self,
        user_id: &str,
        plan: &ImportPlan,
        levels: &[usize],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StorageError> {
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let (list_ids, created) = import_lists(&mut tx, user_id, plan, now).await?;
            let mut task_ids = vec![0i64; plan.tasks.len()];
            let deepest = levels.iter().copied().max().unwrap_or(0);
            for level in 1..=deepest {
                let at_level: Vec<usize> = (0..plan.tasks.len())
                    .filter(|&i| levels[i] == level)
                    .collect();
                for chunk in at_level.chunks(ROWS_PER_INSERT) {
                    let ids =
                        insert_tasks(&mut *tx, user_id, plan, chunk, &list_ids, &task_ids, now)
                            .await?;
                    for (&i, id) in chunk.iter().zip(ids) {
                        task_ids[i] = id;
                    }
                }
            }
            let pending = import_reminders(&mut tx, user_id, plan, &task_ids, now).await?;
            task_ids.sort_unstable();
            let queued =
                queue_events_about(&mut tx, user_id, Event::TaskCreated, &task_ids, now).await?;
            tx.commit().await?;
            if pending || queued {
                self.scheduled().notify_one();
            }
            Ok(created)
        })
    }
}

/// Stores the reminders of the plan's tasks (with ids `task_ids`); whether any is left to send.
async fn import_reminders<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    plan: &ImportPlan,
    task_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let whens = |i: usize| plan.tasks[i].task.reminders.as_deref().unwrap_or_default();
    let local = (0..plan.tasks.len()).any(|i| whens(i).iter().any(at_local_time));
    let tz = reminders::zone(tx, user_id, local).await?;
    let new: Vec<NewReminder> = (0..plan.tasks.len())
        .flat_map(|i| {
            let t = &plan.tasks[i].task;
            whens(i)
                .iter()
                .map(move |w| NewReminder::new(task_ids[i], *w, (t.due_at, t.completed), tz, now))
        })
        .collect();
    for chunk in new.chunks(ROWS_PER_INSERT) {
        reminders::insert_many(&mut **tx, user_id, chunk, now).await?;
    }
    Ok(new.iter().any(NewReminder::pending))
}

/// The id of each of the plan's lists, creating the missing ones, and whether each was created.
async fn import_lists<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    plan: &ImportPlan,
    now: DateTime<Utc>,
) -> Result<(Vec<i64>, Vec<bool>), StorageError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, String): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let inbox_id = inbox(tx, user_id, now).await?;
    let existing: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name_key FROM lists WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut **tx)
            .await?;
    let mut ids = Vec::with_capacity(plan.lists.len());
    let mut created = Vec::with_capacity(plan.lists.len());
    for list in &plan.lists {
        let key = list_name_key(&list.name);
        let found = if list.inbox {
            Some(inbox_id)
        } else {
            existing.iter().find(|(_, k)| *k == key).map(|(id, _)| *id)
        };
        if let Some(id) = found {
            ids.push(id);
            created.push(false);
            continue;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO lists (user_id, name, name_key, colour, position, archived, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, COALESCE($5, (SELECT COALESCE(MAX(position), 0) + 1 FROM lists WHERE user_id = $1)), \
             $6, $7, $7) RETURNING id",
        )
        .bind(user_id)
        .bind(list.name.as_str())
        .bind(key)
        .bind(list.colour.as_str())
        .bind(list.position)
        .bind(list.archived)
        .bind(millis(now))
        .fetch_one(&mut **tx)
        .await
        .map_err(StorageError::from)
        .map_err(|e| match e {
            // The plan names each list once; a clash is a concurrent create of the same name.
            StorageError::Conflict => StorageError::Invalid(ValidationError::field(
                "lists",
                format!("a list called {:?} was created meanwhile; try again", list.name),
            )),
            e => e,
        })?;
        ids.push(id);
        created.push(true);
    }
    Ok((ids, created))
}

/// Inserts the plan's tasks `rows` (whose parents have ids in `task_ids` already) in one statement and
/// returns their ids in the same order.
async fn insert_tasks<'e, DB, E>(
    exec: E,
    user_id: &str,
    plan: &ImportPlan,
    rows: &[usize],
    list_ids: &[i64],
    task_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i16: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let mut sql = format!("INSERT INTO tasks ({NEW_TASK_COLUMNS}) VALUES ");
    for r in 0..rows.len() {
        let first = r * NEW_TASK_VALUES;
        let params: Vec<String> = (1..=NEW_TASK_VALUES)
            .map(|k| format!("${}", first + k))
            .collect();
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    sql.push_str(" RETURNING id");
    let mut q = sqlx::query_as::<DB, (i64,)>(&sql);
    for &i in rows {
        let it = &plan.tasks[i];
        let created = it.created_at.unwrap_or(now);
        let spot = Spot {
            list_id: list_ids[it.list],
            parent_id: it.parent.map(|p| task_ids[p]),
        };
        let times = (created, it.updated_at.unwrap_or(created));
        q = bind_new_task(q, user_id, &it.task, times, spot, it.spawned_next);
    }
    // Rows of one statement are numbered in the order of its VALUES (SQLite's AUTOINCREMENT and
    // PostgreSQL's identity only grow), whatever order RETURNING lists them in.
    let mut ids: Vec<i64> = q
        .fetch_all(exec)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}
