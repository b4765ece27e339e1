//! The five task tools, defined once: their JSON schemas (what MCP clients and models see) and their
//! one implementation over the store. The MCP server, the agent and the built-in assistant all end in
//! [`run`], so a tool behaves the same whichever path reached it.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use todo_domain::{CreateTask, ListQuery, RawListQuery, Task, TaskPatch, UpdateTask};
use todo_storage::{StorageError, Store};

pub use todo_domain::{ADD_TASK, COMPLETE_TASK, DELETE_TASK, LIST_TASKS, UPDATE_TASK};

/// Most tasks one `list_tasks` call returns; the assistant talks about a screenful, not a database.
const LIST_DEFAULT_LIMIT: u32 = 100;

/// A tool as clients see it: name, what it does, and a JSON Schema of its arguments.
#[derive(Debug, Clone)]
pub struct ToolDef {
    pub name: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
}

/// What went wrong in a tool call, worded for the model or person who made it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("invalid arguments: {0}")]
    Invalid(String),
    #[error("task {0} was not found")]
    NotFound(i64),
    #[error("unknown tool '{0}'")]
    UnknownTool(String),
    #[error("user_id must be the signed-in user; tools only act on the caller's own tasks")]
    WrongUser,
    #[error("the task store is unavailable right now; try again shortly")]
    Unavailable,
    /// The remote MCP server could not be reached or answered something that is not a tool result.
    #[error("the task tools could not be reached: {0}")]
    Transport(String),
    /// A remote MCP server's tool refused, with its message.
    #[error("{0}")]
    Remote(String),
}

static CATALOG: LazyLock<Vec<ToolDef>> = LazyLock::new(|| {
    let user_id = json!({"type": "string", "description": "Accepted for compatibility; must be the signed-in user when given."});
    let task_id = json!({"type": "integer", "minimum": 1, "description": "The task's id, as list_tasks shows it."});
    let priority = json!({"type": "string", "enum": ["low", "medium", "high"]});
    let tags = json!({"type": "array", "maxItems": 10, "items": {"type": "string", "pattern": "^#?[\\p{L}\\p{N}_-]{1,32}$"}, "description": "Short labels such as \"work\"."});
    let due_at = json!({"type": ["string", "null"], "description": "RFC 3339 date-time or YYYY-MM-DD; null clears it."});
    let title = json!({"type": "string", "minLength": 1, "maxLength": 200});
    let description = json!({"type": ["string", "null"], "maxLength": 1000});
    let recurrence =
        json!({"type": ["string", "null"], "enum": ["daily", "weekly", "monthly", null]});
    vec![
        ToolDef {
            name: ADD_TASK,
            description: "Create a task for the user. Returns {task_id, status: \"created\", title}.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "title": title, "description": description, "priority": priority, "tags": tags,
                    "due_at": due_at, "recurrence": recurrence, "user_id": user_id,
                },
                "required": ["title"],
            }),
        },
        ToolDef {
            name: LIST_TASKS,
            description: "List the user's tasks, newest first. Returns an array of tasks with id, title, description, completed, priority, tags and due_at.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["all", "pending", "completed"], "default": "all"},
                    "search": {"type": "string", "maxLength": 200, "description": "Text to find in the title or description."},
                    "priority": priority, "tag": {"type": "string"},
                    "due_before": {"type": "string", "description": "Only tasks due before this RFC 3339 instant or date."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": LIST_DEFAULT_LIMIT},
                    "user_id": user_id,
                },
            }),
        },
        ToolDef {
            name: COMPLETE_TASK,
            description: "Mark a task as completed. Returns {task_id, status: \"completed\", title}.",
            input_schema: json!({"type": "object", "properties": {"task_id": task_id, "user_id": user_id}, "required": ["task_id"]}),
        },
        ToolDef {
            name: DELETE_TASK,
            description: "Delete a task for good. Returns {task_id, status: \"deleted\", title}.",
            input_schema: json!({"type": "object", "properties": {"task_id": task_id, "user_id": user_id}, "required": ["task_id"]}),
        },
        ToolDef {
            name: UPDATE_TASK,
            description: "Change a task's title, description, priority, tags, due date, recurrence or completion. Only the given fields change. Returns {task_id, status: \"updated\", title}.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "task_id": task_id, "title": title, "description": description, "priority": priority,
                    "tags": tags, "due_at": due_at, "recurrence": recurrence, "completed": {"type": "boolean"},
                    "user_id": user_id,
                },
                "required": ["task_id"],
            }),
        },
    ]
});

/// The tools every client is offered.
pub fn catalog() -> &'static [ToolDef] {
    &CATALOG
}

/// Runs tool `name` for `user_id` against the store. `args` is the JSON object a client sent.
pub async fn run(
    store: &Store,
    user_id: &str,
    name: &str,
    args: Value,
) -> Result<Value, ToolError> {
    let mut args = match args {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => return Err(ToolError::Invalid("arguments must be a JSON object".into())),
    };
    // The caller is the user; a model can name someone else but never act as them.
    match args.remove("user_id") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) if u == user_id => {}
        Some(_) => return Err(ToolError::WrongUser),
    }
    match name {
        ADD_TASK => {
            let input: CreateTask = parse(args)?;
            let new = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let task = store.create_task(user_id, new).await.map_err(storage)?;
            Ok(outcome(&task, "created"))
        }
        LIST_TASKS => {
            let input: ListArgs = parse(args)?;
            let raw = RawListQuery {
                status: input.status,
                q: input.search.or(input.q),
                priority: input.priority,
                tag: input.tag,
                due_before: input.due_before,
                limit: Some(input.limit.unwrap_or(LIST_DEFAULT_LIMIT).to_string()),
                ..Default::default()
            };
            let query = ListQuery::parse(&raw).map_err(|e| ToolError::Invalid(e.to_string()))?;
            let page = store.list_tasks(user_id, &query).await.map_err(storage)?;
            Ok(serde_json::to_value(page.tasks).expect("tasks serialise"))
        }
        COMPLETE_TASK => {
            let id = task_id(&mut args)?;
            // Completing twice leaves it completed (and advances a recurring series once).
            let patch = TaskPatch {
                completed: Some(true),
                ..Default::default()
            };
            let task = store
                .update_task(user_id, id, patch)
                .await
                .map_err(storage)?;
            Ok(outcome(&task.ok_or(ToolError::NotFound(id))?, "completed"))
        }
        DELETE_TASK => {
            let id = task_id(&mut args)?;
            let task = store.delete_task(user_id, id).await.map_err(storage)?;
            Ok(outcome(&task.ok_or(ToolError::NotFound(id))?, "deleted"))
        }
        UPDATE_TASK => {
            let id = task_id(&mut args)?;
            let input: UpdateTask = parse(args)?;
            let patch = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let task = store
                .update_task(user_id, id, patch)
                .await
                .map_err(storage)?;
            Ok(outcome(&task.ok_or(ToolError::NotFound(id))?, "updated"))
        }
        other => Err(ToolError::UnknownTool(other.to_owned())),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListArgs {
    status: Option<String>,
    search: Option<String>,
    /// The REST API's name for `search`, which models sometimes borrow.
    q: Option<String>,
    priority: Option<String>,
    tag: Option<String>,
    due_before: Option<String>,
    limit: Option<u32>,
}

fn parse<T: for<'de> Deserialize<'de>>(args: Map<String, Value>) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(args)).map_err(|e| ToolError::Invalid(e.to_string()))
}

/// `task_id` as an integer, or a string of one: models write both.
fn task_id(args: &mut Map<String, Value>) -> Result<i64, ToolError> {
    let id = match args.remove("task_id") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().trim_start_matches('#').parse().ok(),
        None | Some(Value::Null) => {
            return Err(ToolError::Invalid("task_id is required".into()));
        }
        Some(_) => None,
    };
    id.filter(|id| *id > 0)
        .ok_or_else(|| ToolError::Invalid("task_id must be a positive integer".into()))
}

fn outcome(task: &Task, status: &str) -> Value {
    json!({"task_id": task.id, "status": status, "title": task.title})
}

fn storage(e: StorageError) -> ToolError {
    tracing::error!(error = %e, "tool call failed in storage");
    ToolError::Unavailable
}
