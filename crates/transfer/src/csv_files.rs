//! CSV imports: Todoist's CSV template and a plain CSV of tasks. A row is numbered by the line it
//! starts on (the header is line 1; blank lines count, as an editor or a spreadsheet shows them), and
//! errors name the column as the file spells it (`rows[12].DATE` in a Todoist file, `rows[12].due` in
//! a plain one).
//!
//! Todoist: `TYPE` task rows become tasks (`CONTENT` the title, `@labels` in it tags, `PRIORITY` 1 the
//! highest, `INDENT` 1–4 the level under the task above, `DATE` the due string, read in `TIMEZONE` when
//! it names one); a `section` row becomes a list that the tasks under it go into; a `note` row is added
//! to its task's description; `meta` rows and blank lines are skipped. There is no completion column:
//! Todoist exports open tasks only.
//!
//! Plain: a header naming `title` and any of `description`, `due`, `priority` (high, medium, low, or
//! Todoist's p1–p4), `tags` (separated by spaces, commas or semicolons), `list` (created when missing)
//! and `completed` (true/false, yes/no, 1/0, x); other columns are ignored.

use std::collections::HashMap;

use todo_domain::{
    list_name_key, parse_time_zone, Colour, CreateList, CreateTask, ImportList, ImportPlan,
    ImportTask, Priority, ValidationError, MAX_DEPTH, MAX_LIST_NAME_CHARS,
};

use crate::due::{self, Due};
use crate::{ImportFormat, Options, MAX_IMPORT_LISTS, MAX_IMPORT_TASKS};

/// A task read from a row, checked once the whole file is read (a note row may add to it).
struct Pending {
    row: usize,
    create: CreateTask,
    due: Due,
    list: usize,
    parent: Option<usize>,
}

/// The lists a CSV names, created on first mention; index 0 is the default list.
struct Lists {
    lists: Vec<ImportList>,
    by_key: HashMap<String, usize>,
}

impl Lists {
    fn new(default: Option<&str>) -> Self {
        let list = match default {
            Some(name) => list(name, false),
            None => list(todo_domain::INBOX, true),
        };
        Lists {
            by_key: HashMap::from([(list_name_key(&list.name), 0)]),
            lists: vec![list],
        }
    }

    /// The list called `name`, or an error message for the column.
    fn named(&mut self, name: &str) -> Result<usize, String> {
        let checked = CreateList {
            name: name.into(),
            colour: None,
            position: None,
        }
        .validate();
        if checked.is_err() {
            return Err(format!(
                "must be a list name of 1–{MAX_LIST_NAME_CHARS} characters on one line"
            ));
        }
        let key = list_name_key(name);
        if let Some(&i) = self.by_key.get(&key) {
            return Ok(i);
        }
        if self.lists.len() >= MAX_IMPORT_LISTS {
            return Err(format!("at most {MAX_IMPORT_LISTS} lists per import"));
        }
        self.lists.push(list(name, false));
        self.by_key.insert(key, self.lists.len() - 1);
        Ok(self.lists.len() - 1)
    }
}

fn list(name: &str, inbox: bool) -> ImportList {
    ImportList {
        name: name.trim().to_owned(),
        colour: Colour::default(),
        position: None,
        archived: false,
        inbox,
    }
}

/// The column names of a header, lower-cased, and where each is.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.0
            .get(name)
            .and_then(|&i| record.get(i))
            .unwrap_or_default()
    }
}

pub(crate) fn read(
    bytes: &[u8],
    options: &Options,
) -> Result<(ImportFormat, ImportPlan, Vec<String>), ValidationError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ValidationError::field("rows[1]", format!("cannot be read: {e}")))?;
    let columns = Columns(
        header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_lowercase(), i))
            .collect(),
    );
    let todoist = columns.0.contains_key("type") && columns.0.contains_key("content");
    if !todoist && !columns.0.contains_key("title") {
        return Err(ValidationError::field(
            "rows[1]",
            "the header must name a title column (title, description, due, priority, tags, list, \
             completed), or be Todoist's (TYPE, CONTENT, DESCRIPTION, PRIORITY, INDENT, DATE…)",
        ));
    }
    let mut lists = Lists::new(options.list.as_deref());
    let mut pending: Vec<Pending> = Vec::new();
    let mut errors = ValidationError::default();
    // Todoist: the tasks each INDENT level last had, and the list the last section named.
    let mut levels: Vec<usize> = Vec::new();
    let mut section = 0;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.add(format!("rows[{line}]"), format!("cannot be read: {e}"));
                break;
            }
        };
        let row = record.position().map_or(0, |p| p.line()) as usize;
        let at = |column: &str| format!("rows[{row}].{column}");
        if record.iter().all(str::is_empty) {
            continue;
        }
        if pending.len() >= MAX_IMPORT_TASKS {
            return Err(ValidationError::field(
                "rows",
                format!("at most {MAX_IMPORT_TASKS} tasks per import"),
            ));
        }
        let get = |name: &str| columns.get(&record, name);
        if !todoist {
            match plain_row(&get, options, &mut lists) {
                Ok(p) => pending.push(Pending { row, ..p }),
                Err((column, message)) => errors.add(at(column), message),
            }
            continue;
        }
        match get("type").to_lowercase().as_str() {
            "task" => {}
            "section" => {
                match lists.named(get("content")) {
                    Ok(l) => section = l,
                    Err(message) => errors.add(at("CONTENT"), message),
                }
                levels.clear();
                continue;
            }
            "note" => {
                match levels.last().and_then(|&t| pending.get_mut(t)) {
                    Some(task) => {
                        let d = task.create.description.get_or_insert_with(String::new);
                        if !d.is_empty() {
                            d.push_str("\n\n");
                        }
                        d.push_str(get("content"));
                    }
                    None => errors.add(at("TYPE"), "a note must follow a task"),
                }
                continue;
            }
            "meta" => continue,
            other => {
                errors.add(
                    at("TYPE"),
                    format!("must be task, section, note or meta (got {other:?})"),
                );
                continue;
            }
        }
        let indent = match get("indent") {
            "" => 1,
            i => match i.parse::<usize>() {
                Ok(i) if (1..=MAX_DEPTH).contains(&i) && i <= levels.len() + 1 => i,
                _ => {
                    errors.add(
                        at("INDENT"),
                        format!(
                            "must be 1–{MAX_DEPTH}, at most one more than the task above's (got {i:?})"
                        ),
                    );
                    continue;
                }
            },
        };
        let zone = match get("timezone") {
            "" => Ok(options.tz),
            z => parse_time_zone(z),
        };
        let zone = match zone {
            Ok(z) => z,
            Err(message) => {
                errors.add(at("TIMEZONE"), message);
                continue;
            }
        };
        let due = match due::read(get("date"), options.now, zone) {
            Ok(d) => d,
            Err(message) => {
                errors.add(at("DATE"), message);
                continue;
            }
        };
        let priority = match get("priority") {
            "" | "4" => None,
            "1" => Some(Priority::High),
            "2" => Some(Priority::Medium),
            "3" => Some(Priority::Low),
            p => {
                errors.add(
                    at("PRIORITY"),
                    format!("must be 1 (highest) to 4 (got {p:?})"),
                );
                continue;
            }
        };
        let (title, tags) = labels(get("content"));
        levels.truncate(indent - 1);
        let parent = levels.last().copied();
        levels.push(pending.len());
        pending.push(Pending {
            row,
            create: create(title, get("description"), priority, tags, false),
            due,
            list: parent.map_or(section, |p| pending[p].list),
            parent,
        });
    }
    let fields = |field: &str| -> &'static str {
        match (todoist, field.split('[').next().unwrap_or(field)) {
            (true, "title" | "tags") => "CONTENT",
            (true, "description") => "DESCRIPTION",
            (false, "title") => "title",
            (false, "tags") => "tags",
            (false, "description") => "description",
            _ => "row",
        }
    };
    let mut tasks = Vec::with_capacity(pending.len());
    let mut rows = Vec::with_capacity(pending.len());
    for p in pending {
        match p.create.validate() {
            Ok(mut task) => {
                task.due_at = p.due.at;
                task.recurrence = p.due.recurrence;
                task.repeat_from = p.due.repeat_from;
                tasks.push(ImportTask {
                    task,
                    list: p.list,
                    parent: p.parent,
                    created_at: None,
                    updated_at: None,
                    spawned_next: false,
                });
                rows.push(format!("rows[{}]", p.row));
            }
            Err(e) => {
                for (field, message) in e.fields {
                    errors.add(format!("rows[{}].{}", p.row, fields(&field)), message);
                }
            }
        }
    }
    let format = if todoist {
        ImportFormat::TodoistCsv
    } else {
        ImportFormat::Csv
    };
    let plan = ImportPlan {
        lists: lists.lists,
        tasks,
    };
    errors.into_result((format, plan, rows))
}

fn create(
    title: String,
    description: &str,
    priority: Option<Priority>,
    tags: Vec<String>,
    completed: bool,
) -> CreateTask {
    CreateTask {
        title,
        description: Some(description.to_owned()).filter(|d| !d.is_empty()),
        completed: Some(completed),
        priority,
        tags: Some(tags),
        due_at: None,
        recurrence: None,
        repeat_from: None,
        list_id: None,
        parent_id: None,
        // A CSV carries no reminders, and an import does not add the user's default.
        reminders: Some(Vec::new()),
        user_id: None,
    }
}

/// Todoist writes a task's labels into its content: "Buy milk @home @errands".
fn labels(content: &str) -> (String, Vec<String>) {
    let (tags, words): (Vec<&str>, Vec<&str>) = content
        .split_whitespace()
        .partition(|w| w.len() > 1 && w.starts_with('@'));
    let tags = tags.into_iter().map(|t| t[1..].to_owned()).collect();
    (words.join(" "), tags)
}

/// One row of a plain CSV, or the column at fault and why.
fn plain_row<'r>(
    get: &impl Fn(&str) -> &'r str,
    options: &Options,
    lists: &mut Lists,
) -> Result<Pending, (&'static str, String)> {
    let due = due::read(get("due"), options.now, options.tz).map_err(|m| ("due", m))?;
    let priority = match get("priority").to_lowercase().as_str() {
        "" => None,
        "p1" => Some(Priority::High),
        "p2" => Some(Priority::Medium),
        "p3" => Some(Priority::Low),
        "p4" => None,
        p => Some(Priority::parse(p).ok_or((
            "priority",
            format!("must be high, medium, low or p1–p4 (got {p:?})"),
        ))?),
    };
    let completed = match get("completed").to_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => false,
        "true" | "yes" | "1" | "x" | "y" | "done" => true,
        c => return Err(("completed", format!("must be true or false (got {c:?})"))),
    };
    let tags = get("tags")
        .split([',', ';', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let list = match get("list") {
        "" => 0,
        name => lists.named(name).map_err(|m| ("list", m))?,
    };
    Ok(Pending {
        row: 0,
        create: create(
            get("title").to_owned(),
            get("description"),
            priority,
            tags,
            completed,
        ),
        due,
        list,
        parent: None,
    })
}
