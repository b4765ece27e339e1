//! The tools over MCP: the server real MCP clients talk to (Streamable HTTP or stdio), and the client
//! the agent uses when the tools live in a separate `todo mcp` process.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use todo_storage::Store;

use crate::tools::{self, ToolError};

/// The authenticated MCP caller. The HTTP layer verifies the bearer token and puts this in the
/// request's extensions; tools never take the user from their arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpUser {
    pub user_id: String,
    /// The token may change tasks (scope `tasks:write`); otherwise only reading tools are offered.
    pub can_write: bool,
}

/// Tools that only read, offered to read-only callers.
fn reads_only(tool: &str) -> bool {
    matches!(tool, "list_tasks" | "list_lists")
}

/// The MCP server: the five task tools of one store.
#[derive(Clone)]
pub struct TodoMcp {
    store: Store,
    /// Set for stdio, where one process serves one local user; over HTTP each request names its user.
    fixed_user: Option<Arc<str>>,
}

impl TodoMcp {
    /// A server whose caller is taken from each HTTP request's verified token.
    pub fn over_http(store: Store) -> Self {
        TodoMcp {
            store,
            fixed_user: None,
        }
    }

    /// Serves one user over stdin/stdout until the client closes the stream.
    pub async fn serve_stdio(store: Store, user_id: String) -> Result<(), String> {
        let server = TodoMcp {
            store,
            fixed_user: Some(user_id.into()),
        };
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

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> Option<McpUser> {
        if let Some(u) = &self.fixed_user {
            return Some(McpUser {
                user_id: u.to_string(),
                can_write: true,
            });
        }
        let parts = ctx.extensions.get::<axum::http::request::Parts>()?;
        parts.extensions.get::<McpUser>().cloned()
    }
}

impl ServerHandler for TodoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("todo", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Task tools for the signed-in user: add, list, complete, delete and update tasks. \
                 Use list_tasks to find a task's id before changing it.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let can_write = self.caller(&ctx).is_some_and(|u| u.can_write);
        let tools = tools::catalog()
            .iter()
            .filter(|t| can_write || reads_only(t.name))
            .map(|t| {
                let schema = match &t.input_schema {
                    Value::Object(m) => m.clone(),
                    _ => unreachable!("tool schemas are objects"),
                };
                Tool::new(t.name, t.description, Arc::new(schema))
            })
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(user) = self.caller(&ctx) else {
            return Err(ErrorData::invalid_request("not authenticated", None));
        };
        if !user.can_write && !reads_only(&request.name) {
            let message = format!(
                "'{}' changes tasks, and this token may only read them (it lacks the tasks:write scope)",
                request.name
            );
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let args = request.arguments.map_or(Value::Null, Value::Object);
        let result = match tools::run(&self.store, &user.user_id, &request.name, args).await {
            Ok(value) => success(value),
            Err(ToolError::UnknownTool(name)) => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool '{name}'"),
                    None,
                ))
            }
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.to_string())]),
        };
        Ok(result.into())
    }
}

/// A tool's answer as MCP content: the JSON as text for every client, and as structured content when
/// it is an object (MCP's structured results are objects; `list_tasks` answers an array).
fn success(value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    if value.is_object() {
        result.structured_content = Some(value);
    }
    result
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
        Ok(result
            .structured_content
            .or_else(|| serde_json::from_str(&text).ok())
            .unwrap_or(Value::String(text)))
    }

    pub async fn close(self) {
        let _ = self.0.cancel().await;
    }
}
