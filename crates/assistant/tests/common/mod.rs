//! What the assistant's tests share: a real store on a fresh SQLite file, and a user's tasks as the
//! list tool returns them.

use serde_json::{json, Value};
use tempfile::TempDir;
use todo_assistant::tools;
use todo_storage::{Store, StoreOptions};

pub const USER: &str = "corpus-user";
pub const OTHER: &str = "someone-else";

/// A migrated store on a new database file; the database lives as long as the returned directory.
pub async fn fresh_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("todo.db").display());
    let store = Store::open(&url, &StoreOptions::default()).unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

pub async fn tasks_of(store: &Store, user: &str) -> Vec<Value> {
    let v = tools::run(
        store,
        user,
        tools::LIST_TASKS,
        json!({"status": "all", "limit": 200}),
    )
    .await
    .unwrap();
    v.as_array().unwrap().clone()
}
