//! The user's lists, with their task counts.

use todo_domain::{
    list_name_key, Colour, Event, ListPatch, NewList, Task, TaskList, TasksOnDelete,
    ValidationError,
};

use crate::store::with_pool;
use crate::tasks::{from_millis, millis, now, TaskRow, COLUMNS as TASK_COLUMNS};
use crate::tree::inbox;
use crate::webhooks::{queue_events_about, queue_task_events};
use crate::{StorageError, Store};

pub(crate) const COLUMNS: &str =
    "id, name, colour, position, archived, inbox, created_at, updated_at, \
    (SELECT COUNT(*) FROM tasks t WHERE t.list_id = lists.id AND NOT t.completed) AS open_tasks, \
    (SELECT COUNT(*) FROM tasks t WHERE t.list_id = lists.id) AS total_tasks";

#[derive(sqlx::FromRow)]
pub(crate) struct ListRow {
    id: i64,
    name: String,
    colour: String,
    position: i64,
    archived: bool,
    inbox: bool,
    created_at: i64,
    updated_at: i64,
    open_tasks: i64,
    total_tasks: i64,
}

impl From<ListRow> for TaskList {
    fn from(r: ListRow) -> Self {
        TaskList {
            id: r.id,
            name: r.name,
            colour: Colour::parse(&r.colour).unwrap_or_default(),
            position: r.position,
            archived: r.archived,
            inbox: r.inbox,
            open_tasks: r.open_tasks,
            total_tasks: r.total_tasks,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

/// What deleting a list came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListDeletion {
    NotFound,
    /// The Inbox stays.
    Inbox,
    /// The list still has this many tasks and no choice was made for them; nothing changed.
    HasTasks(i64),
    /// Deleted, with this many tasks moved to the Inbox or deleted.
    Deleted {
        tasks: u64,
    },
}

fn taken(name: &str) -> StorageError {
    StorageError::Invalid(ValidationError::field(
        "name",
        format!("you already have a list called {name:?}"),
    ))
}

impl Store {
    /// The user's lists in their order, the Inbox created first if it is missing.
    pub async fn lists(&self, user_id: &str) -> Result<Vec<TaskList>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM lists WHERE user_id = $1 ORDER BY inbox DESC, position, id"
        );
        let now = now();
        let rows: Vec<ListRow> = with_pool!(&self.pool, |p| {
            let found: Vec<ListRow> = sqlx::query_as(&sql).bind(user_id).fetch_all(p).await?;
            if found.iter().any(|l| l.inbox) {
                found
            } else {
                let _turn = self.write_turn().await;
                let mut tx = p.begin().await?;
                inbox(&mut tx, user_id, now).await?;
                let rows = sqlx::query_as(&sql)
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
        });
        Ok(rows.into_iter().map(TaskList::from).collect())
    }

    pub async fn get_list(&self, user_id: &str, id: i64) -> Result<Option<TaskList>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM lists WHERE id = $1 AND user_id = $2");
        let row: Option<ListRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(id)
            .bind(user_id)
            .fetch_optional(p)
            .await?);
        Ok(row.map(TaskList::from))
    }

    /// Creates a list after the user's others (or at `position`); a name in use is a 422 on `name`.
    pub async fn create_list(&self, user_id: &str, new: NewList) -> Result<TaskList, StorageError> {
        let now = now();
        let insert = format!(
            "INSERT INTO lists (user_id, name, name_key, colour, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, COALESCE($5, (SELECT COALESCE(MAX(position), 0) + 1 FROM lists WHERE user_id = $1)), \
             $6, $6) RETURNING {COLUMNS}"
        );
        let _turn = self.write_turn().await;
        let row: ListRow = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            inbox(&mut tx, user_id, now).await?;
            let row = sqlx::query_as(&insert)
                .bind(user_id)
                .bind(&new.name)
                .bind(list_name_key(&new.name))
                .bind(new.colour.as_str())
                .bind(new.position)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(StorageError::from)
                .map_err(|e| match e {
                    StorageError::Conflict => taken(&new.name),
                    e => e,
                })?;
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    /// Renames, recolours, moves or (un)archives a list; the Inbox cannot be archived.
    pub async fn update_list(
        &self,
        user_id: &str,
        id: i64,
        patch: ListPatch,
    ) -> Result<Option<TaskList>, StorageError> {
        let now = now();
        let sql = format!(
            "UPDATE lists SET name = COALESCE($1, name), name_key = COALESCE($2, name_key), \
             colour = COALESCE($3, colour), position = COALESCE($4, position), \
             archived = CASE WHEN inbox THEN archived ELSE COALESCE($5, archived) END, updated_at = $6 \
             WHERE id = $7 AND user_id = $8 RETURNING {COLUMNS}"
        );
        if patch.archived == Some(true) {
            let is_inbox = self.get_list(user_id, id).await?.is_some_and(|l| l.inbox);
            if is_inbox {
                return Err(StorageError::Invalid(ValidationError::field(
                    "archived",
                    "the Inbox cannot be archived",
                )));
            }
        }
        let _turn = self.write_turn().await;
        let row: Option<ListRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(patch.name.as_deref())
            .bind(patch.name.as_deref().map(list_name_key))
            .bind(patch.colour.map(Colour::as_str))
            .bind(patch.position)
            .bind(patch.archived)
            .bind(millis(now))
            .bind(id)
            .bind(user_id)
            .fetch_optional(p)
            .await
            .map_err(StorageError::from)
            .map_err(|e| match (e, &patch.name) {
                (StorageError::Conflict, Some(name)) => taken(name),
                (e, _) => e,
            })?);
        Ok(row.map(TaskList::from))
    }

    /// Deletes a list. Its tasks move to the Inbox or are deleted, as `tasks` says; without a choice
    /// a list with tasks stays as it is.
    pub async fn delete_list(
        &self,
        user_id: &str,
        id: i64,
        tasks: Option<TasksOnDelete>,
    ) -> Result<ListDeletion, StorageError> {
        let (deletion, moved_or_deleted) = self.write_list_deletion(user_id, id, tasks).await?;
        self.tasks_changed(user_id, &moved_or_deleted).await;
        Ok(deletion)
    }

    /// [`Store::delete_list`], and the ids of the tasks it moved or deleted.
    async fn write_list_deletion(
        &self,
        user_id: &str,
        id: i64,
        tasks: Option<TasksOnDelete>,
    ) -> Result<(ListDeletion, Vec<i64>), StorageError> {
        let now = now();
        let _turn = self.write_turn().await;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let found: Option<(bool, i64)> = sqlx::query_as(
                "SELECT inbox, (SELECT COUNT(*) FROM tasks t WHERE t.list_id = lists.id) \
                 FROM lists WHERE id = $1 AND user_id = $2",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((is_inbox, count)) = found else {
                return Ok((ListDeletion::NotFound, Vec::new()));
            };
            if is_inbox {
                return Ok((ListDeletion::Inbox, Vec::new()));
            }
            // Each task moved or deleted is an event of its own.
            let (affected, queued): (Vec<i64>, bool) = match (count, tasks) {
                (0, _) => (Vec::new(), false),
                (n, None) => return Ok((ListDeletion::HasTasks(n), Vec::new())),
                (_, Some(TasksOnDelete::Move)) => {
                    let to = inbox(&mut tx, user_id, now).await?;
                    let mut moved: Vec<i64> = sqlx::query_scalar(
                        "UPDATE tasks SET list_id = $1, updated_at = $2 WHERE list_id = $3 RETURNING id",
                    )
                    .bind(to)
                    .bind(millis(now))
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    moved.sort_unstable();
                    let queued =
                        queue_events_about(&mut tx, user_id, Event::TaskUpdated, &moved, now)
                            .await?;
                    (moved, queued)
                }
                // Subtasks are in their parent's list, so one statement removes whole trees.
                (_, Some(TasksOnDelete::Delete)) => {
                    let sql =
                        format!("DELETE FROM tasks WHERE list_id = $1 RETURNING {TASK_COLUMNS}");
                    let rows: Vec<TaskRow> =
                        sqlx::query_as(&sql).bind(id).fetch_all(&mut *tx).await?;
                    let mut deleted: Vec<Task> = rows.into_iter().map(Task::from).collect();
                    deleted.sort_by_key(|t| t.id);
                    let queued =
                        queue_task_events(&mut tx, user_id, Event::TaskDeleted, &deleted, now)
                            .await?;
                    (deleted.into_iter().map(|t| t.id).collect(), queued)
                }
            };
            sqlx::query("DELETE FROM lists WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if queued {
                self.scheduled().notify_one();
            }
            let tasks = affected.len() as u64;
            Ok((ListDeletion::Deleted { tasks }, affected))
        })
    }
}
