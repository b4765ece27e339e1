//! `todo export` and `todo import`: the API's export and import, run on the database directly.

use std::path::Path;

use todo_storage::{Schema, Store, StoreOptions};

use crate::config::{AccountArgs, ConfigError, ExportArgs, ImportArgs};
use crate::server::{local_user, open_store};

/// The store and the user's id; the schema must be current (`todo migrate` first).
async fn open(account: &AccountArgs) -> Result<(Store, String), ConfigError> {
    let options = StoreOptions {
        allow_readable_file: account.allow_readable_database,
        ..Default::default()
    };
    let store = open_store(&account.database_url, &options)?;
    match store.schema().await {
        Ok(Schema::Current) => {}
        Ok(Schema::Behind { .. }) => {
            return Err(ConfigError(
                "the database schema is behind this release: run `todo migrate` first".into(),
            ))
        }
        Err(e) => return Err(ConfigError(format!("DATABASE_URL: {e}"))),
    }
    let user = local_user(&store, &account.user, "--user").await?;
    Ok((store, user))
}

/// An API error as one line: its message and each field's.
fn failed(e: todo_api::ApiError) -> ConfigError {
    let fields: Vec<String> = e.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    match fields.is_empty() {
        true => ConfigError(e.message),
        false => ConfigError(format!("{} ({})", e.message, fields.join("; "))),
    }
}

pub async fn export(args: ExportArgs) -> Result<(), ConfigError> {
    let (store, user) = open(&args.account).await?;
    let doc = todo_api::export_document(&store, &user, args.conversations).await;
    store.close().await;
    let mut json = serde_json::to_string_pretty(&doc.map_err(failed)?)
        .map_err(|e| ConfigError(format!("cannot write the document: {e}")))?;
    json.push('\n');
    match &args.output {
        Some(path) => std::fs::write(path, json)
            .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display()))),
        None => {
            print!("{json}");
            Ok(())
        }
    }
}

pub async fn import(args: ImportArgs) -> Result<(), ConfigError> {
    let file = std::fs::read(&args.file)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", args.file.display())))?;
    let (store, user) = open(&args.account).await?;
    let summary = todo_api::import_file(
        &store,
        &user,
        &file,
        content_type(&args.file),
        args.list,
        args.dry_run,
    )
    .await;
    store.close().await;
    let summary = summary.map_err(failed)?;
    let lists: Vec<String> = summary
        .lists
        .iter()
        .map(|l| {
            let new = if l.new { ", new" } else { "" };
            format!("{} ({}{new})", l.name, l.tasks)
        })
        .collect();
    let verb = if summary.dry_run {
        "Would import"
    } else {
        "Imported"
    };
    let mut of_them = count(summary.subtasks, "subtask");
    if summary.reminders > 0 {
        of_them = format!("{of_them}, {}", count(summary.reminders, "reminder"));
    }
    println!(
        "{verb} {} ({of_them}) into {}",
        count(summary.tasks, "task"),
        lists.join(", ")
    );
    Ok(())
}

/// "1 task", "2 tasks".
fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// The content type a file's extension says; otherwise the content decides.
fn content_type(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "json" => Some("application/json"),
        "csv" => Some("text/csv"),
        _ => None,
    }
}
