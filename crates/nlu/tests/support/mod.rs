//! The five task tools over an in-memory list, following the same `todo-domain` rules as the real
//! ones in `todo-assistant` (validation, list filters and order, ids never reused, recurrence), so
//! the corpus runs on this crate alone, without a database.

use std::sync::Mutex;

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use todo_domain::{
    search_text, CreateTask, ListQuery, NewTask, RawListQuery, Status, Task, TaskPatch, ToolCall,
    UpdateTask, ADD_TASK, COMPLETE_TASK, DELETE_TASK, LIST_TASKS, UPDATE_TASK,
};
use todo_nlu::{ToolFailure, Tools};

/// Everyone's tasks.
#[derive(Default)]
pub struct Desk {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tasks: Vec<Task>,
    /// Ids are never reused, as with SQLite's AUTOINCREMENT.
    last_id: i64,
}

impl State {
    fn insert(&mut self, user: &str, new: NewTask) -> Task {
        self.last_id += 1;
        let now = Utc::now();
        let task = Task {
            id: self.last_id,
            user_id: user.to_owned(),
            title: new.title,
            description: new.description,
            completed: new.completed,
            priority: new.priority,
            tags: new.tags,
            due_at: new.due_at,
            recurrence: new.recurrence,
            created_at: now,
            updated_at: now,
            series_start: new.series_start,
            spawned_next: false,
        };
        self.tasks.push(task.clone());
        task
    }
}

/// The tools as one user reaches them, recording every call like a chat turn does.
pub struct Session<'d> {
    desk: &'d Desk,
    user: &'d str,
    pub calls: Vec<ToolCall>,
}

impl Desk {
    pub fn session<'d>(&'d self, user: &'d str) -> Session<'d> {
        Session {
            desk: self,
            user,
            calls: Vec::new(),
        }
    }

    /// Runs tool `name` for `user`, as `todo_assistant::tools::run` does on a store.
    pub fn run(&self, user: &str, name: &str, args: Value) -> Result<Value, ToolFailure> {
        let mut args = match args {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => return Err(invalid("arguments must be a JSON object")),
        };
        let mut state = self.state.lock().unwrap();
        match name {
            ADD_TASK => {
                let input: CreateTask = parse(args)?;
                let new = input.validate().map_err(invalid)?;
                Ok(outcome(&state.insert(user, new), "created"))
            }
            LIST_TASKS => {
                let input: ListArgs = parse(args)?;
                let raw = RawListQuery {
                    status: input.status,
                    q: input.search,
                    priority: input.priority,
                    tag: input.tag,
                    due_before: input.due_before,
                    limit: Some(input.limit.unwrap_or(100).to_string()),
                    ..Default::default()
                };
                let q = ListQuery::parse(&raw).map_err(invalid)?;
                // Newest first: ids grow with creation time.
                let found: Vec<&Task> = state
                    .tasks
                    .iter()
                    .rev()
                    .filter(|t| t.user_id == user && matches(t, &q))
                    .take(q.limit as usize)
                    .collect();
                Ok(serde_json::to_value(found).unwrap())
            }
            COMPLETE_TASK | UPDATE_TASK => {
                let id = task_id(&mut args)?;
                let patch = if name == COMPLETE_TASK {
                    TaskPatch {
                        completed: Some(true),
                        ..Default::default()
                    }
                } else {
                    parse::<UpdateTask>(args)?.validate().map_err(invalid)?
                };
                let task = state
                    .tasks
                    .iter_mut()
                    .find(|t| t.id == id && t.user_id == user)
                    .ok_or(ToolFailure::NotFound(id))?;
                let next = task.apply(patch, Utc::now());
                let done = outcome(
                    task,
                    if name == COMPLETE_TASK {
                        "completed"
                    } else {
                        "updated"
                    },
                );
                if let Some(next) = next {
                    state.insert(user, next);
                }
                Ok(done)
            }
            DELETE_TASK => {
                let id = task_id(&mut args)?;
                let at = state
                    .tasks
                    .iter()
                    .position(|t| t.id == id && t.user_id == user)
                    .ok_or(ToolFailure::NotFound(id))?;
                Ok(outcome(&state.tasks.remove(at), "deleted"))
            }
            other => Err(ToolFailure::Other(format!("unknown tool '{other}'"))),
        }
    }
}

impl Tools for Session<'_> {
    async fn call(&mut self, name: &str, arguments: Value) -> Result<Value, ToolFailure> {
        let outcome = self.desk.run(self.user, name, arguments.clone());
        let result = match &outcome {
            Ok(v) => v.clone(),
            Err(e) => json!({"error": format!("{e:?}")}),
        };
        self.calls.push(ToolCall {
            name: name.to_owned(),
            arguments,
            result,
        });
        outcome
    }
}

/// Whether `t` passes the filters of `q`, as the store's list query reads them.
fn matches(t: &Task, q: &ListQuery) -> bool {
    let status = match q.status {
        Status::All => true,
        Status::Pending => !t.completed,
        Status::Completed => t.completed,
    };
    status
        && q.search
            .as_ref()
            .is_none_or(|s| search_text(&t.title, t.description.as_deref()).contains(s.as_str()))
        && q.priority.is_none_or(|p| t.priority == p)
        && q.tag.as_ref().is_none_or(|tag| t.tags.contains(tag))
        && q.due_before
            .is_none_or(|before| t.due_at.is_some_and(|d| d < before))
}

#[derive(Deserialize)]
struct ListArgs {
    status: Option<String>,
    search: Option<String>,
    priority: Option<String>,
    tag: Option<String>,
    due_before: Option<String>,
    limit: Option<u32>,
}

fn invalid(e: impl ToString) -> ToolFailure {
    ToolFailure::Invalid(e.to_string())
}

fn parse<T: for<'de> Deserialize<'de>>(args: Map<String, Value>) -> Result<T, ToolFailure> {
    serde_json::from_value(Value::Object(args)).map_err(invalid)
}

fn task_id(args: &mut Map<String, Value>) -> Result<i64, ToolFailure> {
    args.remove("task_id")
        .and_then(|v| v.as_i64())
        .filter(|id| *id > 0)
        .ok_or_else(|| invalid("task_id must be a positive integer"))
}

fn outcome(task: &Task, status: &str) -> Value {
    json!({"task_id": task.id, "status": status, "title": task.title})
}
