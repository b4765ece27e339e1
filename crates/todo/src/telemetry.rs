use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{ConfigError, LogArgs, LogFormat};

/// Installs the global logger: JSON lines unless a person is watching a terminal.
pub fn init(args: &LogArgs) -> Result<(), ConfigError> {
    // Accept the seeds' upper-case levels (`LOG_LEVEL=INFO`).
    let level = args.log_level.trim().to_lowercase();
    let filter = EnvFilter::try_new(&level).map_err(|e| {
        ConfigError(format!(
            "LOG_LEVEL is not a level or filter ({level:?}): {e}"
        ))
    })?;
    let json = match args.log_format {
        Some(f) => f == LogFormat::Json,
        None => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        builder.compact().init();
    }
    Ok(())
}
