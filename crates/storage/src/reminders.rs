//! Reminders of tasks: kept in step with each task's due time and completion inside the task's own
//! write, and fired by whichever process's scheduler claims them first.

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Utc};
use sqlx::{Database, Encode, Type};
use todo_domain::{Reminder, ReminderInput, Task, Tz, ValidationError, When};

use crate::tasks::{from_millis, millis, time_zone};

/// A stored reminder's columns, in [`ReminderRow`]'s order.
const COLUMNS: &str = "id, task_id, at, before_ms, at_local, fire_at, status";

#[derive(sqlx::FromRow)]
pub(crate) struct ReminderRow {
    id: i64,
    task_id: i64,
    at: Option<i64>,
    before_ms: Option<i64>,
    at_local: Option<String>,
    fire_at: Option<i64>,
    status: String,
}

impl ReminderRow {
    fn when(&self) -> When {
        match (self.at, self.before_ms) {
            (Some(at), _) => When::At(from_millis(at)),
            (None, ms) => When::Before {
                ms: ms.unwrap_or(0),
                on_day_at: self
                    .at_local
                    .as_deref()
                    .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok()),
            },
        }
    }

    fn reminder(&self) -> Reminder {
        Reminder {
            id: self.id,
            when: ReminderInput::of(self.when()),
            fire_at: self.fire_at.map(from_millis),
            done: self.status != PENDING,
        }
    }
}

const PENDING: &str = "pending";
const SENT: &str = "sent";
const CANCELLED: &str = "cancelled";
const SKIPPED: &str = "skipped";

/// How a reminder set to go off at `fire_at` starts out: one already in the past (set late, or a
/// task imported with old dates) is not sent.
fn initial_status(
    fire_at: Option<DateTime<Utc>>,
    completed: bool,
    now: DateTime<Utc>,
) -> &'static str {
    match fire_at {
        _ if completed => CANCELLED,
        Some(t) if t < now => SKIPPED,
        _ => PENDING,
    }
}

/// Replaces the task's reminders with `whens`; a relative one on a task without a due time is refused.
pub(crate) async fn set_reminders<'e, DB>(
    tx: &mut sqlx::Transaction<'e, DB>,
    task: &Task,
    whens: &[When],
    now: DateTime<Utc>,
) -> Result<Result<(), ValidationError>, sqlx::Error>
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
    if task.due_at.is_none() {
        if let Some(i) = whens.iter().position(|w| matches!(w, When::Before { .. })) {
            return Ok(Err(ValidationError::field(
                format!("reminders[{i}].before"),
                "the task has no due time to count back from; give it one or use `at`",
            )));
        }
    }
    sqlx::query("DELETE FROM reminders WHERE task_id = $1")
        .bind(task.id)
        .execute(&mut **tx)
        .await?;
    let tz = zone(tx, &task.user_id, whens.iter().any(at_local_time)).await?;
    for when in whens {
        insert(&mut **tx, task, *when, tz, now).await?;
    }
    Ok(Ok(()))
}

async fn insert<'e, DB, E>(
    exec: E,
    task: &Task,
    when: When,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let new = NewReminder::new(task.id, when, (task.due_at, task.completed), tz, now);
    insert_many(exec, &task.user_id, &[new], now).await
}

/// A reminder about to be stored: its rule, when it goes off, and how it starts out.
pub(crate) struct NewReminder {
    task_id: i64,
    at: Option<i64>,
    before_ms: Option<i64>,
    at_local: Option<String>,
    fire_at: Option<i64>,
    status: &'static str,
}

impl NewReminder {
    /// Reminder `when` of task `task_id`, which is due at `due` and maybe `completed`.
    pub(crate) fn new(
        task_id: i64,
        when: When,
        (due, completed): (Option<DateTime<Utc>>, bool),
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Self {
        let fire_at = when.fire_at(due, tz);
        let (at, before_ms, at_local) = match when {
            When::At(at) => (Some(millis(at)), None, None),
            When::Before { ms, on_day_at } => (
                None,
                Some(ms),
                on_day_at.map(|t| t.format("%H:%M").to_string()),
            ),
        };
        NewReminder {
            task_id,
            at,
            before_ms,
            at_local,
            fire_at: fire_at.map(millis),
            status: initial_status(fire_at, completed, now),
        }
    }

    /// Whether the scheduler has it to send.
    pub(crate) fn pending(&self) -> bool {
        self.status == PENDING
    }
}

/// Values bound per reminder in [`insert_many`], besides the two all its rows share.
pub(crate) const VALUES_PER_REMINDER: usize = 6;

/// Stores `reminders` of the user's tasks in one statement.
pub(crate) async fn insert_many<'e, DB, E>(
    exec: E,
    user_id: &str,
    reminders: &[NewReminder],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    // $1 (the owner) and $2 (the time) are every row's; each row's own values follow.
    let rows: Vec<String> = (0..reminders.len())
        .map(|r| {
            let own: Vec<String> = (0..VALUES_PER_REMINDER)
                .map(|k| format!("${}", 3 + r * VALUES_PER_REMINDER + k))
                .collect();
            format!("({}, $1, $2, {})", own[0], own[1..].join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO reminders (task_id, user_id, created_at, at, before_ms, at_local, fire_at, status) \
         VALUES {}",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(user_id).bind(millis(now));
    for r in reminders {
        q = q
            .bind(r.task_id)
            .bind(r.at)
            .bind(r.before_ms)
            .bind(r.at_local.clone())
            .bind(r.fire_at)
            .bind(r.status);
    }
    q.execute(exec).await?;
    Ok(())
}

/// Whether `when` is at a local time of the user's time zone ("1 day before at 9:00").
pub(crate) fn at_local_time(when: &When) -> bool {
    matches!(
        when,
        When::Before {
            on_day_at: Some(_),
            ..
        }
    )
}

/// The user's time zone when `needed` (a reminder at a local time), else UTC without a query.
pub(crate) async fn zone<'e, DB>(
    tx: &mut sqlx::Transaction<'e, DB>,
    user_id: &str,
    needed: bool,
) -> Result<Tz, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    if needed {
        time_zone(&mut **tx, user_id).await
    } else {
        Ok(Tz::UTC)
    }
}

async fn rows_of<'e, DB, E>(exec: E, task_id: i64) -> Result<Vec<ReminderRow>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let sql = format!("SELECT {COLUMNS} FROM reminders WHERE task_id = $1 ORDER BY id");
    sqlx::query_as(&sql).bind(task_id).fetch_all(exec).await
}

/// Brings the task's reminders in step after its due time or completion changed: completing cancels
/// the pending ones, reopening brings back those still ahead, and a new due time moves the relative
/// ones (arming again those that now lie ahead).
pub(crate) async fn rearm<'e, DB>(
    tx: &mut sqlx::Transaction<'e, DB>,
    task: &Task,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let rows = rows_of(&mut **tx, task.id).await?;
    let tz = zone(tx, &task.user_id, rows.iter().any(|r| r.at_local.is_some())).await?;
    for row in rows {
        let fire_at = row.when().fire_at(task.due_at, tz);
        let moved = fire_at.map(millis) != row.fire_at;
        let status = match row.status.as_str() {
            PENDING if task.completed => CANCELLED,
            CANCELLED | SENT | SKIPPED if !task.completed && (moved || row.status == CANCELLED) => {
                initial_status(fire_at, false, now)
            }
            other => other,
        };
        if moved || status != row.status {
            sqlx::query("UPDATE reminders SET fire_at = $1, status = $2 WHERE id = $3")
                .bind(fire_at.map(millis))
                .bind(status)
                .bind(row.id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Gives the next occurrence `next` of a recurring task the reminders of the one just completed.
pub(crate) async fn carry_over<'e, DB>(
    tx: &mut sqlx::Transaction<'e, DB>,
    done: &Task,
    next: &Task,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let Some(next_due) = next.due_at else {
        return Ok(());
    };
    let rows = rows_of(&mut **tx, done.id).await?;
    let tz = zone(tx, &next.user_id, rows.iter().any(|r| r.at_local.is_some())).await?;
    for row in rows {
        if let Some(when) = row.when().for_next(done.due_at, next_due) {
            insert(&mut **tx, next, when, tz, now).await?;
        }
    }
    Ok(())
}

/// The reminders of each of `task_ids`, in the order they were set.
pub(crate) async fn of_tasks<'e, DB, E>(
    exec: E,
    task_ids: &[i64],
) -> Result<HashMap<i64, Vec<Reminder>>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let params: Vec<String> = (1..=task_ids.len()).map(|k| format!("${k}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM reminders WHERE task_id IN ({}) ORDER BY id",
        params.join(", ")
    );
    let mut q = sqlx::query_as::<DB, ReminderRow>(&sql);
    for id in task_ids {
        q = q.bind(*id);
    }
    Ok(by_task(q.fetch_all(exec).await?))
}

/// The reminders of each of the user's tasks, in the order they were set.
pub(crate) async fn of_user<'e, DB, E>(
    exec: E,
    user_id: &str,
) -> Result<HashMap<i64, Vec<Reminder>>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    // Through the user's tasks (indexed by user), as reminders are indexed by task.
    let sql = "SELECT r.id, r.task_id, r.at, r.before_ms, r.at_local, r.fire_at, r.status \
               FROM tasks t JOIN reminders r ON r.task_id = t.id WHERE t.user_id = $1 ORDER BY r.id";
    let rows = sqlx::query_as(sql).bind(user_id).fetch_all(exec).await?;
    Ok(by_task(rows))
}

fn by_task(rows: Vec<ReminderRow>) -> HashMap<i64, Vec<Reminder>> {
    let mut out: HashMap<i64, Vec<Reminder>> = HashMap::new();
    for row in rows {
        out.entry(row.task_id).or_default().push(row.reminder());
    }
    out
}

/// Fills in each task's reminders.
pub(crate) async fn attach<'e, DB, E>(exec: E, tasks: &mut [Task]) -> Result<(), sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let mut found = of_tasks(exec, &ids).await?;
    for task in tasks {
        task.reminders = found.remove(&task.id).unwrap_or_default();
    }
    Ok(())
}

/// A reminder that goes off in a window, with its task.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderOf {
    pub task_id: i64,
    pub title: String,
    pub due_at: Option<DateTime<Utc>>,
    pub reminder: Reminder,
}

#[derive(sqlx::FromRow)]
struct ReminderOfRow {
    #[sqlx(flatten)]
    reminder: ReminderRow,
    title: String,
    due_at: Option<i64>,
}

impl crate::Store {
    /// The user's reminders that go off in `[from, to)`, still waiting or already told (not those
    /// cancelled or skipped), soonest first, at most `limit`. Found through the user's tasks, so
    /// the scan is the user's own.
    pub async fn reminders_between(
        &self,
        user_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ReminderOf>, crate::StorageError> {
        let sql = "SELECT r.id, r.task_id, r.at, r.before_ms, r.at_local, r.fire_at, r.status, \
                   t.title, t.due_at FROM tasks t JOIN reminders r ON r.task_id = t.id \
                   WHERE t.user_id = $1 AND r.fire_at >= $2 AND r.fire_at < $3 \
                   AND r.status IN ('pending', 'sent') ORDER BY r.fire_at, r.id LIMIT $4";
        let rows: Vec<ReminderOfRow> = crate::store::with_pool!(&self.pool, |p| {
            sqlx::query_as(sql)
                .bind(user_id)
                .bind(millis(from))
                .bind(millis(to))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| ReminderOf {
                task_id: r.reminder.task_id,
                reminder: r.reminder.reminder(),
                title: r.title,
                due_at: r.due_at.map(from_millis),
            })
            .collect())
    }
}
