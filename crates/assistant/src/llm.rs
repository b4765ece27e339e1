//! The agent loop over any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LM Studio,
//! and Gemini's and Cohere's compatibility endpoints): the model picks tools, we run them through the
//! turn's tools and feed the results back, until it answers in words or runs out of steps.

use std::time::Duration;

use chrono::DateTime;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use todo_domain::Tz;

use crate::tools;
use crate::turn::TurnTools;
use crate::{PastMessage, Role};

/// How to reach a model.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// `openai`, `gemini` or `cohere`: for logs and messages.
    pub provider: &'static str,
    /// The API root that `/chat/completions` is appended to.
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    /// Bound on one HTTP exchange with the provider.
    pub timeout: Duration,
    /// Most model round trips in one turn, so a model stuck calling tools cannot loop forever.
    pub max_steps: usize,
    /// Retries of a 429, 5xx or connection failure, with exponential backoff.
    pub retries: u32,
}

/// Why a model gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{provider} answered HTTP {status}: {detail}")]
    Status {
        provider: &'static str,
        status: StatusCode,
        detail: String,
    },
    #[error("{provider} could not be reached: {detail}")]
    Unreachable {
        provider: &'static str,
        detail: String,
    },
    #[error("{provider} sent a reply that is not a chat completion: {detail}")]
    Malformed {
        provider: &'static str,
        detail: String,
    },
}

#[derive(Clone)]
pub struct Model {
    http: reqwest::Client,
    config: ModelConfig,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<String>,
    /// Absent or `null` when the model answers in words (compatible servers send either).
    #[serde(default)]
    tool_calls: Option<Vec<RequestedCall>>,
}

#[derive(Deserialize, serde::Serialize, Clone, Default)]
struct RequestedCall {
    /// Some local servers leave it out; one is made up so the tool's answer can refer to it.
    #[serde(default)]
    id: String,
    #[serde(rename = "type", default = "function_type")]
    kind: String,
    function: RequestedFunction,
}

fn function_type() -> String {
    "function".into()
}

fn arguments_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[derive(Deserialize, serde::Serialize, Clone, Default)]
struct RequestedFunction {
    name: String,
    /// A JSON object encoded as a string, per the wire protocol (some servers send the object itself).
    #[serde(default, deserialize_with = "arguments_text")]
    arguments: String,
}

impl Model {
    pub fn new(http: reqwest::Client, config: ModelConfig) -> Self {
        Model { http, config }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Runs one turn: `history` then `message`, acting through `tools`, at `now` on the user's
    /// clock. Returns the answer's text.
    pub async fn reply(
        &self,
        history: &[PastMessage],
        message: &str,
        tools: &mut TurnTools<'_>,
        now: DateTime<Tz>,
    ) -> Result<String, ModelError> {
        let mut messages = vec![json!({"role": "system", "content": system_prompt(now)})];
        messages.extend(
            history
                .iter()
                .filter(|t| t.role != Role::Tool)
                .map(|t| json!({"role": t.role.as_str(), "content": t.content})),
        );
        messages.push(json!({"role": "user", "content": message}));
        let tool_defs: Vec<Value> = tools::catalog()
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}))
            .collect();

        // Everything the model says across steps, as it was streamed: the turn's answer.
        let mut spoken = String::new();
        for step in 0..self.config.max_steps {
            // Streamed, so the answer reaches a streaming client as the model writes it; a server
            // that ignores `stream` and answers with one JSON object works too.
            let body = json!({"model": self.config.model, "messages": messages, "tools": tool_defs, "stream": true});
            let answer = self.complete(&body, tools).await?;
            if let Some(text) = &answer.content {
                spoken.push_str(text);
            }
            let mut requested = answer.tool_calls.unwrap_or_default();
            for (i, call) in requested.iter_mut().enumerate() {
                if call.id.is_empty() {
                    call.id = format!("call_{step}_{i}");
                }
            }
            if requested.is_empty() {
                return Ok(spoken.trim().to_owned());
            }
            messages.push(
                json!({"role": "assistant", "content": answer.content, "tool_calls": requested}),
            );
            for call in &requested {
                let raw = call.function.arguments.trim();
                let parsed = if raw.is_empty() {
                    Ok(json!({}))
                } else {
                    serde_json::from_str::<Value>(raw)
                };
                let content = match parsed {
                    Ok(args) => match tools.call(&call.function.name, args).await {
                        Ok(v) => v.to_string(),
                        Err(e) => json!({"error": e.to_string()}).to_string(),
                    },
                    Err(e) => {
                        let error = format!("arguments are not valid JSON: {e}");
                        tools.refused(&call.function.name, Value::String(raw.to_owned()), &error);
                        json!({ "error": error }).to_string()
                    }
                };
                messages.push(json!({"role": "tool", "tool_call_id": call.id, "content": content}));
            }
        }
        let text = "I took too many steps on that one and stopped. Could you ask in a simpler way?";
        tools.say(text);
        spoken.push_str(text);
        Ok(spoken.trim().to_owned())
    }

    /// One chat-completions exchange, retried with backoff on rate limits and server errors.
    async fn complete(
        &self,
        body: &Value,
        tools: &TurnTools<'_>,
    ) -> Result<AssistantMessage, ModelError> {
        let provider = self.config.provider;
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut attempt = 0;
        loop {
            let mut req = self.http.post(&url).timeout(self.config.timeout).json(body);
            if let Some(key) = &self.config.api_key {
                req = req.bearer_auth(key.expose_secret());
            }
            let outcome = req.send().await;
            let retry_after = match outcome {
                Ok(resp) if resp.status().is_success() && is_event_stream(&resp) => {
                    return read_stream(resp, tools)
                        .await
                        .map_err(|detail| ModelError::Malformed { provider, detail });
                }
                Ok(resp) if resp.status().is_success() => {
                    let completion: Completion =
                        resp.json().await.map_err(|e| ModelError::Malformed {
                            provider,
                            detail: e.to_string(),
                        })?;
                    let message = completion.choices.into_iter().next().map(|c| c.message);
                    let message = message.ok_or(ModelError::Malformed {
                        provider,
                        detail: "no choices".into(),
                    })?;
                    if let Some(text) = &message.content {
                        tools.say(text);
                    }
                    return Ok(message);
                }
                Ok(resp) => {
                    let status = resp.status();
                    let hint = retry_after(&resp);
                    let detail: String = resp.text().await.unwrap_or_default();
                    let retryable =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !retryable || attempt >= self.config.retries {
                        return Err(ModelError::Status {
                            provider,
                            status,
                            detail: detail.chars().take(300).collect(),
                        });
                    }
                    hint
                }
                Err(e) => {
                    if attempt >= self.config.retries {
                        return Err(ModelError::Unreachable {
                            provider,
                            detail: e.without_url().to_string(),
                        });
                    }
                    None
                }
            };
            let backoff = Duration::from_millis(250 << attempt.min(5));
            tokio::time::sleep(retry_after.unwrap_or(backoff)).await;
            attempt += 1;
        }
    }
}

fn is_event_stream(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// One `data:` chunk of a streamed completion.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<CallDelta>>,
}

/// A piece of a tool call: the first names it, later ones add to its arguments.
#[derive(Deserialize)]
struct CallDelta {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// Most tool calls one streamed step may assemble; a wilder index is a broken stream.
const MAX_STREAMED_CALLS: usize = 64;

/// Reads a streamed completion, passing its text on as it comes and assembling its tool calls.
async fn read_stream(
    resp: reqwest::Response,
    tools: &TurnTools<'_>,
) -> Result<AssistantMessage, String> {
    use futures_util::StreamExt;
    let mut content = String::new();
    let mut calls: Vec<RequestedCall> = Vec::new();
    let mut pending = Vec::<u8>::new();
    let mut body = resp.bytes_stream();
    while let Some(bytes) = body.next().await {
        pending.extend_from_slice(&bytes.map_err(|e| e.to_string())?);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let Some(data) = line.trim().strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                return Ok(assembled(content, calls));
            }
            let chunk: Chunk = serde_json::from_str(data).map_err(|e| e.to_string())?;
            for delta in chunk.choices.into_iter().map(|c| c.delta) {
                if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                    tools.say(&text);
                    content.push_str(&text);
                }
                for piece in delta.tool_calls.unwrap_or_default() {
                    if piece.index >= MAX_STREAMED_CALLS {
                        return Err(format!("tool call index {} out of range", piece.index));
                    }
                    if calls.len() <= piece.index {
                        calls.resize_with(piece.index + 1, RequestedCall::default);
                    }
                    let call = &mut calls[piece.index];
                    if let Some(id) = piece.id {
                        call.id = id;
                    }
                    if let Some(f) = piece.function {
                        call.function.name.push_str(&f.name.unwrap_or_default());
                        call.function
                            .arguments
                            .push_str(&f.arguments.unwrap_or_default());
                    }
                }
            }
        }
    }
    // Some servers end the stream without `[DONE]`.
    Ok(assembled(content, calls))
}

fn assembled(content: String, calls: Vec<RequestedCall>) -> AssistantMessage {
    let calls: Vec<RequestedCall> = calls
        .into_iter()
        .filter(|c| !c.function.name.is_empty())
        .map(|c| RequestedCall {
            kind: function_type(),
            ..c
        })
        .collect();
    AssistantMessage {
        content: (!content.is_empty()).then_some(content),
        tool_calls: (!calls.is_empty()).then_some(calls),
    }
}

/// Longest wait between retries, whatever the provider asks for.
const MAX_WAIT_SECS: f64 = 10.0;

/// A `Retry-After` given in seconds.
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs: f64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // Clamped before converting: a huge value would not fit a Duration.
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(MAX_WAIT_SECS)))
}

/// The standing instructions, with the user's clock: a model writing "tomorrow at 9" as an instant
/// needs the user's zone and offset, not the server's.
fn system_prompt(now: DateTime<Tz>) -> String {
    format!(
        "You are the assistant of a todo app. You manage the user's tasks only through the tools \
         given. Find a task's id with list_tasks before completing, updating or deleting it by name; \
         when several tasks match, ask which one. Confirm what you did in one or two friendly \
         sentences. The user's time zone is {zone}: it is {local} there now. Read and say dates \
         and times in that zone; write instants as RFC 3339 with its offset ({offset}), and a date \
         without a time as YYYY-MM-DD. Never ask for or use a user id: the tools always act for \
         the signed-in user.",
        zone = now.timezone(),
        local = now.format("%A %Y-%m-%d %H:%M"),
        offset = now.format("%:z"),
    )
}
