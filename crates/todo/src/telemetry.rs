use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{ConfigError, LogArgs, LogFormat};

/// Installs the global logger: JSON lines unless a person is watching a terminal; on standard error
/// when `to_stderr` (standard output then carries a protocol).
pub fn init(args: &LogArgs, to_stderr: bool) -> Result<(), ConfigError> {
    // Accept the seeds' upper-case levels (`LOG_LEVEL=INFO`).
    let level = args.log_level.trim().to_lowercase();
    let filter = EnvFilter::try_new(&level).map_err(|e| {
        ConfigError(format!(
            "LOG_LEVEL is not a level or filter ({level:?}): {e}"
        ))
    })?;
    let json = match args.log_format {
        Some(f) => f == LogFormat::Json,
        None if to_stderr => !std::io::stderr().is_terminal(),
        None => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match (json, to_stderr) {
        (true, false) => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        (true, true) => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .init(),
        (false, false) => builder.compact().init(),
        (false, true) => builder.compact().with_writer(std::io::stderr).init(),
    }
    Ok(())
}
