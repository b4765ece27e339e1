//! Every change a turn makes, and the tool calls that reverse it: what "undo" runs on a later turn.

use serde_json::{json, Map, Value};
use todo_domain::{
    Task, ADD_TASK, COMPLETE_TASK, DELETE_TASK, LIST_LISTS, LIST_TASKS, UPDATE_TASK,
};

use crate::memory::Op;
use crate::{ToolFailure, Tools};

/// The turn's tools, noting each change made through them.
pub(super) struct Recorder<'t, T> {
    inner: &'t mut T,
    /// Reverses this turn's changes, newest first.
    pub undo: Vec<Op>,
    pub changed: bool,
    /// False once a change was made that cannot be reversed (its task could not be read first).
    pub reversible: bool,
}

impl<'t, T: Tools + Send> Recorder<'t, T> {
    pub fn new(inner: &'t mut T) -> Self {
        Recorder {
            inner,
            undo: Vec::new(),
            changed: false,
            reversible: true,
        }
    }
}

impl<T: Tools + Send> Tools for Recorder<'_, T> {
    async fn call(&mut self, name: &str, arguments: Value) -> Result<Value, ToolFailure> {
        let target = arguments["task_id"].as_i64();
        let before = match (name, target) {
            (UPDATE_TASK | DELETE_TASK, Some(id)) => self.inner.peek(id).await,
            _ => None,
        };
        let out = self.inner.call(name, arguments.clone()).await;
        if let Ok(result) = &out {
            if name != LIST_TASKS && name != LIST_LISTS {
                self.changed = true;
                match reverse(name, &arguments, result, before) {
                    Some(op) => self.undo.insert(0, op),
                    None => self.reversible = false,
                }
            }
        }
        out
    }

    async fn peek(&mut self, id: i64) -> Option<Task> {
        self.inner.peek(id).await
    }
}

/// The call that puts things back as they were before `name(arguments)` answered `result`.
fn reverse(name: &str, arguments: &Value, result: &Value, before: Option<Task>) -> Option<Op> {
    let op = |name: &str, arguments: Value| {
        Some(Op {
            name: name.to_owned(),
            arguments,
        })
    };
    let id = arguments["task_id"].as_i64();
    match name {
        ADD_TASK => op(DELETE_TASK, json!({"task_id": result["task_id"].as_i64()?})),
        COMPLETE_TASK => op(UPDATE_TASK, json!({"task_id": id?, "completed": false})),
        UPDATE_TASK => {
            let old = serde_json::to_value(before?).ok()?;
            let mut args = Map::new();
            args.insert("task_id".into(), json!(id?));
            for key in arguments.as_object()?.keys().filter(|k| *k != "task_id") {
                // A task names its list by id, which `list` takes as well as a name.
                let field = if key == "list" {
                    "list_id"
                } else {
                    key.as_str()
                };
                args.insert(key.clone(), old[field].clone());
            }
            op(UPDATE_TASK, Value::Object(args))
        }
        DELETE_TASK => {
            let old = serde_json::to_value(before?).ok()?;
            let mut args = Map::new();
            for key in [
                "title",
                "description",
                "completed",
                "priority",
                "tags",
                "due_at",
                "recurrence",
            ] {
                if !old[key].is_null() {
                    args.insert(key.into(), old[key].clone());
                }
            }
            args.insert("list".into(), old["list_id"].clone());
            // Its reminders as they were: none stays none, not the user's default.
            args.insert("reminders".into(), old["reminders"].clone());
            op(ADD_TASK, Value::Object(args))
        }
        _ => None,
    }
}
