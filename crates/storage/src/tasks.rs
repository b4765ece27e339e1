use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Type};
use todo_domain::{
    search_text, title_key, Cursor, Event, Levels, ListQuery, NewTask, Order, Priority, Recurrence,
    RepeatFrom, Settings, SortKey, SortValue, Status, Task, TaskPatch, Tz, When,
};

use crate::reminders::{self, ReminderRow};
use crate::store::{with_pool, Pool};
use crate::tree::{place, Spot, DESCENDANTS};
use crate::webhooks::{queue_events_about, queue_task_event, queue_task_events};
use crate::{StorageError, Store};

/// A task's columns, its direct subtasks' counts (from the `tasks_parent` index) and whether it has
/// reminders (from `reminders_task`), so their own query runs only for the few tasks that do.
pub(crate) const COLUMNS: &str =
    "id, user_id, title, description, completed, priority, tags, due_at, recurrence, \
     created_at, updated_at, series_start, spawned_next, list_id, parent_id, repeat_from_completion, occurrence, \
     (SELECT COUNT(*) FROM tasks c WHERE c.parent_id = tasks.id) AS subtask_count, \
     (SELECT COUNT(*) FROM tasks c WHERE c.parent_id = tasks.id AND c.completed) AS subtasks_done, \
     EXISTS (SELECT 1 FROM reminders r WHERE r.task_id = tasks.id) AS has_reminders";

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: i64,
    user_id: String,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: i16,
    tags: String,
    due_at: Option<i64>,
    recurrence: Option<String>,
    created_at: i64,
    updated_at: i64,
    series_start: Option<i64>,
    spawned_next: bool,
    list_id: i64,
    parent_id: Option<i64>,
    repeat_from_completion: bool,
    occurrence: i32,
    subtask_count: i64,
    subtasks_done: i64,
    has_reminders: bool,
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The current time at the precision stored, so a write's response equals what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    from_millis(millis(Utc::now()))
}

impl From<TaskRow> for Task {
    fn from(r: TaskRow) -> Task {
        Task {
            id: r.id,
            user_id: r.user_id,
            title: r.title,
            description: r.description,
            completed: r.completed,
            priority: Priority::from_rank(r.priority),
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            due_at: r.due_at.map(from_millis),
            recurrence: r.recurrence.as_deref().and_then(Recurrence::from_stored),
            repeat_from: if r.repeat_from_completion {
                RepeatFrom::Completion
            } else {
                RepeatFrom::Due
            },
            list_id: r.list_id,
            parent_id: r.parent_id,
            subtask_count: r.subtask_count,
            subtasks_done: r.subtasks_done,
            reminders: Vec::new(),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            series_start: r.series_start.map(from_millis),
            spawned_next: r.spawned_next,
            occurrence: r.occurrence,
        }
    }
}

/// The tasks of `rows` with their reminders, read (in one query) only for those that have some.
pub(crate) async fn with_reminders<'e, DB, E>(
    exec: E,
    rows: Vec<TaskRow>,
) -> Result<Vec<Task>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let armed: Vec<i64> = rows
        .iter()
        .filter(|r| r.has_reminders)
        .map(|r| r.id)
        .collect();
    let mut tasks: Vec<Task> = rows.into_iter().map(Task::from).collect();
    if !armed.is_empty() {
        let mut found = reminders::of_tasks(exec, &armed).await?;
        for task in &mut tasks {
            task.reminders = found.remove(&task.id).unwrap_or_default();
        }
    }
    Ok(tasks)
}

/// One page of a task list, and the cursor of the next page when there is one.
#[derive(Debug, Clone)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub next_cursor: Option<Cursor>,
}

/// A value bound into a dynamically built statement.
#[derive(Clone)]
enum Arg {
    Int(i64),
    Small(i16),
    Text(String),
    Bool(bool),
}

pub(crate) type QueryAs<'q, DB, O> =
    sqlx::query::QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>;

fn bind_all<'q, DB, O>(mut q: QueryAs<'q, DB, O>, args: Vec<Arg>) -> QueryAs<'q, DB, O>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    i16: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
{
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Small(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
        };
    }
    q
}

/// `LIKE` pattern matching `text` anywhere, with the pattern characters in `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The SQL expression each sort orders by; it must match the expression indexes in the migrations.
fn sort_expr(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Created => "created_at",
        SortKey::Updated => "updated_at",
        SortKey::Due => "COALESCE(due_at, 9223372036854775807)",
        SortKey::Priority => "priority",
        SortKey::Title => "title_key",
    }
}

/// Up to this many candidates from SQLite's trigram index, a search reads them all and sorts them; past
/// it, matches are dense enough that walking the sort order and testing each task fills a page sooner.
const FTS_CANDIDATES: i64 = 1000;

/// The FTS5 query (on `tasks_fts`, a trigram index) whose matches include every task the search and tag
/// filters of `q` can match; `None` when neither has one. A trigram index cannot narrow a search shorter
/// than three characters, which is then left to the LIKE test alone. A tag is matched with its quotes
/// from the JSON array, as the LIKE test does, so it always has three characters.
fn fts_query(q: &ListQuery) -> Option<String> {
    // An FTS5 string: any text, with `"` doubled; a string of trigrams matches it as a substring.
    let phrase = |column: &str, text: &str| format!("{column} : \"{}\"", text.replace('"', "\"\""));
    let search = q
        .search
        .as_deref()
        .filter(|s| s.chars().count() >= 3)
        .map(|s| phrase("search_text", s));
    let tag = q
        .tag
        .as_deref()
        .map(|t| phrase("tags", &format!("\"{t}\"")));
    let terms: Vec<String> = search.into_iter().chain(tag).collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Builds the keyset-paginated list statement: filters, then `(key, id)` past the cursor, in a total order.
/// With `fts` (an [`fts_query`], SQLite only) the statement reads the trigram index's candidates by rowid
/// and sorts them, instead of walking the user's tasks in sort order.
fn list_sql(user_id: &str, q: &ListQuery, fts: Option<&str>, sqlite: bool) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::Text(user_id.to_owned())];
    let mut sql = match fts {
        // `+user_id` keeps SQLite from walking a user_id-led sort index and testing every task against
        // the candidates, which it would otherwise pick.
        Some(m) => {
            args.push(Arg::Text(m.to_owned()));
            format!(
                "SELECT {COLUMNS} FROM tasks WHERE +user_id = $1 \
                 AND id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH $2)"
            )
        }
        // Within one list, `+user_id` leaves the list's own indexes (tasks_list_*) as the only range scans.
        None if q.list.is_some() && sqlite => {
            format!("SELECT {COLUMNS} FROM tasks WHERE +user_id = $1")
        }
        None => format!("SELECT {COLUMNS} FROM tasks WHERE user_id = $1"),
    };
    let mut push = |sql: &mut String, clause: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
    };
    if let Some(l) = q.list {
        push(&mut sql, " AND list_id = $?", Arg::Int(l));
    }
    match q.levels {
        // `+` (no-op on PostgreSQL) keeps SQLite off tasks_parent, which serves subtask counts: most
        // tasks are top-level, and the sort's index serves the page without a sort step.
        Levels::TopLevel => sql.push_str(" AND +parent_id IS NULL"),
        Levels::All => {}
        Levels::Under(parent) => push(
            &mut sql,
            &format!(
                " AND id IN ({})",
                DESCENDANTS.replace("$1", "$?").replace("$2", "$1")
            ),
            Arg::Int(parent),
        ),
    }
    match q.status {
        Status::All => {}
        Status::Pending => push(&mut sql, " AND completed = $?", Arg::Bool(false)),
        Status::Completed => push(&mut sql, " AND completed = $?", Arg::Bool(true)),
    }
    if let Some(s) = &q.search {
        push(
            &mut sql,
            r" AND search_text LIKE $? ESCAPE '\'",
            Arg::Text(contains_pattern(s)),
        );
    }
    if let Some(p) = q.priority {
        push(&mut sql, " AND priority = $?", Arg::Small(p.rank()));
    }
    if let Some(t) = &q.tag {
        // Tags are stored as a JSON array of validated labels, so the quoted label cannot occur by accident.
        push(
            &mut sql,
            r" AND tags LIKE $? ESCAPE '\'",
            Arg::Text(contains_pattern(&format!("\"{t}\""))),
        );
    }
    if let Some(d) = q.due_before {
        push(&mut sql, " AND due_at < $?", Arg::Int(millis(d)));
    }
    let key = sort_expr(q.sort);
    let (cmp, dir) = match q.order {
        Order::Asc => (">", "ASC"),
        Order::Desc => ("<", "DESC"),
    };
    if let Some(c) = &q.cursor {
        let value = match &c.value {
            // ListQuery::parse admits only ranks 1–3 here.
            SortValue::Int(v) if q.sort == SortKey::Priority => {
                Arg::Small(i16::try_from(*v).unwrap_or(i16::MAX))
            }
            SortValue::Int(v) => Arg::Int(*v),
            SortValue::Text(v) => Arg::Text(v.clone()),
        };
        // SQLite range-scans an expression index (the due sort) for a plain comparison only, not for a
        // row-value one. On a column it needs none, and with statistics the redundant term can steer it
        // to a skip-scan and a sort.
        if q.sort == SortKey::Due {
            push(&mut sql, &format!(" AND {key} {cmp}= $?"), value.clone());
        }
        push(&mut sql, &format!(" AND ({key}, id) {cmp} ($?, "), value);
        push(&mut sql, "$?)", Arg::Int(c.id));
    }
    push(
        &mut sql,
        &format!(" ORDER BY {key} {dir}, id {dir} LIMIT $?"),
        Arg::Int(i64::from(q.limit) + 1),
    );
    (sql, args)
}

impl Store {
    pub async fn create_task(&self, user_id: &str, new: NewTask) -> Result<Task, StorageError> {
        let now = now();
        let task = {
            let _turn = self.write_turn().await;
            with_pool!(&self.pool, |p| {
                let mut tx = p.begin().await?;
                let (task, queued) = create_in(&mut tx, user_id, &new, now).await??;
                tx.commit().await?;
                self.wake_for(&task, queued);
                task
            })
        };
        self.task_changed(user_id, task.id).await;
        Ok(task)
    }

    pub async fn get_task(&self, user_id: &str, id: i64) -> Result<Option<Task>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2");
        self.one_task(&sql, user_id, id).await
    }

    /// Runs a statement that takes `(id, user_id)` and returns at most one task row.
    async fn one_task(
        &self,
        sql: &str,
        user_id: &str,
        id: i64,
    ) -> Result<Option<Task>, StorageError> {
        with_pool!(&self.pool, |p| {
            let row: Option<TaskRow> = sqlx::query_as(sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(p)
                .await?;
            let tasks = with_reminders(p, row.into_iter().collect()).await?;
            Ok(tasks.into_iter().next())
        })
    }

    pub async fn list_tasks(&self, user_id: &str, q: &ListQuery) -> Result<TaskPage, StorageError> {
        let fts = self.fts_candidates(q).await?;
        let sqlite = matches!(self.pool, Pool::Sqlite(_));
        let (sql, args) = list_sql(user_id, q, fts.as_deref(), sqlite);
        // A LIKE's selectivity depends on its pattern: planned afresh with the values each time (an
        // unnamed statement), PostgreSQL picks its trigram index or the sort order per search.
        let persistent = q.search.is_none() && q.tag.is_none();
        let mut tasks: Vec<Task> = with_pool!(&self.pool, |p| {
            let rows: Vec<TaskRow> = bind_all(sqlx::query_as(&sql), args)
                .persistent(persistent)
                .fetch_all(p)
                .await?;
            with_reminders(p, rows).await?
        });
        let next_cursor = if tasks.len() > q.limit as usize {
            tasks.truncate(q.limit as usize);
            tasks.last().map(|t| Cursor::after(t, q.sort, q.order))
        } else {
            None
        };
        Ok(TaskPage { tasks, next_cursor })
    }

    /// On SQLite, the [`fts_query`] for `q` when its trigram index has fewer than [`FTS_CANDIDATES`]
    /// matches (across users), so the list reads those; otherwise the list walks the sort order.
    /// PostgreSQL's planner makes this choice itself, from its statistics.
    async fn fts_candidates(&self, q: &ListQuery) -> Result<Option<String>, StorageError> {
        let (Pool::Sqlite(p), Some(m)) = (&self.pool, fts_query(q)) else {
            return Ok(None);
        };
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tasks_fts WHERE tasks_fts MATCH $1 LIMIT $2)",
        )
        .bind(&m)
        .bind(FTS_CANDIDATES)
        .fetch_one(p)
        .await?;
        Ok((count < FTS_CANDIDATES).then_some(m))
    }

    /// Applies `patch` to the caller's task atomically; completing a recurring task inserts its next
    /// occurrence in the same transaction, and with `complete_subtasks` its open subtasks are completed
    /// too. A move to another list takes the task's subtasks along. `None` when the task does not exist
    /// for this user.
    pub async fn update_task(
        &self,
        user_id: &str,
        id: i64,
        patch: TaskPatch,
        complete_subtasks: bool,
    ) -> Result<Option<Task>, StorageError> {
        self.modify_task(user_id, id, |_| patch, complete_subtasks)
            .await
    }

    /// Flips `completed`, with the same rules as [`Store::update_task`].
    pub async fn toggle_task(
        &self,
        user_id: &str,
        id: i64,
        complete_subtasks: bool,
    ) -> Result<Option<Task>, StorageError> {
        self.modify_task(user_id, id, TaskPatch::toggle, complete_subtasks)
            .await
    }

    async fn modify_task(
        &self,
        user_id: &str,
        id: i64,
        patch: impl FnOnce(&Task) -> TaskPatch,
        complete_subtasks: bool,
    ) -> Result<Option<Task>, StorageError> {
        let written = self
            .write_modification(user_id, id, patch, complete_subtasks)
            .await?;
        let Some((task, mut changed)) = written else {
            return Ok(None);
        };
        changed.insert(0, id);
        self.tasks_changed(user_id, &changed).await;
        Ok(Some(task))
    }

    /// [`Store::modify_task`]'s transaction: the task, and the subtasks completed with it.
    async fn write_modification(
        &self,
        user_id: &str,
        id: i64,
        patch: impl FnOnce(&Task) -> TaskPatch,
        complete_subtasks: bool,
    ) -> Result<Option<(Task, Vec<i64>)>, StorageError> {
        let now = now();
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let Some(row) = lock_task(&mut *tx, user_id, id).await? else {
                return Ok(None);
            };
            let armed = row.has_reminders;
            let mut task = Task::from(row);
            let patch = patch(&task);
            let was_completed = task.completed;
            let moved = match (patch.parent_id, patch.list_id) {
                (Some(parent), list) => Some((list, parent)),
                // A subtask moved to another list on its own goes to that list's top level.
                (None, Some(l)) if l != task.list_id => Some((Some(l), None)),
                (None, _) => None,
            };
            if let Some((list_id, parent_id)) = moved {
                let spot = place(&mut tx, user_id, list_id, parent_id, Some(id), now)
                    .await?
                    .map_err(StorageError::Invalid)?;
                if spot.list_id != task.list_id {
                    let sql = format!("UPDATE tasks SET list_id = $3 WHERE id IN ({DESCENDANTS})");
                    sqlx::query(&sql)
                        .bind(id)
                        .bind(user_id)
                        .bind(spot.list_id)
                        .execute(&mut *tx)
                        .await?;
                }
                task.list_id = spot.list_id;
                task.parent_id = spot.parent_id;
            }
            let mut completing = vec![(task, patch, armed)];
            if complete_subtasks && !was_completed && completing[0].1.completed == Some(true) {
                let sql = format!(
                    "SELECT {COLUMNS} FROM tasks WHERE id IN ({DESCENDANTS}) AND NOT completed ORDER BY id"
                );
                let open: Vec<TaskRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await?;
                completing.extend(open.into_iter().map(|row| {
                    let armed = row.has_reminders;
                    let t = Task::from(row);
                    let done = TaskPatch::toggle(&t);
                    (t, done, armed)
                }));
            }
            let subtasks: Vec<i64> = completing[1..].iter().map(|(t, _, _)| t.id).collect();
            let mut tz = None;
            for (mut task, mut patch, mut armed) in completing {
                if tz.is_none() && (task.recurrence.is_some() || patch.recurrence.is_some()) {
                    tz = Some(time_zone(&mut *tx, user_id).await?);
                }
                let replace = patch.reminders.take();
                let (was_due, was_done) = (task.due_at, task.completed);
                let next = task.apply(patch, now, tz.unwrap_or(Tz::UTC));
                write_task(&mut *tx, &task).await?;
                if let Some(whens) = replace {
                    if let Err(invalid) =
                        reminders::set_reminders(&mut tx, &task, &whens, now).await?
                    {
                        return Err(StorageError::Invalid(invalid));
                    }
                    armed = !whens.is_empty();
                } else if armed && (task.due_at != was_due || task.completed != was_done) {
                    reminders::rearm(&mut tx, &task, now).await?;
                }
                if let Some(next) = next {
                    let next = insert_task(&mut *tx, user_id, &next, spot_of(&task), now).await?;
                    if armed {
                        reminders::carry_over(&mut tx, &task, &next, now).await?;
                    }
                }
            }
            // Read back: the completions above may have changed the subtask counts.
            let sql =
                format!("SELECT {COLUMNS}, {HOOKED} FROM tasks WHERE id = $1 AND user_id = $2");
            let back: Option<HookedRow> = sqlx::query_as(&sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let hooked = back.as_ref().is_some_and(|b| b.hooked);
            let rows = back.map(|b| b.task).into_iter().collect();
            let task = with_reminders(&mut *tx, rows).await?.pop();
            let mut queued = false;
            if let Some(task) = &task {
                let event = if task.completed && !was_completed {
                    Event::TaskCompleted
                } else {
                    Event::TaskUpdated
                };
                queued = hooked && queue_task_event(&mut tx, user_id, event, task, now).await?;
            }
            // Each subtask completed with it is an event of its own.
            queued |=
                queue_events_about(&mut tx, user_id, Event::TaskCompleted, &subtasks, now).await?;
            tx.commit().await?;
            if let Some(task) = &task {
                self.wake_for(task, queued);
            }
            Ok(task.map(|t| (t, subtasks)))
        })
    }

    /// Deletes the caller's task with its subtasks; returns it and how many subtasks went with it, or
    /// `None` when there is no such task for this user.
    pub async fn delete_task(
        &self,
        user_id: &str,
        id: i64,
    ) -> Result<Option<(Task, u64)>, StorageError> {
        let Some((task, subtasks)) = self.write_deletion(user_id, id).await? else {
            return Ok(None);
        };
        let mut changed = vec![id];
        changed.extend(subtasks.iter().map(|t| t.id));
        self.tasks_changed(user_id, &changed).await;
        Ok(Some((task, subtasks.len() as u64)))
    }

    /// [`Store::delete_task`]'s transaction: the task, and the subtasks deleted with it.
    async fn write_deletion(
        &self,
        user_id: &str,
        id: i64,
    ) -> Result<Option<(Task, Vec<Task>)>, StorageError> {
        let _turn = self.write_turn().await;
        let subtasks = format!("DELETE FROM tasks WHERE id IN ({DESCENDANTS}) RETURNING {COLUMNS}");
        let task = format!("DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}");
        let now = now();
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let removed: Vec<TaskRow> = sqlx::query_as(&subtasks)
                .bind(id)
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
            let row: Option<TaskRow> = sqlx::query_as(&task)
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(task) = row.map(Task::from) else {
                return Ok(None);
            };
            let mut subtasks: Vec<Task> = removed.into_iter().map(Task::from).collect();
            subtasks.sort_by_key(|t| t.id);
            // The task's event, then one for each subtask that went with it, in one statement.
            let mut deleted = vec![task];
            deleted.append(&mut subtasks);
            let queued =
                queue_task_events(&mut tx, user_id, Event::TaskDeleted, &deleted, now).await?;
            tx.commit().await?;
            if queued {
                self.scheduled().notify_one();
            }
            let subtasks = deleted.split_off(1);
            Ok(Some((deleted.remove(0), subtasks)))
        })
    }
}

fn spot_of(task: &Task) -> Spot {
    Spot {
        list_id: task.list_id,
        parent_id: task.parent_id,
    }
}

/// Places and inserts a new task, with its reminders, and queues its `task.created` event: the part of
/// creating one that runs inside the caller's transaction. Also returns whether an event was queued.
pub(crate) async fn create_in<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    new: &NewTask,
    now: DateTime<Utc>,
) -> Result<Result<(Task, bool), StorageError>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    TaskRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    (Option<i64>, Option<i64>, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i16: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    CreatedRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let spot = match place(tx, user_id, new.list_id, new.parent_id, None, now).await? {
        Ok(spot) => spot,
        Err(invalid) => return Ok(Err(StorageError::Invalid(invalid))),
    };
    let sql = format!(
        "{}, {HOOKED}, (SELECT s.default_reminder FROM user_settings s WHERE s.user_id = $1) \
         AS default_reminder",
        insert_sql()
    );
    let row: CreatedRow =
        bind_new_task(sqlx::query_as(&sql), user_id, new, (now, now), spot, false)
            .fetch_one(&mut **tx)
            .await?;
    let hooked = row.row.hooked;
    let mut task = Task::from(row.row.task);
    // Left out, the reminders are the user's default, for a task with a due time.
    let whens = match &new.reminders {
        Some(whens) => whens.clone(),
        None if task.due_at.is_some() => {
            let settings = Settings {
                default_reminder: row.default_reminder,
                ..Settings::default()
            };
            let default = settings.default_reminder_ms().map(|ms| When::Before {
                ms,
                on_day_at: None,
            });
            default.into_iter().collect()
        }
        None => Vec::new(),
    };
    if !whens.is_empty() {
        if let Err(invalid) = reminders::set_reminders(tx, &task, &whens, now).await? {
            return Ok(Err(StorageError::Invalid(invalid)));
        }
        reminders::attach(&mut **tx, std::slice::from_mut(&mut task)).await?;
    }
    let queued = hooked && queue_task_event(tx, user_id, Event::TaskCreated, &task, now).await?;
    Ok(Ok((task, queued)))
}

/// Tasks per statement when tasks are read by id.
const IDS_PER_READ: usize = 500;

/// The user's tasks of `ids` with their reminders, by id.
pub(crate) async fn read_tasks<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: &str,
    ids: &[i64],
) -> Result<Vec<Task>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    TaskRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    ReminderRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let mut tasks = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_READ) {
        let params: Vec<String> = (0..chunk.len()).map(|k| format!("${}", k + 2)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM tasks WHERE user_id = $1 AND id IN ({}) ORDER BY id",
            params.join(", ")
        );
        let mut q = sqlx::query_as::<DB, TaskRow>(&sql).bind(user_id);
        for id in chunk {
            q = q.bind(*id);
        }
        let mut read: Vec<Task> = q
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(Task::from)
            .collect();
        reminders::attach(&mut **tx, &mut read).await?;
        tasks.append(&mut read);
    }
    Ok(tasks)
}

/// Reads the caller's task through a write (a no-op touch), so the transaction holds the row, and on
/// SQLite the write lock, before reading: concurrent updates queue instead of losing each other's changes.
async fn lock_task<'e, DB, E>(
    exec: E,
    user_id: &str,
    id: i64,
) -> Result<Option<TaskRow>, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    TaskRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let sql = format!(
        "UPDATE tasks SET updated_at = updated_at WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(exec)
        .await
}

/// The user's time zone, UTC until they choose one.
pub(crate) async fn time_zone<'e, DB, E>(exec: E, user_id: &str) -> Result<Tz, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let row: Option<(String,)> =
        sqlx::query_as("SELECT time_zone FROM user_settings WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(exec)
            .await?;
    Ok(row
        .and_then(|(tz,)| todo_domain::parse_time_zone(&tz).ok())
        .unwrap_or(Tz::UTC))
}

/// Stores every field of `task`, its place included.
async fn write_task<'e, DB, E>(exec: E, task: &Task) -> Result<(), sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> i16: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let sql =
        "UPDATE tasks SET title = $1, description = $2, completed = $3, priority = $4, tags = $5, \
               due_at = $6, recurrence = $7, updated_at = $8, title_key = $9, search_text = $10, \
               spawned_next = $11, series_start = $12, list_id = $13, parent_id = $14, \
               repeat_from_completion = $15, occurrence = $16 WHERE id = $17 AND user_id = $18";
    sqlx::query(sql)
        .bind(task.title.as_str())
        .bind(task.description.as_deref())
        .bind(task.completed)
        .bind(task.priority.rank())
        .bind(tags_json(&task.tags))
        .bind(task.due_at.map(millis))
        .bind(task.recurrence.as_ref().map(Recurrence::rule))
        .bind(millis(task.updated_at))
        .bind(title_key(&task.title))
        .bind(search_text(&task.title, task.description.as_deref()))
        .bind(task.spawned_next)
        .bind(task.series_start.map(millis))
        .bind(task.list_id)
        .bind(task.parent_id)
        .bind(task.repeat_from == RepeatFrom::Completion)
        .bind(task.occurrence)
        .bind(task.id)
        .bind(task.user_id.as_str())
        .execute(exec)
        .await?;
    Ok(())
}

pub(crate) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// The columns a new task is stored with, in the order [`bind_new_task`] binds their values.
pub(crate) const NEW_TASK_COLUMNS: &str = "user_id, title, description, completed, priority, tags, \
    due_at, recurrence, created_at, updated_at, title_key, search_text, series_start, list_id, parent_id, \
    repeat_from_completion, occurrence, spawned_next";
/// How many values [`bind_new_task`] binds.
pub(crate) const NEW_TASK_VALUES: usize = 18;

/// Binds a new task's values, the derived ones (title key, search text) included, in the order of
/// [`NEW_TASK_COLUMNS`].
pub(crate) fn bind_new_task<'q, DB, O>(
    q: QueryAs<'q, DB, O>,
    user_id: &'q str,
    t: &'q NewTask,
    (created, updated): (DateTime<Utc>, DateTime<Utc>),
    spot: Spot,
    spawned_next: bool,
) -> QueryAs<'q, DB, O>
where
    DB: Database,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> i16: Encode<'a, DB> + Type<DB>,
    for<'a> i32: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
{
    q.bind(user_id)
        .bind(t.title.as_str())
        .bind(t.description.as_deref())
        .bind(t.completed)
        .bind(t.priority.rank())
        .bind(tags_json(&t.tags))
        .bind(t.due_at.map(millis))
        .bind(t.recurrence.as_ref().map(Recurrence::rule))
        .bind(millis(created))
        .bind(millis(updated))
        .bind(title_key(&t.title))
        .bind(search_text(&t.title, t.description.as_deref()))
        .bind(t.series_start.map(millis))
        .bind(spot.list_id)
        .bind(spot.parent_id)
        .bind(t.repeat_from == RepeatFrom::Completion)
        .bind(t.occurrence)
        .bind(spawned_next)
}

/// The statement that inserts one task (the values of [`bind_new_task`]) and returns its [`COLUMNS`].
fn insert_sql() -> String {
    let params: Vec<String> = (1..=NEW_TASK_VALUES).map(|k| format!("${k}")).collect();
    format!(
        "INSERT INTO tasks ({NEW_TASK_COLUMNS}) VALUES ({}) RETURNING {COLUMNS}",
        params.join(", ")
    )
}

/// Whether the task's owner has a webhook switched on, as a column next to [`COLUMNS`]: a write queues
/// its event only then, so one without webhooks runs no statement for them.
const HOOKED: &str = "EXISTS (SELECT 1 FROM webhooks w \
     WHERE w.user_id = tasks.user_id AND w.disabled_at IS NULL) AS hooked";

#[derive(sqlx::FromRow)]
pub(crate) struct HookedRow {
    #[sqlx(flatten)]
    task: TaskRow,
    hooked: bool,
}

/// A new task's row and its owner's default reminder, as stored (an ISO 8601 duration).
#[derive(sqlx::FromRow)]
pub(crate) struct CreatedRow {
    #[sqlx(flatten)]
    row: HookedRow,
    default_reminder: Option<String>,
}

pub(crate) async fn insert_task<'e, DB, E>(
    exec: E,
    user_id: &str,
    t: &NewTask,
    spot: Spot,
    now: DateTime<Utc>,
) -> Result<Task, sqlx::Error>
where
    DB: Database,
    E: sqlx::Executor<'e, Database = DB>,
    TaskRow: for<'r> sqlx::FromRow<'r, DB::Row>,
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
    let row: TaskRow = bind_new_task(
        sqlx::query_as(&insert_sql()),
        user_id,
        t,
        (now, now),
        spot,
        false,
    )
    .fetch_one(exec)
    .await?;
    Ok(row.into())
}

#[cfg(test)]
mod tests {
    use todo_domain::{Cursor, ListQuery, Order, SortKey, SortValue, Status};

    use super::*;
    use crate::StoreOptions;

    /// SQLite's plan for a list, as its EXPLAIN QUERY PLAN details, one a line.
    async fn plan(store: &Store, q: &ListQuery, fts: Option<&str>) -> String {
        let Pool::Sqlite(p) = &store.pool else {
            unreachable!()
        };
        let (sql, args) = list_sql("u", q, fts, true);
        let rows: Vec<(i64, i64, i64, String)> =
            bind_all(sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")), args)
                .fetch_all(p)
                .await
                .unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
    }

    /// Every sort, with and without a status filter, is a range scan of an index past the cursor, and a
    /// search reads the trigram index's candidates by rowid: on a database without statistics (SQLite
    /// gathers none unless asked), and with statistics of one user's thousands of tasks.
    #[tokio::test]
    async fn sqlite_lists_from_the_indexes() {
        let store = Store::open("sqlite::memory:", &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();
        for analysed in [false, true] {
            if analysed {
                let Pool::Sqlite(p) = &store.pool else {
                    unreachable!()
                };
                // 50 lists; every tenth task a subtask of a task of its list.
                let load = "WITH RECURSIVE l(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM l WHERE i < 50) \
                            INSERT INTO lists (user_id, name, name_key, created_at, updated_at) \
                            SELECT 'u', 'l' || i, 'l' || i, 0, 0 FROM l; \
                            WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 4999) \
                            INSERT INTO tasks (user_id, title, completed, priority, due_at, created_at, updated_at, \
                            title_key, search_text, list_id, parent_id) SELECT 'u', 't' || i, i % 2, 1 + i % 3, \
                            NULLIF(i % 7, 0) * i, i, i, 't' || i, 't' || i, 1 + i % 50, \
                            CASE WHEN i % 10 = 9 AND i >= 50 THEN i - 49 END FROM s; ANALYZE";
                sqlx::raw_sql(load).execute(p).await.unwrap();
            }
            assert_plans(&store, analysed).await;
        }
    }

    async fn assert_plans(store: &Store, analysed: bool) {
        let sorts = [
            (SortKey::Created, "created", SortValue::Int(1)),
            (SortKey::Updated, "updated", SortValue::Int(1)),
            (SortKey::Due, "due", SortValue::Int(1)),
            (SortKey::Priority, "priority", SortValue::Int(2)),
            (SortKey::Title, "title", SortValue::Text("m".into())),
        ];
        for (sort, name, value) in sorts {
            for order in [Order::Asc, Order::Desc] {
                for (status, index) in [
                    (Status::All, format!("tasks_user_{name} (user_id=? AND ")),
                    (
                        Status::Completed,
                        format!("tasks_user_status_{name} (user_id=? AND completed=? AND "),
                    ),
                ] {
                    let q = ListQuery {
                        status,
                        sort,
                        order,
                        cursor: Some(Cursor {
                            sort,
                            order,
                            value: value.clone(),
                            id: 7,
                        }),
                        ..Default::default()
                    };
                    let plan = plan(store, &q, None).await;
                    assert!(
                        plan.contains(&index) && !plan.contains("TEMP B-TREE"),
                        "{name} {order:?} {status:?} (analysed: {analysed}): {plan}"
                    );
                }
                // One list's page walks that list's index.
                let q = ListQuery {
                    sort,
                    order,
                    list: Some(3),
                    ..Default::default()
                };
                let plan = plan(store, &q, None).await;
                let index = format!("tasks_list_{name} (list_id=?");
                assert!(
                    plan.contains(&index) && !plan.contains("TEMP B-TREE"),
                    "list {name} {order:?} (analysed: {analysed}): {plan}"
                );
            }
        }
        let q = ListQuery {
            search: Some("kiwi".into()),
            tag: Some("home".into()),
            status: Status::Pending,
            ..Default::default()
        };
        let plan = plan(store, &q, fts_query(&q).as_deref()).await;
        assert!(
            plan.contains("SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)")
                && plan.contains("SCAN tasks_fts VIRTUAL TABLE"),
            "(analysed: {analysed}) {plan}"
        );
    }
}
