use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use todo_assistant::chat::run_turn;
use todo_assistant::{AgentEvent, TurnCaller};
use todo_domain::{ChatReply, ChatRequest, Conversation, Message};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::OwnedSemaphorePermit;
use tokio_stream::wrappers::UnboundedReceiverStream;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody, PathParams};
use crate::idempotency::{replay, Idempotent};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chat))
        .routes(routes!(chat_stream))
        .routes(routes!(list_conversations))
        .routes(routes!(list_messages))
        .routes(routes!(delete_conversation))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Limit {
    /// How many to return, 1–200 (default 50 conversations, 200 messages).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

impl Limit {
    fn get(
        query: Result<Query<Limit>, axum::extract::rejection::QueryRejection>,
        default: u32,
    ) -> Result<u32, ApiError> {
        let Query(l) =
            query.map_err(|_| ApiError::field("limit", "must be an integer from 1 to 200"))?;
        match l.limit {
            None => Ok(default),
            Some(n @ 1..=200) => Ok(n),
            Some(_) => Err(ApiError::field("limit", "must be an integer from 1 to 200")),
        }
    }
}

/// A request checked before any work starts, so mistakes get a plain 4xx.
struct Prepared {
    /// The caller's conversation the message continues; `None` starts a new one.
    conversation: Option<Conversation>,
    message: String,
}

async fn prepare(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    body: ChatRequest,
) -> Result<Prepared, ApiError> {
    caller.owns(user_id)?;
    let turn = body.validate()?;
    let conversation = match turn.conversation_id {
        Some(id) => Some(
            state
                .store()
                .conversation(caller.id(), id)
                .await?
                .ok_or_else(|| ApiError::not_found("conversation"))?,
        ),
        None => None,
    };
    Ok(Prepared {
        conversation,
        message: turn.message,
    })
}

/// Runs the turn on its own task: a client that hangs up or times out does not cut it short, so what
/// the assistant did is always recorded with its answer. 503 when too many turns are running.
fn spawn_turn(
    state: &AppState,
    caller: Caller,
    turn: Prepared,
    events: Option<tokio::sync::mpsc::UnboundedSender<AgentEvent>>,
) -> Result<tokio::task::JoinHandle<Result<ChatReply, ApiError>>, ApiError> {
    let slot = state.turn_slot()?;
    Ok(spawn_turn_in(slot, state, caller, turn, events, None))
}

/// [`spawn_turn`] in a slot already taken; the turn settles the `Idempotency-Key` it claimed, if any:
/// its reply becomes the key's answer, or a failure gives the key up for a retry.
fn spawn_turn_in(
    slot: OwnedSemaphorePermit,
    state: &AppState,
    caller: Caller,
    turn: Prepared,
    events: Option<tokio::sync::mpsc::UnboundedSender<AgentEvent>>,
    claimed: Option<String>,
) -> tokio::task::JoinHandle<Result<ChatReply, ApiError>> {
    let state = state.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let who = TurnCaller {
            user_id: caller.id(),
            token: Some(&caller.token),
        };
        let Prepared {
            conversation,
            message,
        } = turn;
        let reply = run_turn(
            state.store(),
            state.assistant(),
            who,
            conversation,
            &message,
            events,
        )
        .await;
        if let Some(key) = claimed {
            let store = state.store();
            let answer = reply
                .as_ref()
                .ok()
                .and_then(|r| serde_json::to_string(r).ok());
            let settled = match answer {
                Some(body) => store.settle_key(caller.id(), &key, 200, &body).await,
                None => store.release_key(caller.id(), &key).await,
            };
            if let Err(e) = settled {
                tracing::warn!(error = %e, "could not record the answer to an Idempotency-Key");
            }
        }
        Ok(reply?)
    })
}

fn joined(
    r: Result<Result<ChatReply, ApiError>, tokio::task::JoinError>,
) -> Result<ChatReply, ApiError> {
    r.unwrap_or_else(|e| {
        tracing::error!(error = %e, "chat turn panicked");
        Err(ApiError::internal("the assistant failed on this message"))
    })
}

/// Send the assistant a message; it acts on the caller's tasks through its tools and answers.
/// Without `conversation_id` a new conversation starts.
#[utoipa::path(post, path = "/api/{user_id}/chat", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key (1–255 visible ASCII characters, kept 24 h) get the first answer, with `Idempotent-Replayed: true`, instead of acting again; 409 while the first is still running, 422 if the key was used for a different request")),
    request_body = ChatRequest,
    responses((status = 200, body = ChatReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody),
        (status = 504, description = "`still_working`: the answer takes longer than the request time limit; the turn goes on and its answer is stored in `conversation_id` (`/chat/stream` has no such limit)", body = ErrorBody)))]
async fn chat(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    request: Idempotent<ChatRequest>,
) -> Result<Response, ApiError> {
    let Idempotent { body, key } = request;
    let turn = prepare(&state, &caller, &user_id, body).await?;
    let slot = state.turn_slot()?;
    if let Some(key) = &key {
        if let Some(prior) = state.store().claim_key(caller.id(), key).await? {
            return replay(prior);
        }
    }
    // The events only tell which conversation a new turn opened; the reply carries the rest.
    let (events, mut progress) = tokio::sync::mpsc::unbounded_channel();
    let claimed = key.map(|k| k.key);
    let mut handle = spawn_turn_in(slot, &state, caller, turn, Some(events), claimed);
    // Answer just before the request time limit would (its 503 says nothing useful): a slow model's
    // turn goes on and is stored, and the client learns where to find it instead of retrying it.
    let limit = state.settings().limits.request_timeout;
    let patience = limit - (limit / 10).min(Duration::from_secs(1));
    match tokio::time::timeout(patience, &mut handle).await {
        Ok(outcome) => joined(outcome).map(|reply| Json(reply).into_response()),
        Err(_) => Err(still_working(&mut progress)),
    }
}

fn still_working(progress: &mut UnboundedReceiver<AgentEvent>) -> ApiError {
    // `Started` is the turn's first event, sent once its conversation exists.
    let conversation_id = match progress.try_recv() {
        Ok(AgentEvent::Started { conversation_id }) => Some(conversation_id),
        _ => None,
    };
    ApiError {
        conversation_id,
        ..ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "still_working",
            "the assistant is still working on this message; its answer will be stored in the conversation",
        )
    }
}

/// The same turn as `/chat`, streamed as server-sent events: `conversation` `{conversation_id}` first,
/// then `delta` `{text}` pieces of the answer and a `tool_call` `{name, arguments, result}` per tool
/// call as they happen, and finally `done` with the whole reply (or `error` `{error}`).
#[utoipa::path(post, path = "/api/{user_id}/chat/stream", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id")),
    request_body = ChatRequest,
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn chat_stream(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<ChatRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let turn = prepare(&state, &caller, &user_id, body).await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_turn(&state, caller, turn, Some(tx))?;
    let progress = UnboundedReceiverStream::new(rx).map(|e| {
        Ok(match e {
            AgentEvent::Started { conversation_id } => event(
                "conversation",
                json!({ "conversation_id": conversation_id }),
            ),
            AgentEvent::Delta(text) => event("delta", json!({ "text": text })),
            AgentEvent::ToolCall(call) => event("tool_call", json!(call)),
        })
    });
    // The channel closes when the turn ends; its outcome is the last event.
    let end = futures_util::stream::once(async move {
        Ok(match joined(handle.await) {
            Ok(reply) => event("done", json!(reply)),
            Err(e) => event(
                "error",
                json!({"error": {"code": e.code, "message": e.message}}),
            ),
        })
    });
    Ok(Sse::new(progress.chain(end)).keep_alive(KeepAlive::default()))
}

fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// The caller's conversations, most recently active first.
#[utoipa::path(get, path = "/api/{user_id}/conversations", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"), Limit),
    responses((status = 200, body = [Conversation]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(user_id): PathParams<String>,
    query: Result<Query<Limit>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Conversation>>, ApiError> {
    caller.owns(&user_id)?;
    let limit = Limit::get(query, 50)?;
    Ok(Json(
        state.store().list_conversations(caller.id(), limit).await?,
    ))
}

/// A conversation's latest messages, oldest first, with the tool calls each answer made.
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"), ("id" = i64, Path), Limit),
    responses((status = 200, body = [Message]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
    query: Result<Query<Limit>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Message>>, ApiError> {
    caller.owns(&user_id)?;
    let id = conversation_id(&id)?;
    let limit = Limit::get(query, 200)?;
    let store = state.store();
    store
        .conversation(caller.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    Ok(Json(store.recent_messages(caller.id(), id, limit).await?))
}

/// Delete a conversation and its messages (the tasks it changed stay as they are).
#[utoipa::path(delete, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must be the caller's user id"), ("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn delete_conversation(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.owns(&user_id)?;
    let id = conversation_id(&id)?;
    if state.store().delete_conversation(caller.id(), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("conversation"))
    }
}

fn conversation_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::field("id", "must be a positive integer"))
}
