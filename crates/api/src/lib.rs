//! The HTTP API: thin handlers over the storage and auth crates, one error type mapped once to HTTP,
//! and an OpenAPI document generated from the same route definitions so it cannot drift.
//! It must not depend on the web UI or the binary's configuration: those build on it.

mod error;
mod extract;
mod idempotency;
mod live_sessions;
mod middleware;
mod routes;
mod throttle;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use todo_assistant::Assistant;
use todo_auth::{Authenticator, Identity};
use todo_storage::Store;
use tokio::sync::Semaphore;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use error::ApiError;
pub use middleware::HttpLimits;
pub use routes::mcp::AllowedHosts;
pub use routes::oauth::OAuthSettings;
pub use routes::transfer::{export_document, import_file};
pub use throttle::{AuthLimits, TrustedProxies};

use live_sessions::LiveSessions;
use throttle::Throttle;

/// What the push routes need: the server's VAPID identity, and whether test endpoints are allowed.
#[derive(Clone)]
pub struct PushApi {
    pub vapid: todo_notify::Vapid,
    /// Accept `http` endpoints (a local push service in tests).
    pub allow_insecure: bool,
}

/// Settings of the HTTP layer that are not about auth or storage.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub limits: HttpLimits,
    /// Browser origins allowed to call the API directly (`CORS_ORIGINS`, `FRONTEND_URL`).
    pub cors_origins: Vec<String>,
    /// Lifetime of a sign-in session.
    pub session_ttl: Duration,
    /// Mark the session cookie `Secure` and `__Host-` (when served over HTTPS).
    pub secure_cookies: bool,
    /// Limits on sign-in and sign-up.
    pub auth_limits: AuthLimits,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Where browsers and calendar apps reach this server (`PUBLIC_URL`, else the UI's origin): the
    /// base of the calendar feed's link. Without it, the `Host` of the request that makes the link.
    pub public_url: Option<url::Url>,
    /// Webhooks may point at loopback and private addresses (`WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// The OAuth authorization server and protected resources; off without `PUBLIC_URL`.
    pub oauth: Option<OAuthSettings>,
}

struct Inner {
    store: Store,
    auth: Authenticator,
    assistant: Assistant,
    settings: ApiSettings,
    push: PushApi,
    draining: AtomicBool,
    /// Set once the database is seen at the schema this binary needs; it never goes back.
    schema_current: AtomicBool,
    /// Chat turns run on their own tasks (they outlive a client that hangs up); this bounds how many
    /// run at once, so a burst of abandoned requests cannot pile up model calls without end.
    turn_slots: Arc<Semaphore>,
    throttle: Throttle,
    live_sessions: LiveSessions,
}

/// Most chat turns one process runs at once.
const MAX_CONCURRENT_TURNS: usize = 256;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(
        store: Store,
        auth: Authenticator,
        settings: ApiSettings,
        assistant: Assistant,
        push: PushApi,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            auth,
            assistant,
            push,
            throttle: Throttle::new(settings.auth_limits.clone()),
            live_sessions: LiveSessions::default(),
            settings,
            draining: AtomicBool::new(false),
            schema_current: AtomicBool::new(false),
            turn_slots: Arc::new(Semaphore::new(MAX_CONCURRENT_TURNS)),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn auth(&self) -> &Authenticator {
        &self.0.auth
    }

    pub fn assistant(&self) -> &Assistant {
        &self.0.assistant
    }

    pub fn push(&self) -> &PushApi {
        &self.0.push
    }

    /// Verifies a bearer token: an opaque one (OAuth, personal) against the database, a JWT by its
    /// signature; a JWT this server issued must also still belong to a live session.
    pub async fn identify(&self, token: &str) -> Result<Identity, ApiError> {
        if token.starts_with(routes::oauth::TOKEN_PREFIX) {
            return self.identify_opaque(token).await;
        }
        let identity = self.auth().verify(token).await?;
        if let Some(sid) = &identity.session_id {
            let live = &self.0.live_sessions;
            if !live.recently_live(sid, &identity.user_id) {
                if !self.store().session_is_live(sid, &identity.user_id).await? {
                    return Err(ApiError::unauthorized(
                        "the session has ended; sign in again",
                    ));
                }
                live.seen_live(sid, &identity.user_id);
            }
        }
        Ok(identity)
    }

    async fn identify_opaque(&self, token: &str) -> Result<Identity, ApiError> {
        use todo_auth::{AuthError, Credential, Scopes};
        use todo_storage::TokenKind;
        let hash = todo_auth::hash_session_token(&secrecy::SecretString::from(token.to_owned()));
        let stored = self.store().bearer_token(&hash).await?;
        let stored = stored.ok_or_else(|| AuthError::Invalid("unknown token".into()))?;
        if stored.revoked {
            return Err(AuthError::Invalid("the token was revoked".into()).into());
        }
        if stored.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
            return Err(AuthError::Expired.into());
        }
        let credential = match (stored.kind, stored.resource) {
            (TokenKind::Personal, _) => Credential::Personal,
            (TokenKind::Access, Some(resource)) => Credential::OAuth { resource },
            _ => {
                return Err(
                    AuthError::Invalid("a refresh token is not an access token".into()).into(),
                )
            }
        };
        if credential == Credential::Personal {
            // The last-used time is a convenience: failing to record it must not refuse the call.
            if let Err(e) = self.store().touch_token(&stored.id).await {
                tracing::warn!(error = %e, "could not record a token's use");
            }
        }
        Ok(Identity {
            user_id: stored.user_id,
            session_id: None,
            scopes: Scopes::parse(&stored.scopes).unwrap_or_default(),
            credential,
        })
    }

    fn throttle(&self) -> &Throttle {
        &self.0.throttle
    }

    fn live_sessions(&self) -> &LiveSessions {
        &self.0.live_sessions
    }

    /// A slot for one chat turn, or 503 when the process is running as many as it allows.
    fn turn_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.0.turn_slots.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the assistant is busy with other conversations; try again in a moment",
            )
        })
    }

    /// Resolves when no chat turn is running. Turns outlive their requests (a client may hang up),
    /// so draining HTTP connections alone would cut off a turn whose client is gone; once this
    /// resolves, new turns are refused as busy.
    pub async fn turns_finished(&self) {
        // Holding every slot means none is in use; the semaphore is never closed.
        let all = MAX_CONCURRENT_TURNS as u32;
        if let Ok(slots) = self.0.turn_slots.acquire_many(all).await {
            slots.forget();
        }
    }

    pub(crate) fn settings(&self) -> &ApiSettings {
        &self.0.settings
    }

    /// Makes `/ready` fail from now on, so load balancers stop routing here before the server stops.
    pub fn start_draining(&self) {
        self.0.draining.store(true, Ordering::SeqCst);
    }

    fn draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }

    /// Runs password hashing or verification on the password threads (see
    /// [`todo_auth::on_password_thread`]): a flood of sign-ins queues instead of exhausting memory.
    async fn password_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        todo_auth::on_password_thread(work)
            .await
            .ok_or_else(|| ApiError::internal("internal error"))
    }

    /// Whether the schema is current, asking the database only until it first is.
    async fn schema_current(&self) -> bool {
        if self.0.schema_current.load(Ordering::Relaxed) {
            return true;
        }
        let current = matches!(
            self.store().schema().await,
            Ok(todo_storage::Schema::Current)
        );
        if current {
            self.0.schema_current.store(true, Ordering::Relaxed);
        }
        current
    }
}

/// Routes that read or write user data; they are only served on a current schema.
fn data_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(routes::auth::router())
        .merge(routes::tasks::router())
        .merge(routes::lists::router())
        .merge(routes::transfer::router())
        .merge(routes::chat::router())
        .merge(routes::calendar::router())
        .merge(routes::notifications::router())
        .merge(routes::webhooks::router())
        .merge(routes::tokens::router())
        .merge(routes::push::router())
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(routes::health::router())
        .merge(data_routes())
}

/// The OpenAPI 3.1 document of every route.
pub fn openapi() -> OpenApi {
    let (_, mut doc) = api().split_for_parts();
    doc.info.title = "todo".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description =
        Some("Tasks with per-user isolation; a self-hostable todo app you can talk to.".into());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    doc
}

/// What a router serves besides the probes.
#[derive(Clone, Debug)]
pub struct Surface {
    /// The REST API (auth, tasks, chat) and its OpenAPI document.
    pub api: bool,
    /// `/mcp`, answering to these hosts.
    pub mcp: Option<AllowedHosts>,
}

/// The backend role's complete router, with operational middleware applied.
pub fn router(state: AppState) -> Router {
    router_for(
        state,
        Surface {
            api: true,
            mcp: None,
        },
    )
}

/// A router serving `surface`, with the probes and operational middleware.
pub fn router_for(state: AppState, surface: Surface) -> Router {
    let (ops, _) = routes::health::router().split_for_parts();
    let mut data = Router::new();
    if surface.api {
        let (api, _) = data_routes().split_for_parts();
        let doc = openapi();
        data = data.merge(api).route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(doc) }),
        );
    }
    if let Some(oauth) = &state.settings().oauth {
        if surface.api {
            data = data.merge(routes::oauth::server_router(oauth));
        }
        if surface.api || surface.mcp.is_some() {
            data = data.merge(routes::oauth::resource_router(oauth));
        }
    }
    if let Some(hosts) = surface.mcp {
        data = data.merge(routes::mcp::router(state.clone(), hosts));
    }
    let data = data.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        middleware::storage_gate,
    ));
    let routes = ops
        .merge(data)
        .fallback(|| async { ApiError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route",
            )
        });
    let settings = state.settings().clone();
    middleware::apply(routes.with_state(state), &settings)
}
