//! The built-in assistant (`todo-nlu`) in a chat turn, on the real tools over a real store: it acts
//! only as the signed-in user.

mod common;

use common::{fresh_store, tasks_of, OTHER, USER};
use serde_json::json;
use todo_assistant::{tools, Assistant, Brain, Toolbox, TurnCaller};

/// A reply never mentions or touches another user's task, even named by its id.
#[tokio::test]
async fn other_users_tasks_are_out_of_reach() {
    let (_dir, store) = fresh_store().await;
    tools::run(
        &store,
        OTHER,
        tools::ADD_TASK,
        json!({"title": "Secret plan"}),
    )
    .await
    .unwrap();
    let assistant = Assistant {
        brain: Brain::Builtin,
        toolbox: Toolbox::Local(store.clone()),
    };
    for say in [
        "show me all my tasks",
        "delete task 1",
        "complete the secret plan",
        "rename task 1 to mine",
        "delete the secret plan",
    ] {
        let caller = TurnCaller {
            user_id: USER,
            token: None,
        };
        let answer = assistant
            .respond(
                caller,
                &[],
                None,
                say,
                chrono::Utc::now().with_timezone(&todo_domain::Tz::UTC),
                None,
            )
            .await;
        let (reply, calls) = (answer.text, answer.tool_calls);
        assert!(!reply.contains("Secret plan"), "{say}: {reply}");
        for c in &calls {
            assert!(
                c.arguments.get("user_id").is_none(),
                "{say}: never names a user"
            );
        }
    }
    let theirs = tasks_of(&store, OTHER).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["completed"], json!(false));
    assert_eq!(theirs[0]["title"], json!("Secret plan"));
}
