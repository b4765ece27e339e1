//! Which model answers chat messages (`LLM_PROVIDER` and the providers' keys), and where the tools are.

use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;
use todo_assistant::ModelConfig;

use super::{http_url, non_empty, non_empty_secret, ConfigError};

/// Which model answers chat messages, and where the tools are.
#[derive(Args, Debug, Clone)]
pub struct AssistantArgs {
    /// `auto` picks a model when a key (or OPENAI_BASE_URL) is set, else the built-in assistant.
    #[arg(long, env = "LLM_PROVIDER", default_value = "auto")]
    pub llm_provider: Provider,
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<SecretString>,
    /// Any OpenAI-compatible API root, e.g. http://localhost:11434/v1 for Ollama.
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    #[arg(long, env = "OPENAI_MODEL", default_value = "gpt-4o-mini")]
    pub openai_model: String,
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<SecretString>,
    #[arg(long, env = "GEMINI_MODEL", default_value = "gemini-2.0-flash")]
    pub gemini_model: String,
    #[arg(long, env = "COHERE_API_KEY", hide_env_values = true)]
    pub cohere_api_key: Option<SecretString>,
    #[arg(long, env = "COHERE_MODEL", default_value = "command-a-03-2025")]
    pub cohere_model: String,
    /// Bound on one request to the model.
    #[arg(long, env = "LLM_TIMEOUT_SECONDS", default_value_t = 60)]
    pub llm_timeout_seconds: u64,
    /// Most model round trips in one chat turn.
    #[arg(long, env = "LLM_MAX_STEPS", default_value_t = 8)]
    pub llm_max_steps: usize,
    /// Where the agent reaches the MCP server (e.g. http://todo-mcp:8001); unset: tools in-process.
    #[arg(long, env = "MCP_SERVER_URL")]
    pub mcp_server_url: Option<String>,
    /// Extra comma-separated host names /mcp answers to (`*.example.com` and `*` allowed). Loopback,
    /// single-label Service names and `*.svc[.cluster.local]` are always accepted.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub mcp_allowed_hosts: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Auto,
    Openai,
    Gemini,
    Cohere,
    Builtin,
}

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const GEMINI_BASE: &str = "https://generativelanguage.googleapis.com/v1beta/openai";
const COHERE_BASE: &str = "https://api.cohere.ai/compatibility/v1";

impl AssistantArgs {
    /// The model to use, or `None` for the built-in assistant.
    pub(super) fn model(&self) -> Result<Option<ModelConfig>, ConfigError> {
        let openai_key = non_empty_secret(&self.openai_api_key);
        let openai_base = non_empty(&self.openai_base_url)
            .map(|u| http_url("OPENAI_BASE_URL", &u).map(String::from))
            .transpose()?;
        let gemini_key = non_empty_secret(&self.gemini_api_key);
        let cohere_key = non_empty_secret(&self.cohere_api_key);
        let provider = match self.llm_provider {
            Provider::Auto if openai_key.is_some() || openai_base.is_some() => Provider::Openai,
            Provider::Auto if gemini_key.is_some() => Provider::Gemini,
            Provider::Auto if cohere_key.is_some() => Provider::Cohere,
            Provider::Auto => Provider::Builtin,
            p => p,
        };
        let missing = |var: &str| {
            ConfigError(format!(
                "LLM_PROVIDER={} needs {var}",
                format!("{provider:?}").to_lowercase()
            ))
        };
        let (name, base_url, api_key, model) = match provider {
            Provider::Builtin | Provider::Auto => return Ok(None),
            Provider::Openai => {
                if openai_key.is_none() && openai_base.is_none() {
                    return Err(missing(
                        "OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)",
                    ));
                }
                let base = openai_base.unwrap_or_else(|| OPENAI_BASE.into());
                ("openai", base, openai_key, self.openai_model.clone())
            }
            Provider::Gemini => {
                let key = gemini_key.ok_or_else(|| missing("GEMINI_API_KEY"))?;
                (
                    "gemini",
                    GEMINI_BASE.into(),
                    Some(key),
                    self.gemini_model.clone(),
                )
            }
            Provider::Cohere => {
                let key = cohere_key.ok_or_else(|| missing("COHERE_API_KEY"))?;
                (
                    "cohere",
                    COHERE_BASE.into(),
                    Some(key),
                    self.cohere_model.clone(),
                )
            }
        };
        if self.llm_timeout_seconds == 0 || self.llm_max_steps == 0 {
            return Err(ConfigError(
                "LLM_TIMEOUT_SECONDS and LLM_MAX_STEPS must be at least 1".into(),
            ));
        }
        Ok(Some(ModelConfig {
            provider: name,
            base_url,
            api_key,
            model,
            timeout: Duration::from_secs(self.llm_timeout_seconds),
            max_steps: self.llm_max_steps,
            retries: 3,
        }))
    }

    /// The MCP endpoint of `MCP_SERVER_URL`: the seeds give the server's root, so `/mcp` is added.
    pub(super) fn mcp_endpoint(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = non_empty(&self.mcp_server_url) else {
            return Ok(None);
        };
        let mut url = http_url("MCP_SERVER_URL", &raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError(format!(
                "MCP_SERVER_URL must not carry a query or fragment: {raw:?}"
            )));
        }
        if !url.path().trim_end_matches('/').ends_with("/mcp") {
            let path = format!("{}/mcp", url.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        Ok(Some(url.into()))
    }
}
