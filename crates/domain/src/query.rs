use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::task::{normalize_tag, title_key, Priority, Task};
use crate::validation::{parse_due, ValidationError};

pub const MAX_LIMIT: u32 = 200;
const DEFAULT_LIMIT: u32 = 50;
/// Longest search text (`q`).
pub const MAX_QUERY_CHARS: usize = 200;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    All,
    Pending,
    Completed,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Status::All),
            "pending" => Some(Status::Pending),
            "completed" => Some(Status::Completed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Created,
    Updated,
    Due,
    Priority,
    Title,
}

impl SortKey {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(SortKey::Created),
            "updated" => Some(SortKey::Updated),
            "due" => Some(SortKey::Due),
            "priority" => Some(SortKey::Priority),
            "title" => Some(SortKey::Title),
            _ => None,
        }
    }

    /// Newest, most important first; due dates and titles read naturally ascending.
    fn default_order(self) -> Order {
        match self {
            SortKey::Created | SortKey::Updated | SortKey::Priority => Order::Desc,
            SortKey::Due | SortKey::Title => Order::Asc,
        }
    }

    /// The value of this key for `task`, as the storage layer compares it. Undated tasks sort as if due
    /// at the end of time so they come last in ascending order; titles compare case-insensitively.
    pub fn value_of(self, task: &Task) -> SortValue {
        match self {
            SortKey::Created => SortValue::Int(task.created_at.timestamp_millis()),
            SortKey::Updated => SortValue::Int(task.updated_at.timestamp_millis()),
            SortKey::Due => SortValue::Int(task.due_at.map_or(i64::MAX, |d| d.timestamp_millis())),
            SortKey::Priority => SortValue::Int(task.priority.rank().into()),
            SortKey::Title => SortValue::Text(title_key(&task.title)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// Where the previous page ended: the last task's sort value and id (ids break ties), and the sort it
/// belongs to, so a cursor cannot be replayed against a different ordering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: SortKey,
    #[serde(rename = "o")]
    pub order: Order,
    #[serde(rename = "v")]
    pub value: SortValue,
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    pub fn after(task: &Task, sort: SortKey, order: Order) -> Self {
        Cursor {
            sort,
            order,
            value: sort.value_of(task),
            id: task.id,
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serialises"))
    }

    /// Whether the value has the type (and, for priorities, the range) its sort compares.
    fn fits_sort(&self) -> bool {
        match (self.sort, &self.value) {
            (SortKey::Title, SortValue::Text(_)) => true,
            (SortKey::Priority, SortValue::Int(v)) => (1..=3).contains(v),
            (SortKey::Created | SortKey::Updated | SortKey::Due, SortValue::Int(_)) => true,
            _ => false,
        }
    }

    /// Cursors travel through clients unsigned, so a decoded one is checked like any other input.
    pub fn decode(s: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
        let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
        match &cursor.value {
            SortValue::Text(t) if t.chars().any(char::is_control) || t.len() > 4 * 200 => None,
            _ => Some(cursor),
        }
    }
}

/// Query string of `GET /api/{user_id}/tasks`, as sent; [`ListQuery::parse`] validates it.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawListQuery {
    /// `all` (default), `pending` or `completed`.
    #[param(value_type = Option<Status>, inline)]
    pub status: Option<String>,
    /// Case-insensitive text to find in the title or description.
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// `low`, `medium` or `high`.
    #[param(value_type = Option<Priority>, inline)]
    pub priority: Option<String>,
    /// Only tasks carrying this tag.
    #[param(pattern = r"^#?[A-Za-z0-9_-]{1,32}$")]
    pub tag: Option<String>,
    /// Only tasks due before this instant (RFC 3339 or `YYYY-MM-DD`).
    #[param(format = DateTime)]
    pub due_before: Option<String>,
    /// `created` (default), `updated`, `due`, `priority` or `title`.
    #[param(value_type = Option<SortKey>, inline)]
    pub sort: Option<String>,
    /// `asc` or `desc`; defaults to `desc` for created/updated/priority and `asc` for due/title.
    #[param(value_type = Option<Order>, inline)]
    pub order: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `X-Next-Cursor` value of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Only tasks in this list (its id).
    #[param(value_type = Option<i64>)]
    pub list: Option<String>,
    /// Only the subtree under this task (its subtasks, theirs, …), each with its `parent_id`.
    #[param(value_type = Option<i64>)]
    pub parent: Option<String>,
    /// `subtasks`: subtasks too, each with its `parent_id`; by default only top-level tasks are listed.
    #[param(pattern = r"^subtasks$")]
    pub include: Option<String>,
}

/// Which levels of the task trees a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Levels {
    /// Top-level tasks only (their subtasks are counted on each task).
    #[default]
    TopLevel,
    /// Every task, subtasks included.
    All,
    /// The subtree under one task, without that task.
    Under(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub status: Status,
    pub search: Option<String>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    pub due_before: Option<DateTime<Utc>>,
    pub sort: SortKey,
    pub order: Order,
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub list: Option<i64>,
    pub levels: Levels,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            status: Status::All,
            search: None,
            priority: None,
            tag: None,
            due_before: None,
            sort: SortKey::Created,
            order: Order::Desc,
            limit: DEFAULT_LIMIT,
            cursor: None,
            list: None,
            levels: Levels::TopLevel,
        }
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub fn parse(raw: &RawListQuery) -> Result<Self, ValidationError> {
        let mut e = ValidationError::default();
        let mut q = ListQuery::default();
        if let Some(s) = non_empty(&raw.status) {
            q.status = Status::parse(s).unwrap_or_else(|| {
                e.add("status", "must be one of all, pending, completed");
                Status::All
            });
        }
        if let Some(s) = non_empty(&raw.q) {
            if s.chars().count() > MAX_QUERY_CHARS {
                e.add("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
            } else if s.chars().any(char::is_control) {
                e.add("q", "must not contain control characters");
            }
            q.search = Some(s.to_lowercase());
        }
        if let Some(s) = non_empty(&raw.priority) {
            q.priority = Priority::parse(s);
            if q.priority.is_none() {
                e.add("priority", "must be one of low, medium, high");
            }
        }
        if let Some(s) = non_empty(&raw.tag) {
            q.tag = normalize_tag(s);
            if q.tag.is_none() {
                e.add("tag", "must be a tag: letters, digits, '-' or '_'");
            }
        }
        if let Some(s) = non_empty(&raw.due_before) {
            q.due_before = parse_due(s).map_err(|m| e.add("due_before", m)).ok();
        }
        if let Some(s) = non_empty(&raw.sort) {
            q.sort = SortKey::parse(s).unwrap_or_else(|| {
                e.add(
                    "sort",
                    "must be one of created, updated, due, priority, title",
                );
                SortKey::Created
            });
        }
        q.order = match non_empty(&raw.order) {
            None => q.sort.default_order(),
            Some("asc") => Order::Asc,
            Some("desc") => Order::Desc,
            Some(_) => {
                e.add("order", "must be asc or desc");
                Order::Desc
            }
        };
        if let Some(s) = non_empty(&raw.limit) {
            match s.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => q.limit = n,
                _ => e.add("limit", format!("must be an integer from 1 to {MAX_LIMIT}")),
            }
        }
        if let Some(s) = non_empty(&raw.cursor) {
            match Cursor::decode(s) {
                Some(c) if c.sort == q.sort && c.order == q.order && c.fits_sort() => {
                    q.cursor = Some(c)
                }
                Some(_) => e.add("cursor", "belongs to a different sort or order"),
                None => e.add("cursor", "is not a cursor this server issued"),
            }
        }
        let id = |e: &mut ValidationError, name: &str, v: &Option<String>| {
            let s = non_empty(v)?;
            s.parse::<i64>()
                .map_err(|_| e.add(name, format!("must be an integer {name} id")))
                .ok()
        };
        q.list = id(&mut e, "list", &raw.list);
        match (id(&mut e, "parent", &raw.parent), non_empty(&raw.include)) {
            (Some(p), _) => q.levels = Levels::Under(p),
            (None, Some("subtasks")) => q.levels = Levels::All,
            (None, Some(_)) => e.add("include", "must be subtasks"),
            (None, None) => {}
        }
        e.into_result(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawListQuery {
        let qs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        serde_json::from_value(serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect(),
        ))
        .unwrap_or_else(|_| panic!("{qs:?}"))
    }

    #[test]
    fn defaults_and_per_sort_order() {
        let q = ListQuery::parse(&RawListQuery::default()).unwrap();
        assert_eq!(
            (q.sort, q.order, q.limit),
            (SortKey::Created, Order::Desc, 50)
        );
        let q = ListQuery::parse(&raw(&[("sort", "due")])).unwrap();
        assert_eq!(q.order, Order::Asc);
    }

    #[test]
    fn names_every_bad_field() {
        let e = ListQuery::parse(&raw(&[
            ("status", "done"),
            ("priority", "urgent"),
            ("limit", "201"),
            ("sort", "size"),
            ("order", "up"),
            ("cursor", "zzz"),
            ("due_before", "later"),
            ("tag", "a b"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = e.fields.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "cursor",
                "due_before",
                "limit",
                "order",
                "priority",
                "sort",
                "status",
                "tag"
            ]
        );
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() {
        let c = Cursor {
            sort: SortKey::Title,
            order: Order::Asc,
            value: SortValue::Text("milk".into()),
            id: 7,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let e = ListQuery::parse(&raw(&[("cursor", &c.encode())])).unwrap_err();
        assert!(e.fields["cursor"].contains("different sort"));
        assert!(ListQuery::parse(&raw(&[("cursor", &c.encode()), ("sort", "title")])).is_ok());
        // Hand-edited: a value of the wrong type or range for its sort.
        for (sort, value) in [
            (SortKey::Created, SortValue::Text("abc".into())),
            (SortKey::Title, SortValue::Int(3)),
            (SortKey::Priority, SortValue::Int(65539)),
        ] {
            let order = sort.default_order();
            let forged = Cursor {
                sort,
                order,
                value,
                id: 1,
            };
            let e = ListQuery::parse(&raw(&[
                ("cursor", &forged.encode()),
                ("sort", &format!("{sort:?}").to_lowercase()),
            ]));
            assert!(e.unwrap_err().fields.contains_key("cursor"), "{forged:?}");
        }
    }
}
