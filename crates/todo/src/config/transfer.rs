//! `todo export` and `todo import`: a user's data out of and into the database, without a server.

use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;

/// Where the data is and whose it is.
#[derive(Args, Debug, Clone)]
pub struct AccountArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://todo.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// The user: an email (or a user id).
    #[arg(long)]
    pub user: String,
    /// Open the SQLite database file even if other local users can read it.
    #[arg(long, env = "ALLOW_READABLE_DATABASE", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_readable_database: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Write the document to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Include the assistant conversations.
    #[arg(long)]
    pub conversations: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// An export document (.json), a Todoist CSV template or a plain CSV (.csv).
    pub file: PathBuf,
    /// Say what would be created, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// CSV only: the list (created when missing) for rows that name none; the Inbox by default.
    #[arg(long)]
    pub list: Option<String>,
}
