use std::process::ExitCode;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};
use todo::config::{Cli, Command, ConfigError, ServerConfig};
use todo::server::{
    migrate_with_retry, open_store, serve_stdio, shutdown_signal, Frontend, Server,
};

fn main() -> ExitCode {
    // A `.env` file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    // Over stdio, standard output carries the protocol (or the exported document): logs go to standard error.
    let stdio = matches!(&cli.command, Some(Command::Mcp(m)) if m.stdio)
        || matches!(&cli.command, Some(Command::Export(_) | Command::Import(_)));
    if let Err(e) = todo::telemetry::init(&cli.log, stdio) {
        return fail(e);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(ConfigError(format!("cannot start the async runtime: {e}"))),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => run_server(cli.serve.into_config()?).await,
            Some(Command::Serve(args)) => run_server(args.into_config()?).await,
            Some(Command::Backend(args)) => run_server(args.into_config()?).await,
            Some(Command::Frontend(args)) => {
                Frontend::bind(args.into_config()?)
                    .await?
                    .serve(shutdown_signal())
                    .await
            }
            Some(Command::Mcp(args)) if args.stdio => serve_stdio(args).await,
            Some(Command::Mcp(args)) => run_server(args.into_config()?).await,
            Some(Command::Migrate(args)) => {
                let options = todo_storage::StoreOptions {
                    allow_readable_file: args.allow_readable_database,
                    ..Default::default()
                };
                let store = open_store(&args.database_url, &options)?;
                migrate_with_retry(&store, Some(Duration::from_secs(args.wait_seconds)))
                    .await
                    .map_err(|e| ConfigError(format!("migration failed: {e}")))?;
                store.close().await;
                tracing::info!("database schema is current");
                Ok(())
            }
            Some(Command::Export(args)) => todo::transfer::export(args).await,
            Some(Command::Import(args)) => todo::transfer::import(args).await,
            Some(Command::Healthcheck { url }) => healthcheck(&url).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn run_server(config: ServerConfig) -> Result<(), ConfigError> {
    let server = Server::bind(config).await?;
    server
        .serve(shutdown_signal())
        .await
        .map_err(|e| ConfigError(format!("server error: {e}")))
}

async fn healthcheck(url: &str) -> Result<(), ConfigError> {
    todo::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| ConfigError(format!("healthcheck: {e}")))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| ConfigError(format!("healthcheck {url}: {e}")))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "healthcheck {url}: HTTP {}",
            response.status()
        )))
    }
}

/// One line on stderr, no backtrace.
fn fail(e: ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// Help and version print as usual; a bad flag or environment value becomes one line naming it.
fn clap_error(e: clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => a.clone(),
        _ => String::new(),
    };
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) => format!(" {v:?}"),
        _ => String::new(),
    };
    let first_line = e
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    if arg.is_empty() {
        eprintln!("error: {first_line}");
    } else {
        // Operators mostly set variables, not flags: name both.
        let flag = arg.split_whitespace().next().unwrap_or_default();
        let env = env_of(flag).map_or_else(String::new, |env| format!(" (env {env})"));
        let why = match e.get(ContextKind::ValidValue) {
            Some(ContextValue::Strings(valid)) => format!("expected one of {}", valid.join(", ")),
            _ => first_line
                .rsplit(": ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        eprintln!("error: invalid value{value} for {flag}{env}: {why}");
    }
    ExitCode::from(2)
}

/// The variable that `flag` also reads in the role being started, from the command line's own
/// definition: it is not always the flag's name (`todo mcp --port` reads `MCP_SERVER_PORT`).
fn env_of(flag: &str) -> Option<String> {
    let cli = Cli::command();
    // The first argument naming a role (a flag's value may come before it).
    let role = std::env::args()
        .skip(1)
        .find_map(|a| cli.find_subcommand(&a).cloned());
    let long = flag.trim_start_matches("--");
    // The role's own arguments first, then the global ones (`--log-format`…).
    let env = role
        .iter()
        .chain([&cli])
        .flat_map(|c| c.get_arguments())
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned());
    env
}
