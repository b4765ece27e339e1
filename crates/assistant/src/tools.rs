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
    list_name_key, CreateList, CreateTask, ListQuery, RawListQuery, Task, TaskPatch, Tz,
    UpdateTask, MAX_LIMIT,
};

use self::output::Done;
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

/// A tool as clients see it: name, what it does, JSON Schemas of its arguments and its answer, and
/// what it does to the user's data (MCP's annotations).
#[derive(Debug, Clone)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
    /// The schema of [`Output::structured`] for this tool.
    pub output_schema: Value,
    pub effect: Effect,
}

/// What a tool does to the user's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Reads,
    /// Adds something; calling twice adds twice.
    Adds,
    /// Changes or removes what is there; calling twice changes nothing more.
    Changes {
        destructive: bool,
    },
}

impl Effect {
    pub fn writes(self) -> bool {
        self != Effect::Reads
    }
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
    /// A deletion of a task found by its title, or a change to several tasks, that the caller has not
    /// confirmed; the question to put to the user.
    #[error("{0} Nothing was changed: ask the user, then call again with \"confirm\": true to go ahead.")]
    NeedsConfirmation(String),
}

/// What the tools answer, typed: MCP clients get it as `structuredContent` (described by the tool's
/// output schema), and as JSON text in the shape the tools always had.
pub mod output {
    use schemars::JsonSchema;
    use serde::Serialize;
    use todo_domain::{Task, TaskList};

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Done {
        Created,
        Completed,
        Deleted,
        Updated,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct TaskRef {
        pub task_id: i64,
        pub title: String,
    }

    /// A change to one task.
    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct TaskOutcome {
        pub task_id: i64,
        #[schemars(with = "String")]
        pub status: Done,
        pub title: String,
    }

    /// A change to the tasks a call named: the first as [`TaskOutcome`], and all of them when
    /// several.
    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct TasksOutcome {
        #[serde(flatten)]
        pub first: TaskOutcome,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub tasks: Vec<TaskRef>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct ListOutcome {
        pub list_id: i64,
        #[schemars(with = "String")]
        pub status: Done,
        pub name: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct Tasks {
        pub tasks: Vec<Task>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct Lists {
        pub lists: Vec<TaskList>,
    }

    /// A reminder going off in the asked window, with its task.
    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct ReminderItem {
        pub reminder_id: i64,
        pub task_id: i64,
        pub title: String,
        /// RFC 3339 in the user's time zone (with its offset).
        pub fire_at: Option<String>,
        pub done: bool,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
    pub struct Reminders {
        pub time_zone: String,
        pub reminders: Vec<ReminderItem>,
    }
}

/// One tool call's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Task(output::TaskOutcome),
    Tasks(output::TasksOutcome),
    List(output::ListOutcome),
    Listed(output::Tasks),
    Lists(output::Lists),
    Reminders(output::Reminders),
}

impl Output {
    /// The answer as the tools have always given it: an object, or an array for the listings.
    pub fn to_value(&self) -> Value {
        match self {
            Output::Task(o) => serde_json::to_value(o),
            Output::Tasks(o) => serde_json::to_value(o),
            Output::List(o) => serde_json::to_value(o),
            Output::Listed(o) => serde_json::to_value(&o.tasks),
            Output::Lists(o) => serde_json::to_value(&o.lists),
            Output::Reminders(o) => serde_json::to_value(o),
        }
        .expect("outputs serialise")
    }

    /// The answer as an object, as MCP's structured content must be and the output schema says.
    pub fn structured(&self) -> Value {
        match self {
            Output::Listed(o) => serde_json::to_value(o),
            Output::Lists(o) => serde_json::to_value(o),
            _ => return self.to_value(),
        }
        .expect("outputs serialise")
    }
}

/// The tools' arguments as clients see them: what they may send, typed, with the domain's own
/// limits, so a changed limit changes the schemas too. These types only describe (they are never
/// built): `run` reads arguments through the domain's types, and more leniently (a `task_id` may
/// come as a string), because models do not always follow a schema.
#[allow(dead_code)]
mod args {
    use std::borrow::Cow;

    use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
    use todo_domain::{
        tag_pattern, Colour, Priority, Recurrence, RepeatFrom, Status, MAX_DESCRIPTION_CHARS,
        MAX_LIMIT, MAX_LIST_NAME_CHARS, MAX_QUERY_CHARS, MAX_REMINDERS, MAX_TAGS, MAX_TITLE_CHARS,
    };

    /// A list, by id or by name.
    pub(super) struct ListRef;

    impl JsonSchema for ListRef {
        fn schema_name() -> Cow<'static, str> {
            "ListRef".into()
        }

        fn inline_schema() -> bool {
            true
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": ["integer", "string"]})
        }
    }

    /// One reminder: `at`, or `before` (with `time` for whole days); described on the field.
    pub(super) struct ReminderArg;

    impl JsonSchema for ReminderArg {
        fn schema_name() -> Cow<'static, str> {
            "ReminderArg".into()
        }

        fn inline_schema() -> bool {
            true
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            let text = serde_json::json!({"type": "string"});
            json_schema!({"type": "object", "properties": {"at": text, "before": text, "time": text}})
        }
    }

    // `user_id` is left out of the schemas: accepted for compatibility (it must be the signed-in
    // user), but not offered, so a model has no reason to fill it in.

    /// The fields `add_task` and `update_task` share; null clears one.
    #[derive(JsonSchema)]
    pub(super) struct TaskFields {
        #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
        description: Option<String>,
        priority: Option<Priority>,
        #[schemars(length(max = MAX_TAGS), inner(pattern(tag_pattern())))]
        tags: Option<Vec<String>>,
        /// RFC 3339 or YYYY-MM-DD.
        due_at: Option<String>,
        recurrence: Option<Recurrence>,
        /// Due date (default) or completion.
        repeat_from: Option<RepeatFrom>,
        /// List name or id.
        list: Option<ListRef>,
        /// Parent task id.
        parent_id: Option<i64>,
        /// Each {at: RFC 3339} or {before: ISO 8601 duration like PT10M, time?: HH:MM}; replaces them.
        #[schemars(length(max = MAX_REMINDERS))]
        reminders: Option<Vec<ReminderArg>>,
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
        #[schemars(range(min = 1))]
        task_id: Option<i64>,
        /// Or: every task with this title.
        #[schemars(length(min = 1, max = MAX_TITLE_CHARS))]
        title: Option<String>,
        /// The user agreed (by title, or several tasks).
        confirm: Option<bool>,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListTasksArgs {
        #[serde(default)]
        status: Status,
        /// Text in the title or description.
        #[schemars(length(max = MAX_QUERY_CHARS))]
        search: Option<String>,
        priority: Option<Priority>,
        tag: Option<String>,
        /// RFC 3339 or YYYY-MM-DD.
        due_before: Option<String>,
        /// List name or id.
        list: Option<ListRef>,
        /// Subtasks too (default: top level only).
        include_subtasks: Option<bool>,
        #[serde(default = "list_default_limit")]
        #[schemars(range(min = 1, max = MAX_LIMIT))]
        limit: u32,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListListsArgs {}

    #[derive(JsonSchema)]
    pub(super) struct CreateListArgs {
        #[schemars(length(min = 1, max = MAX_LIST_NAME_CHARS))]
        name: String,
        /// Palette colour.
        colour: Option<Colour>,
    }

    #[derive(JsonSchema)]
    pub(super) struct ListRemindersArgs {
        /// RFC 3339 or YYYY-MM-DD. Default: now.
        from: Option<String>,
        /// Default: from + 7 days.
        to: Option<String>,
    }

    fn list_default_limit() -> u32 {
        super::LIST_DEFAULT_LIMIT
    }
}

/// The JSON Schema of `T`, self-contained (models and MCP clients get no `$ref`s to follow).
fn schema<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let mut schema = settings.into_generator().into_root_schema_for::<T>();
    // The type's name and doc comment are ours; the tool's description is what clients read.
    schema.remove("title");
    schema.remove("description");
    let mut schema = schema.to_value();
    // Integer widths tell a model nothing the bounds do not, and every token of tools/list is paid
    // for in each conversation.
    prune(&mut schema, &|key, v| {
        key == "format" && v.as_str().is_some_and(|f| f.contains("int"))
    });
    schema
}

/// The schema of arguments where null means nothing more than leaving the argument out (everywhere
/// but `update_task`, where null clears a field): optional arguments are simply not required.
fn args_schema<T: JsonSchema>() -> Value {
    let mut schema = schema::<T>();
    let properties = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|p| p.values_mut());
    for property in properties {
        for key in ["type", "enum"] {
            if let Some(Value::Array(options)) = property.get_mut(key) {
                options.retain(|o| !o.is_null() && o != "null");
                if key == "type" && options.len() == 1 {
                    property[key] = options[0].take();
                }
            }
        }
    }
    schema
}

/// The schema of a tool's answer: the types without the domain's doc comments, which the tool's
/// description and the data itself make plain.
fn output_schema<T: JsonSchema>() -> Value {
    let mut schema = schema::<T>();
    // Formats, length limits and which fields are always there say nothing a reader of the data
    // needs, and descriptions are in the tool's words: all of tools/list stays under 2,000 tokens.
    prune(&mut schema, &|key, v| {
        matches!(key, "description" | "format") && v.is_string()
            || key == "maxLength"
            || key == "required" && v.is_array()
    });
    schema
}

/// Removes, at any depth, the object entries `drop` picks.
fn prune(v: &mut Value, drop: &dyn Fn(&str, &Value) -> bool) {
    match v {
        Value::Object(m) => {
            m.retain(|k, v| !drop(k, v));
            m.values_mut().for_each(|v| prune(v, drop));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| prune(v, drop)),
        _ => {}
    }
}

static CATALOG: LazyLock<Vec<ToolDef>> = LazyLock::new(|| {
    use output::{ListOutcome, Lists, Reminders, TaskOutcome, Tasks, TasksOutcome};
    let changes = |destructive| Effect::Changes { destructive };
    vec![
        ToolDef {
            name: ADD_TASK,
            title: "Add task",
            description: "Create a task.",
            input_schema: args_schema::<args::AddTaskArgs>(),
            output_schema: output_schema::<TaskOutcome>(),
            effect: Effect::Adds,
        },
        ToolDef {
            name: LIST_TASKS,
            title: "List tasks",
            description: "List tasks, newest first.",
            input_schema: args_schema::<args::ListTasksArgs>(),
            output_schema: output_schema::<Tasks>(),
            effect: Effect::Reads,
        },
        ToolDef {
            name: COMPLETE_TASK,
            title: "Complete task",
            description: "Complete a task, or every task with a title.",
            input_schema: args_schema::<args::TaskRefArgs>(),
            output_schema: output_schema::<TasksOutcome>(),
            effect: changes(false),
        },
        ToolDef {
            name: DELETE_TASK,
            title: "Delete task",
            description: "Delete a task, or the tasks with a title, with subtasks. By title needs confirmation.",
            input_schema: args_schema::<args::TaskRefArgs>(),
            output_schema: output_schema::<TasksOutcome>(),
            effect: changes(true),
        },
        ToolDef {
            name: UPDATE_TASK,
            title: "Update task",
            description: "Change a task; only the given fields change, null clears one.",
            input_schema: schema::<args::UpdateTaskArgs>(),
            output_schema: output_schema::<TaskOutcome>(),
            effect: changes(true),
        },
        ToolDef {
            name: LIST_LISTS,
            title: "List lists",
            description: "List the lists with open and total task counts.",
            input_schema: args_schema::<args::ListListsArgs>(),
            output_schema: output_schema::<Lists>(),
            effect: Effect::Reads,
        },
        ToolDef {
            name: CREATE_LIST,
            title: "Create list",
            description: "Create a list.",
            input_schema: args_schema::<args::CreateListArgs>(),
            output_schema: output_schema::<ListOutcome>(),
            effect: Effect::Adds,
        },
        ToolDef {
            name: LIST_REMINDERS,
            title: "List reminders",
            description: "List reminders going off between from and to, soonest first.",
            input_schema: args_schema::<args::ListRemindersArgs>(),
            output_schema: output_schema::<Reminders>(),
            effect: Effect::Reads,
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
    execute(store, user_id, name, args)
        .await
        .map(|o| o.to_value())
}

/// [`run`], with the answer typed.
pub async fn execute(
    store: &Store,
    user_id: &str,
    name: &str,
    args: Value,
) -> Result<Output, ToolError> {
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
            Ok(outcome(&task, Done::Created))
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
            Ok(Output::Listed(output::Tasks { tasks: page.tasks }))
        }
        COMPLETE_TASK => {
            let targets = targets(store, user_id, &mut args, Done::Completed).await?;
            let mut done = Vec::with_capacity(targets.len());
            for id in targets {
                // Completing twice leaves it completed (and advances a recurring series once).
                let patch = TaskPatch {
                    completed: Some(true),
                    ..Default::default()
                };
                let task = store
                    .update_task(user_id, id, patch, false)
                    .await
                    .map_err(storage)?;
                done.push(task.ok_or(ToolError::NotFound(id))?);
            }
            Ok(outcomes(&done, Done::Completed))
        }
        DELETE_TASK => {
            let targets = targets(store, user_id, &mut args, Done::Deleted).await?;
            let mut gone = Vec::with_capacity(targets.len());
            for &id in &targets {
                // None for a subtask of a task deleted just before: it went with its parent.
                if let Some((task, _)) = store.delete_task(user_id, id).await.map_err(storage)? {
                    gone.push(task);
                }
            }
            if gone.is_empty() {
                return Err(ToolError::NotFound(targets[0]));
            }
            Ok(outcomes(&gone, Done::Deleted))
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
            Ok(outcome(
                &task.ok_or(ToolError::NotFound(id))?,
                Done::Updated,
            ))
        }
        LIST_LISTS => {
            let lists = store.lists(user_id).await.map_err(storage)?;
            Ok(Output::Lists(output::Lists { lists }))
        }
        CREATE_LIST => {
            let input: CreateList = parse(args)?;
            let new = input
                .validate()
                .map_err(|e| ToolError::Invalid(e.to_string()))?;
            let list = store.create_list(user_id, new).await.map_err(storage)?;
            Ok(Output::List(output::ListOutcome {
                list_id: list.id,
                status: Done::Created,
                name: list.name,
            }))
        }
        LIST_REMINDERS => {
            let input: RemindersArgs = parse(args)?;
            let tz = store.settings(user_id).await.map_err(storage)?.zone();
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
            Ok(Output::Reminders(output::Reminders {
                time_zone: tz.name().to_owned(),
                reminders: found.iter().map(|r| reminder_item(r, tz)).collect(),
            }))
        }
        other => Err(ToolError::UnknownTool(other.to_owned())),
    }
}

/// The tasks `complete_task` or `delete_task` acts on: the one `task_id` names, or every task (open
/// ones, to complete) with the given `title`. Deleting by title, or acting on more than one task,
/// needs `confirm: true`: a title a model misread must not silently delete the wrong thing.
async fn targets(
    store: &Store,
    user_id: &str,
    args: &mut Map<String, Value>,
    action: Done,
) -> Result<Vec<i64>, ToolError> {
    let confirmed = match args.remove("confirm") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(ToolError::Invalid("confirm must be true or false".into())),
    };
    let title = match args.remove("title") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if !t.trim().is_empty() => Some(t),
        Some(_) => {
            return Err(ToolError::Invalid(
                "title must be a non-empty string".into(),
            ))
        }
    };
    let title = match (title, args.contains_key("task_id")) {
        (None, _) => return Ok(vec![task_id(args)?]),
        (Some(_), true) => {
            return Err(ToolError::Invalid("give task_id or title, not both".into()))
        }
        (Some(t), false) => t,
    };
    let raw = RawListQuery {
        q: Some(title.trim().to_owned()),
        status: Some(
            if action == Done::Completed {
                "pending"
            } else {
                "all"
            }
            .to_owned(),
        ),
        include: Some("subtasks".to_owned()),
        limit: Some(MAX_LIMIT.to_string()),
        ..Default::default()
    };
    let query = ListQuery::parse(&raw).map_err(|e| ToolError::Invalid(format!("title: {e}")))?;
    let page = store.list_tasks(user_id, &query).await.map_err(storage)?;
    let key = title.trim().to_lowercase();
    let matched: Vec<&Task> = page
        .tasks
        .iter()
        .filter(|t| t.title.to_lowercase() == key)
        .collect();
    if matched.is_empty() {
        return Err(ToolError::Invalid(format!("no task titled {title:?}")));
    }
    if !confirmed && (action == Done::Deleted || matched.len() > 1) {
        let verb = if action == Done::Deleted {
            "Delete"
        } else {
            "Complete"
        };
        let what = match matched.as_slice() {
            [one] => format!("task {} {:?}", one.id, one.title),
            many => format!("{} tasks titled {title:?}", many.len()),
        };
        return Err(ToolError::NeedsConfirmation(format!("{verb} {what}?")));
    }
    Ok(matched.iter().map(|t| t.id).collect())
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

fn reminder_item(r: &ReminderOf, tz: Tz) -> output::ReminderItem {
    output::ReminderItem {
        reminder_id: r.reminder.id,
        task_id: r.task_id,
        title: r.title.clone(),
        fire_at: r
            .reminder
            .fire_at
            .map(|t| t.with_timezone(&tz).to_rfc3339()),
        done: r.reminder.done,
    }
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

fn outcome(task: &Task, status: Done) -> Output {
    Output::Task(outcome_of(task, status))
}

fn outcome_of(task: &Task, status: Done) -> output::TaskOutcome {
    output::TaskOutcome {
        task_id: task.id,
        status,
        title: task.title.clone(),
    }
}

/// The outcome of a change to `tasks` (at least one): the first, and all of them when several.
fn outcomes(tasks: &[Task], status: Done) -> Output {
    let first = outcome_of(&tasks[0], status);
    let refs = |t: &Task| output::TaskRef {
        task_id: t.id,
        title: t.title.clone(),
    };
    Output::Tasks(output::TasksOutcome {
        first,
        tasks: if tasks.len() > 1 {
            tasks.iter().map(refs).collect()
        } else {
            Vec::new()
        },
    })
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
        // Optional arguments are left out rather than null, but for update_task, where null clears.
        assert_eq!(add["priority"]["enum"], json!(["low", "medium", "high"]));
        assert_eq!(add["recurrence"]["type"], "string");
        let update = &schema(UPDATE_TASK)["properties"];
        assert_eq!(
            update["priority"]["enum"],
            json!(["low", "medium", "high", null])
        );
        assert_eq!(update["due_at"]["type"], json!(["string", "null"]));
        assert!(add["recurrence"]["description"]
            .as_str()
            .unwrap()
            .contains("RRULE"));
        assert_eq!(schema(ADD_TASK)["required"], json!(["title"]));
        assert_eq!(update["title"]["maxLength"], MAX_TITLE_CHARS);
        assert_eq!(update["tags"]["items"], add["tags"]["items"]);
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
        assert_eq!(update["reminders"]["items"], add["reminders"]["items"]);
        let reminder = &add["reminders"]["items"]["properties"];
        for field in ["at", "before", "time"] {
            assert_eq!(reminder[field]["type"], "string", "{field}: {reminder}");
        }
        let window = &schema(LIST_REMINDERS)["properties"];
        assert!(window["from"].is_object() && window["to"].is_object());
        assert_eq!(schema(UPDATE_TASK)["required"], json!(["task_id"]));
        for name in [COMPLETE_TASK, DELETE_TASK] {
            // By id, or by title.
            let props = &schema(name)["properties"];
            assert_eq!(props["task_id"]["minimum"], 1, "{name}");
            assert_eq!(props["title"]["maxLength"], MAX_TITLE_CHARS, "{name}");
            assert_eq!(props["confirm"]["type"], "boolean", "{name}");
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
