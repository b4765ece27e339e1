//! The task tools (the original five, and the lists' two), defined once: their JSON schemas (what MCP clients and models see) and their
//! one implementation over the store. The MCP server, the agent and the built-in assistant all end in
//! [`run`], so a tool behaves the same whichever path reached it.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use todo_domain::{
    list_name_key, CreateList, CreateTask, ListQuery, RawListQuery, Task, TaskPatch, Tz, UpdateTask,
};
use todo_storage::{ReminderOf, StorageError, Store};

pub use todo_domain::{
    ADD_TASK, COMPLETE_TASK, CREATE_LIST, DELETE_TASK, LIST_LISTS, LIST_REMINDERS, LIST_TASKS,
    UPDATE_TASK,
};

/// Most tasks one `list_tasks` call returns; the assistant talks about a screenful, not a database.
const LIST_DEFAULT_LIMIT: u32 = 100;
/// Most reminders one `list_reminders` call returns.
const REMINDERS_LIMIT: u32 = 100;
/// The window `list_reminders` looks at when given no end.
const REMINDERS_DEFAULT_DAYS: i64 = 7;

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

/// The tools' arguments as clients see them: what they may send, typed, with the domain's own
/// limits, so a changed limit changes the schemas too. These types only describe (they are never
/// built): `run` reads arguments through the domain's types, and more leniently (a `task_id` may
/// come as a string), because models do not always follow a schema.
#[allow(dead_code)]
mod args {
    use schemars::JsonSchema;
    use todo_domain::{
        tag_pattern, Colour, Priority, Recurrence, ReminderInput, RepeatFrom, Status,
        MAX_DESCRIPTION_CHARS, MAX_LIMIT, MAX_LIST_NAME_CHARS, MAX_QUERY_CHARS, MAX_REMINDERS,
        MAX_TAGS, MAX_TITLE_CHARS,
    };

    /// A list, by id or by name.
    #[derive(JsonSchema)]
    #[serde(untagged)]
    pub(super) enum ListRef {
        Id(i64),
        Name(String),
    }

    /// The fields `add_task` and `update_task` share.
    #[derive(JsonSchema)]
    pub(super) struct TaskFields {
        #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
        description: Option<String>,
        priority: Option<Priority>,
        /// Short labels such as "work".
        #[schemars(length(max = MAX_TAGS), inner(pattern(tag_pattern())))]
        tags: Option<Vec<String>>,
        /// RFC 3339 date-time or YYYY-MM-DD; null clears it.
        due_at: Option<String>,
        recurrence: Option<Recurrence>,
        /// What the next occurrence counts from: the due date (default) or the completion.
        repeat_from: Option<RepeatFrom>,
        /// The list (name or id, as list_lists shows); a subtask goes in its parent's list.
        list: Option<ListRef>,
        /// Make it a subtask of this task.
        parent_id: Option<i64>,
        /// When to remind the user, each {"at": RFC 3339} or {"before": ISO 8601 duration before
        /// the due time, e.g. "PT10M"} (with "time": "HH:MM" in the user's time zone for a whole
        /// number of days: {"before": "P1D", "time": "09:00"}). Replaces the task's reminders; []
        /// removes them. Left out when adding a task with a due time: the user's default reminder.
        #[schemars(length(max = MAX_REMINDERS))]
        reminders: Option<Vec<ReminderInput>>,
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    #[derive(JsonSchema)]
    pub(super) struct AddTaskArgs {
        #[schemars(length(min = 1, max = MAX_TITLE_CHARS))]
        title: String,
        #[serde(flatten)]
        fields: TaskFields,
    }

    #[derive(JsonSchema)]
    pub(super) struct UpdateTaskArgs {
        /// The task's id, as list_tasks shows it.
        #[schemars(range(min = 1))]
        task_id: i64,
        #[schemars(length(min = 1, max = MAX_TITLE_CHARS))]
        title: Option<String>,
        #[serde(flatten)]
        fields: TaskFields,
        completed: Option<bool>,
    }

    /// `complete_task` and `delete_task`.
    #[derive(JsonSchema)]
    pub(super) struct TaskRefArgs {
        /// The task's id, as list_tasks shows it.
        #[schemars(range(min = 1))]
        task_id: i64,
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListTasksArgs {
        #[serde(default)]
        status: Status,
        /// Text to find in the title or description.
        #[schemars(length(max = MAX_QUERY_CHARS))]
        search: Option<String>,
        priority: Option<Priority>,
        tag: Option<String>,
        /// Only tasks due before this RFC 3339 instant or date.
        due_before: Option<String>,
        /// Only this list (name or id).
        list: Option<ListRef>,
        /// Include subtasks (each with its parent_id); by default only top-level tasks.
        include_subtasks: Option<bool>,
        #[serde(default = "list_default_limit")]
        #[schemars(range(min = 1, max = MAX_LIMIT))]
        limit: u32,
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListListsArgs {
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    #[derive(JsonSchema)]
    pub(super) struct CreateListArgs {
        #[schemars(length(min = 1, max = MAX_LIST_NAME_CHARS))]
        name: String,
        colour: Option<Colour>,
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListRemindersArgs {
        /// Start of the window: an RFC 3339 instant, or a date (YYYY-MM-DD, from the start of that
        /// day in the user's time zone). Default: now.
        from: Option<String>,
        /// End of the window (exclusive), written the same way. Default: 7 days after `from`.
        to: Option<String>,
        /// Accepted for compatibility; must be the signed-in user when given.
        user_id: Option<String>,
    }

    fn list_default_limit() -> u32 {
        super::LIST_DEFAULT_LIMIT
    }
}

/// The JSON Schema of `T`, self-contained (models and MCP clients get no `$ref`s to follow).
fn input_schema<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let mut schema = settings.into_generator().into_root_schema_for::<T>();
    // The type's name and doc comment are ours; the tool's description is what clients read.
    schema.remove("title");
    schema.remove("description");
    schema.to_value()
}

static CATALOG: LazyLock<Vec<ToolDef>> = LazyLock::new(|| {
    vec![
        ToolDef {
            name: ADD_TASK,
            description: "Create a task for the user. Returns {task_id, status: \"created\", title}.",
            input_schema: input_schema::<args::AddTaskArgs>(),
        },
        ToolDef {
            name: LIST_TASKS,
            description: "List the user's tasks, newest first. Returns an array of tasks with id, title, description, completed, priority, tags and due_at.",
            input_schema: input_schema::<args::ListTasksArgs>(),
        },
        ToolDef {
            name: COMPLETE_TASK,
            description: "Mark a task as completed. Returns {task_id, status: \"completed\", title}.",
            input_schema: input_schema::<args::TaskRefArgs>(),
        },
        ToolDef {
            name: DELETE_TASK,
            description: "Delete a task for good. Returns {task_id, status: \"deleted\", title}.",
            input_schema: input_schema::<args::TaskRefArgs>(),
        },
        ToolDef {
            name: UPDATE_TASK,
            description: "Change a task's title, description, priority, tags, due date, recurrence, list, parent or completion. Only the given fields change. Returns {task_id, status: \"updated\", title}.",
            input_schema: input_schema::<args::UpdateTaskArgs>(),
        },
        ToolDef {
            name: LIST_LISTS,
            description: "List the user's lists with their open and total task counts.",
            input_schema: input_schema::<args::ListListsArgs>(),
        },
        ToolDef {
            name: CREATE_LIST,
            description: "Create a list. Returns {list_id, status: \"created\", name}.",
            input_schema: input_schema::<args::CreateListArgs>(),
        },
        ToolDef {
            name: LIST_REMINDERS,
            description: "List the user's reminders that go off in a window (default: the next 7 days), soonest first, with their task. Returns {time_zone, reminders: [{reminder_id, task_id, title, due_at, fire_at, fire_at_local, done, at | before[, time]}]}.",
            input_schema: input_schema::<args::ListRemindersArgs>(),
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
            resolve_list(store, user_id, &mut args, "list_id").await?;
            let input: CreateTask = parse(args)?;
            let new = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let task = store.create_task(user_id, new).await.map_err(storage)?;
            Ok(outcome(&task, "created"))
        }
        LIST_TASKS => {
            resolve_list(store, user_id, &mut args, "list_id").await?;
            let input: ListArgs = parse(args)?;
            let raw = RawListQuery {
                list: input.list_id.map(|l| l.to_string()),
                include: input
                    .include_subtasks
                    .unwrap_or(false)
                    .then(|| "subtasks".to_owned()),
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
                .update_task(user_id, id, patch, false)
                .await
                .map_err(storage)?;
            Ok(outcome(&task.ok_or(ToolError::NotFound(id))?, "completed"))
        }
        DELETE_TASK => {
            let id = task_id(&mut args)?;
            let task = store.delete_task(user_id, id).await.map_err(storage)?;
            let (task, _) = task.ok_or(ToolError::NotFound(id))?;
            Ok(outcome(&task, "deleted"))
        }
        UPDATE_TASK => {
            let id = task_id(&mut args)?;
            resolve_list(store, user_id, &mut args, "list_id").await?;
            let input: UpdateTask = parse(args)?;
            let patch = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let task = store
                .update_task(user_id, id, patch, false)
                .await
                .map_err(storage)?;
            Ok(outcome(&task.ok_or(ToolError::NotFound(id))?, "updated"))
        }
        LIST_LISTS => {
            let lists = store.lists(user_id).await.map_err(storage)?;
            Ok(serde_json::to_value(lists).expect("lists serialise"))
        }
        CREATE_LIST => {
            let input: CreateList = parse(args)?;
            let new = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let list = store.create_list(user_id, new).await.map_err(storage)?;
            Ok(json!({"list_id": list.id, "status": "created", "name": list.name}))
        }
        LIST_REMINDERS => {
            let input: RemindersArgs = parse(args)?;
            let tz = store.settings(user_id).await.map_err(storage)?.time_zone;
            let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
            let from = match input.from {
                Some(f) => window_edge(&f, tz, "from")?,
                None => Utc::now(),
            };
            let to = match input.to {
                Some(t) => window_edge(&t, tz, "to")?,
                None => from + Duration::days(REMINDERS_DEFAULT_DAYS),
            };
            if to <= from {
                return Err(ToolError::Invalid("to: must be after from".into()));
            }
            let found = store
                .reminders_between(user_id, from, to, REMINDERS_LIMIT)
                .await
                .map_err(storage)?;
            let reminders: Vec<Value> = found.iter().map(|r| reminder_json(r, tz)).collect();
            Ok(json!({"time_zone": tz.name(), "reminders": reminders}))
        }
        other => Err(ToolError::UnknownTool(other.to_owned())),
    }
}

#[derive(Debug, Default, Deserialize)]
struct RemindersArgs {
    from: Option<String>,
    to: Option<String>,
}

/// An edge of `list_reminders`' window: an RFC 3339 instant, or a date's start in the user's zone.
fn window_edge(raw: &str, tz: Tz, field: &str) -> Result<DateTime<Utc>, ToolError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.to_utc());
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ToolError::Invalid(format!(
            "{field}: must be an RFC 3339 date-time or a date (YYYY-MM-DD)"
        ))
    })?;
    let start = day.and_time(NaiveTime::MIN);
    // A day that starts in a DST gap starts when the clocks allow.
    Ok(tz
        .from_local_datetime(&start)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(start + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| start.and_utc(), |t| t.to_utc()))
}

fn reminder_json(r: &ReminderOf, tz: Tz) -> Value {
    let mut v = json!({
        "reminder_id": r.reminder.id,
        "task_id": r.task_id,
        "title": r.title,
        "due_at": r.due_at,
        "fire_at": r.reminder.fire_at,
        "fire_at_local": r.reminder.fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
        "done": r.reminder.done,
    });
    if let (Value::Object(out), Ok(Value::Object(when))) =
        (&mut v, serde_json::to_value(&r.reminder.when))
    {
        out.extend(when);
    }
    v
}

/// Replaces a `list` argument (an id, or a name matched ignoring case) by `field` holding the list's id.
async fn resolve_list(
    store: &Store,
    user_id: &str,
    args: &mut Map<String, Value>,
    field: &str,
) -> Result<(), ToolError> {
    let id = match args.remove("list") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => match s.trim().trim_start_matches('#').parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let lists = store.lists(user_id).await.map_err(storage)?;
                let key = list_name_key(&s);
                match lists.iter().find(|l| list_name_key(&l.name) == key) {
                    Some(l) => Some(l.id),
                    None => {
                        let names: Vec<&str> = lists.iter().map(|l| l.name.as_str()).collect();
                        return Err(ToolError::Invalid(format!(
                            "no list named {s:?}; the lists are: {}",
                            names.join(", ")
                        )));
                    }
                }
            }
        },
        Some(_) => None,
    };
    let id = id.ok_or_else(|| ToolError::Invalid("list must be a list name or id".into()))?;
    args.insert(field.to_owned(), json!(id));
    Ok(())
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
    list_id: Option<i64>,
    include_subtasks: Option<bool>,
}

/// Reads a tool's arguments; an error names the argument it is about.
fn parse<T: for<'de> Deserialize<'de>>(args: Map<String, Value>) -> Result<T, ToolError> {
    serde_path_to_error::deserialize(Value::Object(args)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ToolError::Invalid(match path.as_str() {
            "." | "" => inner.to_string(),
            path => format!("{path}: {inner}"),
        })
    })
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
    match e {
        StorageError::Invalid(invalid) => ToolError::Invalid(invalid.to_string()),
        e => {
            tracing::error!(error = %e, "tool call failed in storage");
            ToolError::Unavailable
        }
    }
}

#[cfg(test)]
mod tests {
    use todo_domain::{
        tag_pattern, MAX_DESCRIPTION_CHARS, MAX_LIMIT, MAX_QUERY_CHARS, MAX_TAGS, MAX_TITLE_CHARS,
    };

    use super::*;

    fn schema(name: &str) -> &'static Value {
        &catalog()
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .input_schema
    }

    #[test]
    fn schemas_state_the_domain_limits() {
        let add = &schema(ADD_TASK)["properties"];
        assert_eq!(add["title"]["minLength"], 1);
        assert_eq!(add["title"]["maxLength"], MAX_TITLE_CHARS);
        assert_eq!(add["description"]["maxLength"], MAX_DESCRIPTION_CHARS);
        assert_eq!(add["tags"]["maxItems"], MAX_TAGS);
        assert_eq!(add["tags"]["items"]["pattern"], tag_pattern());
        assert_eq!(
            add["priority"]["enum"],
            json!(["low", "medium", "high", null])
        );
        assert_eq!(add["recurrence"]["type"], json!(["string", "null"]));
        assert!(add["recurrence"]["description"]
            .as_str()
            .unwrap()
            .contains("RRULE"));
        assert_eq!(schema(ADD_TASK)["required"], json!(["title"]));
        let update = &schema(UPDATE_TASK)["properties"];
        assert_eq!(update["title"]["maxLength"], MAX_TITLE_CHARS);
        assert_eq!(update["tags"], add["tags"]);
        assert_eq!(update["task_id"]["minimum"], 1);
        let list = &schema(LIST_TASKS)["properties"];
        assert_eq!(list["search"]["maxLength"], MAX_QUERY_CHARS);
        assert_eq!(list["limit"]["maximum"], MAX_LIMIT);
        assert_eq!(list["limit"]["default"], LIST_DEFAULT_LIMIT);
        assert_eq!(
            list["status"]["enum"],
            json!(["all", "pending", "completed"])
        );
        assert_eq!(list["status"]["default"], "all");
        assert_eq!(add["reminders"]["maxItems"], todo_domain::MAX_REMINDERS);
        assert_eq!(update["reminders"], add["reminders"]);
        let reminder = &add["reminders"]["items"]["properties"];
        for field in ["at", "before", "time"] {
            assert!(reminder[field].is_object(), "{field}: {reminder}");
        }
        let window = &schema(LIST_REMINDERS)["properties"];
        assert!(window["from"].is_object() && window["to"].is_object());
        for name in [COMPLETE_TASK, DELETE_TASK, UPDATE_TASK] {
            assert_eq!(schema(name)["required"], json!(["task_id"]), "{name}");
        }
        for tool in catalog() {
            // Self-contained and an object, as MCP requires of a tool's input schema.
            assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
            let text = tool.input_schema.to_string();
            assert!(
                !text.contains("$ref") && !text.contains("$schema"),
                "{text}"
            );
        }
    }
}
