//! Lists (projects): every task belongs to one; each user has an Inbox that cannot be deleted.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{check_line, ValidationError};

pub const MAX_LIST_NAME_CHARS: usize = 100;
/// Positions run from -this to this: room for any ordering, and a new list's "after the last" never overflows.
pub const MAX_LIST_POSITION: i64 = 1_000_000_000;
/// The name of the list every user starts with.
pub const INBOX: &str = "Inbox";

/// The fixed palette lists are coloured from (the web app maps each to a theme-aware colour).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    #[default]
    Grey,
    Red,
    Orange,
    Yellow,
    Green,
    Teal,
    Blue,
    Purple,
    Pink,
}

impl Colour {
    pub const ALL: [Colour; 9] = [
        Colour::Grey,
        Colour::Red,
        Colour::Orange,
        Colour::Yellow,
        Colour::Green,
        Colour::Teal,
        Colour::Blue,
        Colour::Purple,
        Colour::Pink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Grey => "grey",
            Colour::Red => "red",
            Colour::Orange => "orange",
            Colour::Yellow => "yellow",
            Colour::Green => "green",
            Colour::Teal => "teal",
            Colour::Blue => "blue",
            Colour::Purple => "purple",
            Colour::Pink => "pink",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A list as stored and returned by the API, with its task counts. Its JSON Schema (the MCP tools'
/// output schema) leaves out the position and times, which are in the data, to keep `tools/list` small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct TaskList {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "Groceries")]
    pub name: String,
    pub colour: Colour,
    /// User-defined order: lists are shown by ascending position.
    #[schemars(skip)]
    pub position: i64,
    pub archived: bool,
    /// The user's default list: it cannot be deleted or archived.
    pub inbox: bool,
    /// Tasks not yet completed, subtasks included.
    pub open_tasks: i64,
    pub total_tasks: i64,
    #[schemars(skip)]
    pub created_at: DateTime<Utc>,
    #[schemars(skip)]
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/{user_id}/lists`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateList {
    /// 1–100 characters on one line, unique among the user's lists ignoring case.
    #[schema(example = "Groceries", min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    pub colour: Option<Colour>,
    /// Where it goes (-1,000,000,000 to 1,000,000,000); after the others when left out.
    #[serde(default)]
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub position: Option<i64>,
}

/// Body of `PUT /api/{user_id}/lists/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateList {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default)]
    pub colour: Option<Colour>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// A validated new list.
#[derive(Debug, Clone, PartialEq)]
pub struct NewList {
    pub name: String,
    pub colour: Colour,
    pub position: Option<i64>,
}

/// A validated change to a list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPatch {
    pub name: Option<String>,
    pub colour: Option<Colour>,
    pub position: Option<i64>,
    pub archived: Option<bool>,
}

/// The key list names are unique by: Unicode lower case.
pub fn list_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn check_position(position: Option<i64>, errors: &mut ValidationError) -> Option<i64> {
    if position.is_some_and(|p| p.abs() > MAX_LIST_POSITION) {
        errors.add(
            "position",
            format!("must be from -{MAX_LIST_POSITION} to {MAX_LIST_POSITION}"),
        );
    }
    position
}

impl CreateList {
    pub fn validate(self) -> Result<NewList, ValidationError> {
        let mut errors = ValidationError::default();
        let list = NewList {
            name: check_line("name", &self.name, MAX_LIST_NAME_CHARS, &mut errors),
            colour: self.colour.unwrap_or_default(),
            position: check_position(self.position, &mut errors),
        };
        errors.into_result(list)
    }
}

impl UpdateList {
    pub fn validate(self) -> Result<ListPatch, ValidationError> {
        let mut errors = ValidationError::default();
        let patch = ListPatch {
            name: self
                .name
                .as_deref()
                .map(|n| check_line("name", n, MAX_LIST_NAME_CHARS, &mut errors)),
            colour: self.colour,
            position: check_position(self.position, &mut errors),
            archived: self.archived,
        };
        if patch == ListPatch::default() {
            errors.add("body", "give at least one field to change");
        }
        errors.into_result(patch)
    }
}

/// What to do with a list's tasks when it is deleted (`?tasks=`): there is no default, so nobody loses
/// tasks by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TasksOnDelete {
    /// Move them to the Inbox.
    Move,
    /// Delete them with the list.
    Delete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_keyed_ignoring_case() {
        let l: CreateList = serde_json::from_value(serde_json::json!({"name": "  Work "})).unwrap();
        let l = l.validate().unwrap();
        assert_eq!((l.name.as_str(), l.colour), ("Work", Colour::Grey));
        assert_eq!(list_name_key("WÖRK"), list_name_key("wörk"));
        for bad in ["", " ", "a\nb", &"x".repeat(101)] {
            let l = CreateList {
                name: bad.into(),
                colour: None,
                position: None,
            };
            assert!(
                l.validate().unwrap_err().fields.contains_key("name"),
                "{bad:?}"
            );
        }
        assert!(UpdateList::default()
            .validate()
            .unwrap_err()
            .fields
            .contains_key("body"));
        assert!(serde_json::from_value::<CreateList>(
            serde_json::json!({"name": "a", "colour": "mauve"})
        )
        .is_err());
        // A position past the range would overflow "after the last" for the next list.
        let far = CreateList {
            name: "a".into(),
            colour: None,
            position: Some(i64::MAX),
        };
        assert!(far.validate().unwrap_err().fields.contains_key("position"));
    }
}
