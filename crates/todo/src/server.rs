//! Starting and stopping a server role: storage, migrations, the JWT secret, the listener, and a
//! graceful shutdown that fails readiness first, drains in-flight requests (bounded) and closes the pool.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::distributions::{Alphanumeric, DistString};
use secrecy::{ExposeSecret, SecretString};
use todo_api::{AppState, PushApi};
use todo_assistant::mcp::{McpRemote, TodoMcp};
use todo_assistant::{Assistant, Brain, Model, Toolbox};
use todo_auth::{AuthConfig, Authenticator};
use todo_notify::{Channels, PushSender, Scheduler, SystemClock, Vapid, WebhookSender};
use todo_storage::{Channel, DbKind, Store};
use tokio::net::TcpListener;

use crate::config::{ConfigError, FrontendConfig, McpArgs, Secret, ServerConfig, StdioUser};
use crate::listener::serve_until;

/// A server that has bound its port and is ready to serve.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    channels: Channels,
    config: ServerConfig,
}

/// Opens storage from `DATABASE_URL`, naming the variable when it is not usable.
pub fn open_store(
    url: &SecretString,
    config: &todo_storage::StoreOptions,
) -> Result<Store, ConfigError> {
    // The storage error describes the problem, never the URL (which may hold a password).
    Store::open(url.expose_secret(), config)
        .map_err(|e| ConfigError(format!("DATABASE_URL is not usable: {e}")))
}

/// Retries `migrate` with backoff until it succeeds or `deadline` passes; a database that is still
/// starting is normal in a cluster and not a reason to crash.
pub async fn migrate_with_retry(
    store: &Store,
    deadline: Option<Duration>,
) -> Result<(), todo_storage::StorageError> {
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        match store.migrate().await {
            Ok(()) => return Ok(()),
            Err(todo_storage::StorageError::Unavailable(e))
                if deadline.is_none_or(|d| started.elapsed() < d) =>
            {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "database not reachable yet; will retry migrations");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Prepares storage (migrations when asked, the JWT secret) and the assistant for `config`.
pub async fn app_state(store: Store, config: &ServerConfig) -> Result<AppState, ConfigError> {
    crate::install_tls_provider();
    if config.auto_migrate {
        if store.kind() == DbKind::Sqlite {
            store.migrate().await.map_err(|e| {
                ConfigError(format!(
                    "DATABASE_URL: cannot migrate the SQLite database: {e}"
                ))
            })?;
        } else {
            // PostgreSQL may still be starting: serve unready meanwhile, /ready turns green once migrated.
            let store = store.clone();
            tokio::spawn(async move {
                match migrate_with_retry(&store, None).await {
                    Ok(()) => tracing::info!("migrations applied"),
                    Err(e) => {
                        tracing::error!(error = %e, "migrations failed; /ready stays unavailable")
                    }
                }
            });
        }
    }
    let secret = match &config.secret {
        Secret::Given(s) => s.clone(),
        Secret::Generate => {
            let fresh = Alphanumeric.sample_string(&mut rand::thread_rng(), 48);
            // Secrets are generated only with AUTO_MIGRATE (see config); SQLite is migrated above.
            if store.kind() != DbKind::Sqlite {
                migrate_with_retry(&store, Some(Duration::from_secs(60)))
                    .await
                    .map_err(|e| {
                        ConfigError(format!("DATABASE_URL: cannot prepare the database: {e}"))
                    })?;
            }
            let kept = store
                .setting_or_init("jwt_secret", &fresh)
                .await
                .map_err(|e| {
                    ConfigError(format!(
                        "DATABASE_URL: cannot store the generated secret: {e}"
                    ))
                })?;
            if kept == fresh {
                tracing::info!(
                    "BETTER_AUTH_SECRET not set: generated one and stored it in the database"
                );
            } else {
                tracing::info!("BETTER_AUTH_SECRET not set: using the one generated earlier and kept in the database");
            }
            kept.into()
        }
    };
    let auth = Authenticator::new(AuthConfig {
        secret,
        issuer: config.issuer.clone(),
        audience: config.audience.clone(),
        jwks_url: config.jwks_url.clone(),
        token_ttl: config.jwt_ttl,
        max_token_lifetime: config.jwt_max_lifetime,
    });
    // The connect timeout includes the name lookup: above the resolver's 5 s retry (see web's Backend).
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ConfigError(format!("cannot build the HTTP client: {e}")))?;
    let brain = match &config.model {
        Some(m) => Brain::Model(Model::new(http.clone(), m.clone())),
        None => Brain::Builtin,
    };
    let toolbox = match &config.mcp_server_url {
        Some(url) => Toolbox::Remote(McpRemote::new(http, url)),
        None => Toolbox::Local(store.clone()),
    };
    let assistant = Assistant { brain, toolbox };
    if config.surface.api {
        let tools = match &assistant.toolbox {
            Toolbox::Remote(r) => format!("MCP server {}", r.url()),
            Toolbox::Local(_) => "in-process tools".into(),
        };
        tracing::info!(brain = %assistant.brain.describe(), %tools, "chat assistant");
    }
    // Browsers subscribe to one key: given to every replica, or generated once into the database.
    let vapid = match &config.push.key {
        Some(key) => Vapid::given(key.clone(), config.push.subject.clone()),
        None => Vapid::stored(store.clone(), config.push.subject.clone()),
    };
    let push = PushApi {
        vapid,
        allow_insecure: config.push.settings.allow_insecure,
    };
    Ok(AppState::new(
        store,
        auth,
        config.api.clone(),
        assistant,
        push,
    ))
}

/// The channels the scheduler sends through.
fn channels(state: &AppState, config: &ServerConfig) -> Result<Channels, ConfigError> {
    let push = PushSender::new(
        state.store().clone(),
        state.push().vapid.clone(),
        config.push.settings.clone(),
    )
    .map_err(|e| ConfigError(format!("Web Push: {e}")))?;
    let webhooks = WebhookSender::new(
        state.store().clone(),
        config.webhooks,
        Arc::new(SystemClock),
    )
    .map_err(|e| ConfigError(format!("webhooks: {e}")))?;
    Ok(Channels::default()
        .with(Channel::Push, Arc::new(push))
        .with(Channel::Webhook, Arc::new(webhooks)))
}

impl Server {
    /// Validates what can only be checked at start (the database URL, the port), migrates when asked,
    /// and binds. Errors name the setting at fault.
    pub async fn bind(config: ServerConfig) -> Result<Server, ConfigError> {
        let store = open_store(&config.database_url, &config.store)?;
        let listener = TcpListener::bind(&config.addr).await.map_err(|e| {
            ConfigError(format!("HOST/PORT: cannot listen on {}: {e}", config.addr))
        })?;
        let state = app_state(store, &config).await?;
        let channels = channels(&state, &config)?;
        Ok(Server {
            listener,
            state,
            channels,
            config,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `shutdown` resolves, then drains: readiness fails at once, the listener stays open for
    /// the configured delay, in-flight requests get up to the drain timeout, and the pool closes.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server {
            listener,
            state,
            channels,
            config,
        } = self;
        let api = todo_api::router_for(state.clone(), config.surface.clone());
        let app = if config.with_ui {
            todo_web::router(
                todo_web::Backend::Local(api),
                todo_web::WebSettings {
                    secure_cookies: config.api.secure_cookies,
                },
            )
        } else {
            api
        };
        let draining = state.clone();
        let (stop_scheduler, scheduler_stopped) = tokio::sync::oneshot::channel::<()>();
        let scheduler = config.scheduler.clone().map(|settings| {
            let scheduler = Scheduler::new(
                state.store().clone(),
                channels,
                Arc::new(SystemClock),
                settings,
            );
            tokio::spawn(scheduler.run(async move {
                let _ = scheduler_stopped.await;
            }))
        });
        tracing::info!(addr = %listener.local_addr()?, database = ?state.store().kind(), "listening");
        let result = serve_until(
            listener,
            app,
            async move {
                shutdown.await;
                draining.start_draining();
            },
            config.shutdown_delay,
            config.drain_timeout,
            config.connections,
        )
        .await;
        // Turns whose clients hung up are still calling the model or storing the answer.
        if tokio::time::timeout(config.drain_timeout, state.turns_finished())
            .await
            .is_err()
        {
            tracing::warn!(timeout = ?config.drain_timeout, "chat turns still running after the drain timeout; exiting anyway");
        }
        // A tick in progress finishes its transaction; messages it was sending keep their lease for
        // another replica (or the next start) to take over.
        let _ = stop_scheduler.send(());
        if let Some(scheduler) = scheduler {
            if tokio::time::timeout(Duration::from_secs(5), scheduler)
                .await
                .is_err()
            {
                tracing::warn!("scheduler did not stop within 5 s; exiting anyway");
            }
        }
        // Connections still held by abandoned requests must not stretch shutdown past its bound.
        if tokio::time::timeout(Duration::from_secs(5), state.store().close())
            .await
            .is_err()
        {
            tracing::warn!("database pool did not close within 5 s; exiting anyway");
        }
        tracing::info!("stopped");
        result
    }
}

/// The frontend role: the web UI, with `/api/*` forwarded to the backend at `BACKEND_URL`.
pub struct Frontend {
    listener: TcpListener,
    config: FrontendConfig,
}

impl Frontend {
    pub async fn bind(config: FrontendConfig) -> Result<Frontend, ConfigError> {
        let listener = TcpListener::bind(&config.addr).await.map_err(|e| {
            ConfigError(format!("HOST/PORT: cannot listen on {}: {e}", config.addr))
        })?;
        Ok(Frontend { listener, config })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ConfigError> {
        let Frontend { listener, config } = self;
        crate::install_tls_provider();
        let backend = todo_web::Backend::remote(&config.backend_url)
            .map_err(|e| ConfigError(format!("BACKEND_URL: cannot build an HTTP client: {e}")))?;
        let app = todo_web::router(backend, config.web.clone());
        tracing::info!(addr = %config.addr, backend = %config.backend_url, "frontend listening");
        serve_until(
            listener,
            app,
            shutdown,
            config.shutdown_delay,
            config.drain_timeout,
            config.connections,
        )
        .await
        .map_err(|e| ConfigError(format!("server error: {e}")))?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// The id of the local user `name` (an email, or else taken as a user id); `option` names where the
/// name came from in the error.
pub async fn local_user(store: &Store, name: &str, option: &str) -> Result<String, ConfigError> {
    if !name.contains('@') {
        return Ok(name.to_owned());
    }
    let email = todo_domain::normalize_email(name);
    let found = store
        .user_by_email(&email)
        .await
        .map_err(|e| ConfigError(format!("DATABASE_URL: cannot look up {option}: {e}")))?;
    Ok(found
        .ok_or_else(|| ConfigError(format!("{option}: no user with email {email} in this database; sign up in the web app first (same DATABASE_URL)")))?
        .0
        .id)
}

/// `todo mcp --stdio`: the task tools for one user over standard input and output.
pub async fn serve_stdio(args: McpArgs) -> Result<(), ConfigError> {
    let (config, who) = args.into_stdio_config()?;
    let store = open_store(&config.database_url, &config.store)?;
    let state = app_state(store.clone(), &config).await?;
    let user_id = match who {
        StdioUser::Token(token) => {
            state
                .identify(token.expose_secret())
                .await
                .map_err(|e| ConfigError(format!("MCP_TOKEN is not accepted: {}", e.message)))?
                .user_id
        }
        StdioUser::Named(name) => local_user(&store, &name, "MCP_USER").await?,
    };
    tracing::info!(user_id = %user_id, "serving MCP on stdio");
    let result = TodoMcp::serve_stdio(store.clone(), user_id)
        .await
        .map_err(ConfigError);
    store.close().await;
    result
}
