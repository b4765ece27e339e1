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

/// Every task of `user`, subtasks included.
pub async fn tasks_of(store: &Store, user: &str) -> Vec<Value> {
    let v = tools::run(
        store,
        user,
        tools::LIST_TASKS,
        json!({"status": "all", "limit": 200, "include_subtasks": true}),
    )
    .await
    .unwrap();
    v.as_array().unwrap().clone()
}

/// Creates `names` as lists of `user`, in order, for setup tasks to name.
#[allow(dead_code, reason = "the corpora use it, not every test binary")]
pub async fn create_lists(store: &Store, user: &str, names: &[String]) {
    for name in names {
        tools::run(store, user, tools::CREATE_LIST, json!({"name": name}))
            .await
            .unwrap_or_else(|e| panic!("setup list {name}: {e}"));
    }
}
