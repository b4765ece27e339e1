//! What one answer leaves for the next turn that its words cannot carry: the tool calls that reverse
//! its last change ("undo"), the request that made that change ("sorry, I meant the rent one"), and
//! a bulk request waiting for "yes". The caller stores it with the answer (JSON text) and hands it
//! back with the next message, so any replica serves any turn. Everything else the conversation
//! knows (the tasks listed, the task just talked about, a pending "which one?") is read back from the
//! answers' own wording, in [`crate::history`].

use serde_json::{json, Value};

/// One tool call to make later.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub name: String,
    pub arguments: Value,
}

/// A request held until the user says yes: the message, and the tasks it was counted on, so a
/// "yes" acts on exactly the tasks the question named.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub request: String,
    pub ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Memory {
    /// Reverses the last change, in order; empty when there is nothing to undo.
    pub undo: Vec<Op>,
    /// The message that made the last change.
    pub request: Option<String>,
    /// Asked "… Say yes to confirm." about this request in the last answer.
    pub confirm: Option<Confirm>,
}

impl Memory {
    /// Reads a stored memory; anything unreadable (or written by an older version) is no memory.
    pub fn read(text: Option<&str>) -> Memory {
        let Some(v) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
            return Memory::default();
        };
        let ids = |v: &Value| -> Vec<i64> {
            v.as_array()
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default()
        };
        Memory {
            undo: v["undo"]
                .as_array()
                .map(|ops| {
                    ops.iter()
                        .filter_map(|op| {
                            Some(Op {
                                name: op["name"].as_str()?.to_owned(),
                                arguments: op["arguments"].clone(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            request: v["request"].as_str().map(str::to_owned),
            confirm: v["confirm"]["request"].as_str().map(|r| Confirm {
                request: r.to_owned(),
                ids: ids(&v["confirm"]["ids"]),
            }),
        }
    }

    pub fn write(&self) -> String {
        let undo: Vec<Value> = self
            .undo
            .iter()
            .map(|op| json!({"name": op.name, "arguments": op.arguments}))
            .collect();
        json!({
            "undo": undo,
            "request": self.request,
            "confirm": self.confirm.as_ref().map(|c| json!({"request": c.request, "ids": c.ids})),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let m = Memory {
            undo: vec![Op {
                name: "delete_task".into(),
                arguments: json!({"task_id": 4}),
            }],
            request: Some("add milk".into()),
            confirm: Some(Confirm {
                request: "mark them all done".into(),
                ids: vec![1, 2],
            }),
        };
        assert_eq!(Memory::read(Some(&m.write())), m);
        assert_eq!(Memory::read(Some("not json")), Memory::default());
        assert_eq!(Memory::read(None), Memory::default());
    }
}
