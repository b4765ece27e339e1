//! The tools over MCP: the server real MCP clients talk to (Streamable HTTP or stdio), and the client
//! the agent uses when the tools live in a separate `todo mcp` process. Besides the tools the server
//! offers the user's tasks as resources (with change notifications) and two planning prompts.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequest,
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema, ErrorData,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, InputRequest,
    InputRequiredResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, PromptMessage, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ResourceUpdatedNotificationParam, Role, ServerCapabilities,
    ServerConfig, SubscribeRequestParams, SubscriptionFilter, Tool, ToolAnnotations,
    UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{Peer, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};
use todo_domain::Task;
use todo_storage::{Change, ChangeKind, Store};
use tokio::sync::broadcast::error::RecvError;

use crate::tools::{self, Effect, ToolDef, ToolError};
use crate::views::{self, Day};

/// The authenticated MCP caller. The HTTP layer verifies the bearer token and puts this in the
/// request's extensions; tools never take the user from their arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpUser {
    pub user_id: String,
    /// Whether the token may change tasks; without it the write tools are neither listed nor run.
    pub can_write: bool,
}

/// The key of the confirmation question in an `input_required` answer and the client's retry.
const CONFIRM: &str = "confirm";

/// The MCP server of one store. Over HTTP one instance serves one session (or one stateless request),
/// so the resource subscriptions it holds are that session's.
#[derive(Clone)]
pub struct TodoMcp {
    store: Store,
    /// Set for stdio, where one process serves one local user; over HTTP each request names its user.
    fixed_user: Option<Arc<str>>,
    /// The resource URIs this session subscribed to, and whether a watcher already runs for them.
    subscribed: Arc<Mutex<(HashSet<String>, bool)>>,
}

impl TodoMcp {
    fn new(store: Store, fixed_user: Option<Arc<str>>) -> Self {
        TodoMcp {
            store,
            fixed_user,
            subscribed: Arc::default(),
        }
    }

    /// A server whose caller is taken from each HTTP request's verified token.
    pub fn over_http(store: Store) -> Self {
        TodoMcp::new(store, None)
    }

    /// Serves one user over stdin/stdout until the client closes the stream.
    pub async fn serve_stdio(store: Store, user_id: String) -> Result<(), String> {
        let server = TodoMcp::new(store, Some(user_id.into()));
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("MCP handshake on stdio failed: {e}"))?;
        running
            .waiting()
            .await
            .map_err(|e| format!("MCP stdio session ended abnormally: {e}"))?;
        Ok(())
    }

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<McpUser, ErrorData> {
        if let Some(u) = &self.fixed_user {
            return Ok(McpUser {
                user_id: u.to_string(),
                can_write: true,
            });
        }
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpUser>())
            .cloned()
            .ok_or_else(|| ErrorData::invalid_request("not authenticated", None))
    }

    /// Runs a tool; a deletion by title or a change to several tasks is first put to the user through
    /// elicitation when the client offers it.
    async fn call(
        &self,
        user: &McpUser,
        def: &ToolDef,
        request: CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut args = request.arguments.unwrap_or_default();
        // The retry of a call that asked its question in an `input_required` answer (MCP 2026-07-28).
        if let Some(answer) = request
            .input_responses
            .as_ref()
            .and_then(|r| r.get(CONFIRM))
        {
            if !accepted(serde_json::from_value(answer.clone()).ok()) {
                return Ok(declined().into());
            }
            args.insert(CONFIRM.into(), Value::Bool(true));
        }
        let run = |args: Map<String, Value>| {
            tools::execute(&self.store, &user.user_id, def.name, Value::Object(args))
        };
        let question = match run(args.clone()).await {
            Ok(out) => return Ok(success(&out).into()),
            Err(ToolError::NeedsConfirmation(q))
                if ctx
                    .client_capabilities()
                    .is_some_and(|c| c.elicitation.is_some()) =>
            {
                q
            }
            Err(e) => return Ok(failure(&e).into()),
        };
        let params = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: question,
            requested_schema: ElicitationSchema::builder()
                .required_bool_property(CONFIRM, |b| b.title("Go ahead"))
                .build()
                .map_err(|e| ErrorData::internal_error(e, None))?,
        };
        let modern = ctx
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        if modern {
            let ask = BTreeMap::from([(
                CONFIRM.to_owned(),
                InputRequest::Elicitation(ElicitRequest::new(params)),
            )]);
            return Ok(CallToolResponse::InputRequired(InputRequiredResult::new(
                Some(ask),
                None,
            )));
        }
        let answer = ctx.peer.create_elicitation(params).await.ok();
        if !accepted(answer) {
            return Ok(declined().into());
        }
        args.insert(CONFIRM.into(), Value::Bool(true));
        Ok(match run(args).await {
            Ok(out) => success(&out),
            Err(e) => failure(&e),
        }
        .into())
    }

    /// Tells this session about changes to what it subscribed to, until the session ends.
    fn watch(&self, user_id: String, peer: Peer<RoleServer>) {
        let mut changes = self.store.changes();
        let subscribed = Arc::clone(&self.subscribed);
        tokio::spawn(async move {
            loop {
                let change = match changes.recv().await {
                    Ok(c) if c.user_id != user_id => continue,
                    Ok(c) => Some(c),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return,
                };
                let uris: Vec<String> = subscribed
                    .lock()
                    .expect("not poisoned")
                    .0
                    .iter()
                    .cloned()
                    .collect();
                for uri in touched(&uris, change.as_ref()) {
                    let note = ResourceUpdatedNotificationParam::new(uri);
                    if peer.notify_resource_updated(note).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

/// Of `uris`, those `change` may have changed (all of them when changes were missed, or many tasks
/// changed at once).
fn touched<'a>(uris: &'a [String], change: Option<&Change>) -> Vec<&'a str> {
    uris.iter()
        .map(String::as_str)
        .filter(|uri| match (TaskResource::parse(uri), change) {
            (
                Some(r),
                Some(Change {
                    kind: ChangeKind::Task(id),
                    ..
                }),
            ) => r.shows(*id),
            (
                Some(_),
                Some(Change {
                    kind: ChangeKind::Tasks,
                    ..
                }),
            ) => true,
            (Some(_), Some(_)) => false,
            (Some(_), None) => true,
            (None, _) => false,
        })
        .collect()
}

/// Whether the user said yes to the confirmation question.
fn accepted(answer: Option<ElicitResult>) -> bool {
    answer.is_some_and(|a| {
        a.action == ElicitationAction::Accept
            && a.content.as_ref().and_then(|c| c.get(CONFIRM)) == Some(&Value::Bool(true))
    })
}

fn declined() -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        "The user did not confirm; nothing was changed.",
    )])
}

/// A tool's answer as MCP content: the JSON as text in the shape the tools always had, and as
/// structured content (an object, as the tool's output schema describes).
fn success(out: &tools::Output) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(out.to_value().to_string())]);
    result.structured_content = Some(out.structured());
    result
}

fn failure(e: &ToolError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.to_string())])
}

/// The tools as MCP lists them; a caller that may not write sees only the reading ones.
pub fn tool_list(can_write: bool) -> Vec<Tool> {
    tools::catalog()
        .iter()
        .filter(|t| can_write || !t.effect.writes())
        .map(|t| {
            let object = |v: &Value| match v {
                Value::Object(m) => Arc::new(m.clone()),
                _ => unreachable!("tool schemas are objects"),
            };
            let hints = match t.effect {
                Effect::Reads => ToolAnnotations::new().read_only(true),
                Effect::Adds => ToolAnnotations::new()
                    .read_only(false)
                    .destructive(false)
                    .idempotent(false),
                Effect::Changes { destructive } => ToolAnnotations::new()
                    .read_only(false)
                    .destructive(destructive)
                    .idempotent(true),
            };
            let mut hints = hints.open_world(false);
            hints.title = Some(t.title.to_owned());
            // The title goes in the annotations only: clients read it there too, and each token
            // of tools/list costs in every conversation.
            Tool::new(t.name, t.description, object(&t.input_schema))
                .with_raw_output_schema(object(&t.output_schema))
                .with_annotations(hints)
        })
        .collect()
}

/// The resources: `todo://tasks/today`, `todo://tasks/overdue`, `todo://lists/{id}/tasks` and
/// `todo://tasks/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskResource {
    Today,
    Overdue,
    List(i64),
    Task(i64),
}

const TODAY: &str = "todo://tasks/today";
const OVERDUE: &str = "todo://tasks/overdue";

impl TaskResource {
    fn parse(uri: &str) -> Option<TaskResource> {
        let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match uri {
            TODAY => Some(TaskResource::Today),
            OVERDUE => Some(TaskResource::Overdue),
            _ => {
                if let Some(rest) = uri.strip_prefix("todo://tasks/") {
                    id(rest).map(TaskResource::Task)
                } else {
                    let rest = uri.strip_prefix("todo://lists/")?.strip_suffix("/tasks")?;
                    id(rest).map(TaskResource::List)
                }
            }
        }
    }

    /// Whether a change to task `id` may change what this resource shows. Any task may move into
    /// today, overdue or a list, so only the one-task resource can tell.
    fn shows(self, id: i64) -> bool {
        match self {
            TaskResource::Task(t) => t == id,
            _ => true,
        }
    }

    /// The resource's JSON, or `None` when it does not exist for this user.
    async fn read(self, store: &Store, user_id: &str) -> Result<Option<Value>, ToolError> {
        let dated = |day: Day, tasks: Vec<Task>| json!({"date": day.date, "time_zone": day.tz.name(), "tasks": tasks});
        Ok(match self {
            TaskResource::Today => {
                let day = views::today(store, user_id).await?;
                Some(dated(day, views::due_on(store, user_id, &day).await?))
            }
            TaskResource::Overdue => {
                let day = views::today(store, user_id).await?;
                Some(dated(day, views::overdue(store, user_id, &day).await?))
            }
            TaskResource::List(id) => views::in_list(store, user_id, id)
                .await?
                .map(|tasks| json!({"list_id": id, "tasks": tasks})),
            TaskResource::Task(id) => views::task(store, user_id, id)
                .await?
                .map(|t| serde_json::to_value(t).expect("tasks serialise")),
        })
    }
}

const PLAN_MY_DAY: &str = "plan_my_day";
const WEEKLY_REVIEW: &str = "weekly_review";

/// One task as a line of a prompt.
fn line(out: &mut String, t: &Task, tz: chrono_tz::Tz) {
    let _ = write!(
        out,
        "- #{} {} ({} priority",
        t.id,
        t.title,
        t.priority.as_str()
    );
    if let Some(due) = t.due_at {
        let _ = write!(
            out,
            ", due {}",
            due.with_timezone(&tz).format("%a %d %b %H:%M")
        );
    }
    out.push_str(")\n");
}

fn section(out: &mut String, heading: &str, tasks: &[Task], tz: chrono_tz::Tz) {
    let _ = writeln!(out, "\n{heading} ({}):", tasks.len());
    if tasks.is_empty() {
        out.push_str("- none\n");
    }
    for t in tasks {
        line(out, t, tz);
    }
}

/// Most important first, then soonest due.
fn by_priority(tasks: &mut [Task]) {
    tasks.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.due_at, t.id));
}

async fn prompt_text(
    store: &Store,
    user_id: &str,
    name: &str,
) -> Result<Option<String>, ToolError> {
    let day = views::today(store, user_id).await?;
    let date = day.date.format("%A %-d %B %Y");
    let mut out = String::new();
    match name {
        PLAN_MY_DAY => {
            let mut overdue = views::overdue(store, user_id, &day).await?;
            let mut today = views::due_on(store, user_id, &day).await?;
            by_priority(&mut overdue);
            by_priority(&mut today);
            let _ = writeln!(
                out,
                "Help me plan my day. Today is {date} ({}). My open tasks, most important first:",
                day.tz
            );
            section(&mut out, "Overdue", &overdue, day.tz);
            section(&mut out, "Due today", &today, day.tz);
            out.push_str(
                "\nSuggest an order to work in, what to move to another day, and anything to drop.",
            );
        }
        WEEKLY_REVIEW => {
            let week = views::week(store, user_id, &day).await?;
            let _ = writeln!(
                out,
                "Help me review my week (since Monday {}; today is {date}, {}).",
                week.monday.format("%-d %B"),
                day.tz
            );
            section(&mut out, "Done this week", &week.done, day.tz);
            section(&mut out, "Slipped (open, past due)", &week.slipped, day.tz);
            section(
                &mut out,
                "Next (due in the coming 7 days)",
                &week.next,
                day.tz,
            );
            out.push_str(
                "\nSum up what got done, why things slipped and what to reschedule, and what to focus on next.",
            );
        }
        _ => return Ok(None),
    }
    Ok(Some(out))
}

fn unavailable(e: ToolError) -> ErrorData {
    match e {
        ToolError::Invalid(m) => ErrorData::invalid_params(m, None),
        e => ErrorData::internal_error(e.to_string(), None),
    }
}

impl ServerHandler for TodoMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_prompts()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("todo", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The signed-in user's tasks: tools to add, list, complete, delete and update them; \
                 resources for today's, overdue, a list's and one task (subscribable); prompts \
                 plan_my_day and weekly_review. Use list_tasks to find a task's id before changing it.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let user = self.caller(&ctx)?;
        Ok(ListToolsResult::with_all_items(tool_list(user.can_write)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let user = self.caller(&ctx)?;
        let Some(def) = tools::catalog().iter().find(|t| t.name == request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool '{}'", request.name),
                None,
            ));
        };
        if def.effect.writes() && !user.can_write {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "{} changes tasks, and this token may only read them (it lacks the tasks:write scope)",
                def.name
            ))])
            .into());
        }
        self.call(&user, def, request, &ctx).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let user = self.caller(&ctx)?;
        let json = |r: Resource| r.with_mime_type("application/json");
        let mut resources = vec![
            json(
                Resource::new(TODAY, "today")
                    .with_title("Due today")
                    .with_description("Open tasks due today in the user's time zone"),
            ),
            json(
                Resource::new(OVERDUE, "overdue")
                    .with_title("Overdue")
                    .with_description("Open tasks due before today"),
            ),
        ];
        let lists = self
            .store
            .lists(&user.user_id)
            .await
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        resources.extend(lists.into_iter().filter(|l| !l.archived).map(|l| {
            json(
                Resource::new(
                    format!("todo://lists/{}/tasks", l.id),
                    format!("list-{}", l.id),
                )
                .with_title(l.name),
            )
        }));
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.caller(&ctx)?;
        let templates = vec![
            ResourceTemplate::new("todo://lists/{id}/tasks", "list-tasks")
                .with_title("A list's tasks")
                .with_mime_type("application/json"),
            ResourceTemplate::new("todo://tasks/{id}", "task")
                .with_title("One task")
                .with_mime_type("application/json"),
        ];
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let user = self.caller(&ctx)?;
        let not_found =
            || ErrorData::resource_not_found(format!("no resource {}", request.uri), None);
        let resource = TaskResource::parse(&request.uri).ok_or_else(not_found)?;
        let value = resource
            .read(&self.store, &user.user_id)
            .await
            .map_err(unavailable)?
            .ok_or_else(not_found)?;
        let contents = ResourceContents::text(value.to_string(), request.uri.clone())
            .with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    #[allow(deprecated)] // MCP before 2026-07-28 subscribes this way, in a session.
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let user = self.caller(&ctx)?;
        if TaskResource::parse(&request.uri).is_none() {
            return Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        }
        let start = {
            let mut subscribed = self.subscribed.lock().expect("not poisoned");
            subscribed.0.insert(request.uri);
            !std::mem::replace(&mut subscribed.1, true)
        };
        if start {
            self.watch(user.user_id, ctx.peer.clone());
        }
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.caller(&ctx)?;
        self.subscribed
            .lock()
            .expect("not poisoned")
            .0
            .remove(&request.uri);
        Ok(())
    }

    /// MCP 2026-07-28's `subscriptions/listen`: the resources of ours among those asked for.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = SubscriptionFilter::new();
        accepted.resource_subscriptions = requested.resource_subscriptions.as_ref().map(|uris| {
            uris.iter()
                .filter(|u| TaskResource::parse(u).is_some())
                .cloned()
                .collect()
        });
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let user = self.caller(context.request_context())?;
        let uris = context
            .accepted()
            .resource_subscriptions
            .clone()
            .unwrap_or_default();
        let mut changes = self.store.changes();
        loop {
            let change = tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let change = match change {
                Ok(c) if c.user_id != user.user_id => continue,
                Ok(c) => Some(c),
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return Ok(()),
            };
            for uri in touched(&uris, change.as_ref()) {
                if context.sink().notify_resource_updated(uri).await.is_err() {
                    return Ok(());
                }
            }
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.caller(&ctx)?;
        let prompts = vec![
            Prompt::new(
                PLAN_MY_DAY,
                Some("Today's and overdue tasks by priority, to plan the day"),
                None,
            )
            .with_title("Plan my day"),
            Prompt::new(
                WEEKLY_REVIEW,
                Some("Done this week, what slipped and what is next"),
                None,
            )
            .with_title("Weekly review"),
        ];
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let user = self.caller(&ctx)?;
        let text = prompt_text(&self.store, &user.user_id, &request.name)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                ErrorData::invalid_params(format!("unknown prompt '{}'", request.name), None)
            })?;
        let title = match request.name.as_str() {
            PLAN_MY_DAY => "Plan my day",
            _ => "Weekly review",
        };
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(title)
                .into(),
        )
    }
}

/// Bound on one exchange with a remote MCP server, so a stuck server cannot hold a turn forever.
const MCP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A connection to a remote `todo mcp`, shared by every chat turn: one HTTP connection pool.
#[derive(Clone)]
pub struct McpRemote {
    http: reqwest::Client,
    url: Arc<str>,
}

/// One turn's MCP session, authenticated as the chat's caller.
pub struct McpSession(rmcp::service::RunningService<rmcp::RoleClient, ()>);

impl McpRemote {
    pub fn new(http: reqwest::Client, url: &str) -> Self {
        McpRemote {
            http,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens a session that acts as the holder of `token` (the caller's own bearer token).
    pub async fn connect(&self, token: &str) -> Result<McpSession, ToolError> {
        use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
        use rmcp::transport::StreamableHttpClientTransport;
        let config = StreamableHttpClientTransportConfig::with_uri(self.url.clone())
            .auth_header(token.to_owned());
        let transport = StreamableHttpClientTransport::with_client(self.http.clone(), config);
        let unreachable = || ToolError::Transport("the task server did not answer".into());
        let running = tokio::time::timeout(MCP_TIMEOUT, ().serve(transport))
            .await
            .map_err(|_| unreachable())?
            .map_err(|e| {
                tracing::warn!(error = %e, "MCP server unreachable");
                unreachable()
            })?;
        Ok(McpSession(running))
    }
}

impl McpSession {
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ToolError> {
        let mut params = CallToolRequestParams::new(name.to_owned());
        match args {
            Value::Object(m) => params = params.with_arguments(m),
            Value::Null => {}
            _ => return Err(ToolError::Invalid("arguments must be a JSON object".into())),
        }
        let result = tokio::time::timeout(MCP_TIMEOUT, self.0.peer().call_tool(params))
            .await
            .map_err(|_| ToolError::Transport("the task server did not answer in time".into()))?
            .map_err(|e| match e {
                rmcp::ServiceError::McpError(e) => ToolError::Invalid(e.message.to_string()),
                other => {
                    tracing::warn!(error = %other, "MCP tool call failed");
                    ToolError::Transport("the task server failed to answer".into())
                }
            })?;
        let text = result
            .content
            .iter()
            .filter_map(|c| match c {
                ContentBlock::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect::<String>();
        if result.is_error == Some(true) {
            return Err(ToolError::Remote(text));
        }
        // The text is the answer in the shape the in-process tools give (an array for the listings).
        Ok(serde_json::from_str(&text)
            .ok()
            .or(result.structured_content)
            .unwrap_or(Value::String(text)))
    }

    pub async fn close(self) {
        let _ = self.0.cancel().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `tools/list` answers, as a client receives it.
    fn listed(can_write: bool) -> String {
        serde_json::to_string(&ListToolsResult::with_all_items(tool_list(can_write))).unwrap()
    }

    #[test]
    fn tools_list_costs_under_2000_tokens() {
        let json = listed(true);
        let o200k = tiktoken_rs::o200k_base_singleton()
            .encode_with_special_tokens(&json)
            .len();
        let cl100k = tiktoken_rs::cl100k_base_singleton()
            .encode_with_special_tokens(&json)
            .len();
        println!(
            "tools/list: {} tools, {} bytes, {o200k} tokens (o200k_base), {cl100k} tokens (cl100k_base)",
            tool_list(true).len(),
            json.len()
        );
        assert!(o200k < 2000 && cl100k < 2000, "{o200k} / {cl100k} tokens");
    }

    #[test]
    fn every_tool_is_annotated_and_states_its_output() {
        let listed: Value = serde_json::from_str(&listed(true)).unwrap();
        for tool in listed["tools"].as_array().unwrap() {
            let name = tool["name"].as_str().unwrap();
            let hints = &tool["annotations"];
            assert_eq!(hints["openWorldHint"], false, "{name}");
            assert!(hints["title"].is_string(), "{name}");
            assert!(hints["readOnlyHint"].is_boolean(), "{name}");
            if hints["readOnlyHint"] == false {
                assert!(hints["destructiveHint"].is_boolean(), "{name}");
                assert!(hints["idempotentHint"].is_boolean(), "{name}");
            }
            assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        }
        let hint = |name: &str, key: &str| {
            listed["tools"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .map(|t| t["annotations"][key].clone())
                .unwrap()
        };
        assert_eq!(hint("delete_task", "destructiveHint"), true);
        assert_eq!(hint("add_task", "destructiveHint"), false);
        assert_eq!(hint("list_tasks", "readOnlyHint"), true);
        assert_eq!(hint("complete_task", "idempotentHint"), true);
    }

    #[test]
    fn a_reader_sees_only_the_reading_tools() {
        let names: Vec<_> = tool_list(false).into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["list_tasks", "list_lists", "list_reminders"]);
    }

    #[test]
    fn resource_uris_parse_and_say_what_a_change_touches() {
        assert_eq!(TaskResource::parse(TODAY), Some(TaskResource::Today));
        assert_eq!(
            TaskResource::parse("todo://lists/3/tasks"),
            Some(TaskResource::List(3))
        );
        assert_eq!(
            TaskResource::parse("todo://tasks/7"),
            Some(TaskResource::Task(7))
        );
        for bad in [
            "todo://tasks/0",
            "todo://tasks/x",
            "todo://lists/3",
            "http://x/tasks/1",
        ] {
            assert_eq!(TaskResource::parse(bad), None, "{bad}");
        }
        let uris = [
            "todo://tasks/7".to_owned(),
            "todo://tasks/8".to_owned(),
            TODAY.to_owned(),
        ];
        let change = |id| Change {
            user_id: "u".into(),
            kind: ChangeKind::Task(id),
        };
        assert_eq!(touched(&uris, Some(&change(7))), ["todo://tasks/7", TODAY]);
        assert_eq!(
            touched(&uris, None).len(),
            3,
            "missed changes touch everything"
        );
        let note = Change {
            user_id: "u".into(),
            kind: ChangeKind::Notifications,
        };
        assert!(touched(&uris, Some(&note)).is_empty());
        let import = Change {
            user_id: "u".into(),
            kind: ChangeKind::Tasks,
        };
        assert_eq!(
            touched(&uris, Some(&import)).len(),
            3,
            "an import touches all"
        );
    }
}
