//! The assistant's memory stored with its answers: written and read back on SQLite and PostgreSQL
//! (when there is one), and a migration that keeps the conversations a database already holds.

mod common;

use common::{databases, execute, migrate_before};
use todo_domain::Role;
use todo_storage::{NewMessage, Store, StoreOptions};

/// The migration that added `messages.memory`.
const MEMORY_MIGRATION: i64 = 20261201000006;

#[tokio::test]
async fn migrating_keeps_old_messages_and_stores_memory_with_new_answers() {
    let (_dir, urls) = databases().await;
    for url in urls {
        // A conversation as the release before the memory column wrote it.
        migrate_before(&url, MEMORY_MIGRATION).await;
        execute(
            &url,
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at) \
             VALUES (1, 'u1', 'Groceries', 1, 1);
             INSERT INTO messages (user_id, conversation_id, role, content, tool_calls, created_at) \
             VALUES ('u1', 1, 'user', 'add milk', NULL, 1), \
                    ('u1', 1, 'assistant', 'Added ''Milk'' (task 1).', '[]', 2);",
        )
        .await;
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        store.migrate().await.unwrap();

        let old = store.recent_messages("u1", 1, 10).await.unwrap();
        assert_eq!(old.len(), 2, "{url}");
        assert_eq!(old[1].content, "Added 'Milk' (task 1).", "{url}");
        assert_eq!(
            store.assistant_memory("u1", 1).await.unwrap(),
            None,
            "{url}"
        );

        let answer = |content, memory| NewMessage {
            role: Role::Assistant,
            content,
            tool_calls: None,
            memory,
        };
        let memory = r#"{"undo":[{"name":"delete_task","arguments":{"task_id":1}}]}"#;
        store
            .add_message("u1", 1, answer("Added 'Eggs' (task 2).", Some(memory)))
            .await
            .unwrap();
        let user = NewMessage {
            role: Role::User,
            content: "thanks",
            tool_calls: None,
            memory: None,
        };
        store.add_message("u1", 1, user).await.unwrap();
        // The newest answer's memory, whatever the user said since; never another user's.
        assert_eq!(
            store.assistant_memory("u1", 1).await.unwrap().as_deref(),
            Some(memory),
            "{url}"
        );
        assert_eq!(
            store.assistant_memory("u2", 1).await.unwrap(),
            None,
            "{url}"
        );
        store
            .add_message("u1", 1, answer("You're welcome!", None))
            .await
            .unwrap();
        assert_eq!(
            store.assistant_memory("u1", 1).await.unwrap(),
            None,
            "{url}"
        );
        store.close().await;
    }
}
