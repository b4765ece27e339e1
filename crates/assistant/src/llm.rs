//! The agent loop over any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LM Studio,
//! and Gemini's and Cohere's compatibility endpoints): the model picks tools, we run them through the
//! turn's tools and feed the results back, until it answers in words or runs out of steps.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::tools;
use crate::turn::{Turn, TurnTools};
use crate::Role;

/// How to reach a model.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// `openai`, `gemini` or `cohere`: for logs and messages.
    pub provider: &'static str,
    /// The API root that `/chat/completions` is appended to.
    pub base_url: String,
    pub api_key: Option<String>,
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
    #[serde(default)]
    tool_calls: Vec<RequestedCall>,
}

#[derive(Deserialize, serde::Serialize, Clone)]
struct RequestedCall {
    id: String,
    #[serde(rename = "type", default = "function_type")]
    kind: String,
    function: RequestedFunction,
}

fn function_type() -> String {
    "function".into()
}

#[derive(Deserialize, serde::Serialize, Clone)]
struct RequestedFunction {
    name: String,
    /// A JSON object encoded as a string, per the wire protocol.
    #[serde(default)]
    arguments: String,
}

impl Model {
    pub fn new(http: reqwest::Client, config: ModelConfig) -> Self {
        Model { http, config }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Runs one turn: `history` then `message`, acting through `tools`. Returns the answer's text.
    pub async fn reply(
        &self,
        history: &[Turn],
        message: &str,
        tools: &mut TurnTools<'_>,
    ) -> Result<String, ModelError> {
        let mut messages = vec![json!({"role": "system", "content": system_prompt()})];
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

        for _ in 0..self.config.max_steps {
            let body =
                json!({"model": self.config.model, "messages": messages, "tools": tool_defs});
            let answer = self.complete(&body).await?;
            if answer.tool_calls.is_empty() {
                let text = answer.content.unwrap_or_default().trim().to_owned();
                tools.say(&text);
                return Ok(text);
            }
            messages.push(json!({"role": "assistant", "content": answer.content, "tool_calls": answer.tool_calls}));
            for call in &answer.tool_calls {
                let content = match serde_json::from_str::<Value>(call.function.arguments.trim()) {
                    Ok(args) => match tools.call(&call.function.name, args).await {
                        Ok(v) => v.to_string(),
                        Err(e) => json!({"error": e.to_string()}).to_string(),
                    },
                    Err(e) => {
                        json!({"error": format!("arguments are not valid JSON: {e}")}).to_string()
                    }
                };
                messages.push(json!({"role": "tool", "tool_call_id": call.id, "content": content}));
            }
        }
        let text = "I took too many steps on that one and stopped. Could you ask in a simpler way?";
        tools.say(text);
        Ok(text.to_owned())
    }

    /// One chat-completions exchange, retried with backoff on rate limits and server errors.
    async fn complete(&self, body: &Value) -> Result<AssistantMessage, ModelError> {
        let provider = self.config.provider;
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut attempt = 0;
        loop {
            let mut req = self.http.post(&url).timeout(self.config.timeout).json(body);
            if let Some(key) = &self.config.api_key {
                req = req.bearer_auth(key);
            }
            let outcome = req.send().await;
            let retry_after = match outcome {
                Ok(resp) if resp.status().is_success() => {
                    let completion: Completion =
                        resp.json().await.map_err(|e| ModelError::Malformed {
                            provider,
                            detail: e.to_string(),
                        })?;
                    return completion
                        .choices
                        .into_iter()
                        .next()
                        .map(|c| c.message)
                        .ok_or(ModelError::Malformed {
                            provider,
                            detail: "no choices".into(),
                        });
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
            tokio::time::sleep(retry_after.unwrap_or(backoff).min(Duration::from_secs(10))).await;
            attempt += 1;
        }
    }
}

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
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn system_prompt() -> String {
    format!(
        "You are the assistant of a todo app. You manage the user's tasks only through the tools \
         given. Find a task's id with list_tasks before completing, updating or deleting it by name; \
         when several tasks match, ask which one. Confirm what you did in one or two friendly \
         sentences. Dates are UTC; today is {}. Never ask for or use a user id: the tools always act \
         for the signed-in user.",
        Utc::now().format("%A %Y-%m-%d")
    )
}
