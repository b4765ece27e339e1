//! Search and tag filters through the trigram indexes, on SQLite and on PostgreSQL (when there is one):
//! the same results as a substring scan, an index kept in step with every write, and a migration that
//! indexes the tasks a database already holds.
mod common;

use common::{databases, execute, migrate_before};
use todo_domain::{search_text, title_key, CreateTask, ListQuery, RawListQuery, Task};
use todo_storage::{Store, StoreOptions};

/// The migration that added the search indexes.
const SEARCH_MIGRATION: i64 = 20261201000003;

async fn migrated(url: &str) -> Store {
    let store = Store::open(url, &StoreOptions::default()).unwrap();
    store.migrate().await.unwrap();
    store
}

fn new_task(body: serde_json::Value) -> todo_domain::NewTask {
    serde_json::from_value::<CreateTask>(body)
        .unwrap()
        .validate()
        .unwrap()
}

/// Every task of `user` the query string's filters select, through all pages, as titles in list order.
async fn all_titles(store: &Store, user: &str, set: impl Fn(&mut RawListQuery)) -> Vec<String> {
    let mut raw = RawListQuery {
        limit: Some("7".into()),
        ..Default::default()
    };
    set(&mut raw);
    let mut titles = Vec::new();
    loop {
        let page = store
            .list_tasks(user, &ListQuery::parse(&raw).unwrap())
            .await
            .unwrap();
        titles.extend(page.tasks.into_iter().map(|t| t.title));
        match page.next_cursor {
            Some(c) => raw.cursor = Some(c.encode()),
            None => return titles,
        }
    }
}

/// The tasks `search` finds by the API's contract: a case-insensitive substring of title or description,
/// newest first.
fn expected(tasks: &[Task], search: &str) -> Vec<String> {
    let needle = search.to_lowercase();
    let mut found: Vec<&Task> = tasks
        .iter()
        .filter(|t| search_text(&t.title, t.description.as_deref()).contains(&needle))
        .collect();
    found.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
    found.into_iter().map(|t| t.title.clone()).collect()
}

#[tokio::test]
async fn search_and_tag_find_what_a_substring_scan_finds() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = migrated(&url).await;
        let bodies = [
            serde_json::json!({"title": "Pay the RENT", "description": "before the 5th", "tags": ["home"]}),
            serde_json::json!({"title": "rent a car", "tags": ["travel", "home-office"]}),
            serde_json::json!({"title": "Say \"hello\" to Ada", "tags": ["x"]}),
            serde_json::json!({"title": "100%_done \\o/", "description": "Émile's ÉCOLE", "tags": ["home_2"]}),
            serde_json::json!({"title": "Οδηγός για ΟΔΟΥΣ", "tags": ["ab"]}),
            serde_json::json!({"title": "parent meeting", "description": "current\nline two"}),
        ];
        let mut tasks = Vec::new();
        for body in bodies {
            tasks.push(store.create_task("u1", new_task(body)).await.unwrap());
        }
        store
            .create_task(
                "u2",
                new_task(serde_json::json!({"title": "rent for someone else", "tags": ["home"]})),
            )
            .await
            .unwrap();

        for search in [
            "rent",
            "RENT",
            "ent",
            "re",
            "t",
            "pay the r",
            "e 5",
            "\"hello\"",
            "\"",
            "o\" t",
            "100%",
            "%_",
            "_",
            "\\o/",
            "\\",
            "émile",
            "ÉCOLE",
            "'s é",
            "οδού",
            "οδο",
            "ΟΔ",
            "ρεντ",
            "nothing here",
            "line two",
        ] {
            let found = all_titles(&store, "u1", |r| r.q = Some(search.into())).await;
            assert_eq!(found, expected(&tasks, search), "{url}: q={search:?}");
        }
        for (tag, titles) in [
            ("home", vec!["Pay the RENT"]),
            ("#HOME", vec!["Pay the RENT"]),
            ("home-office", vec!["rent a car"]),
            ("home_2", vec!["100%_done \\o/"]),
            ("x", vec!["Say \"hello\" to Ada"]),
            ("ab", vec!["Οδηγός για ΟΔΟΥΣ"]),
            ("a", vec![]),
            ("office", vec![]),
        ] {
            let found = all_titles(&store, "u1", |r| r.tag = Some(tag.into())).await;
            assert_eq!(found, titles, "{url}: tag={tag}");
        }
        let found = all_titles(&store, "u1", |r| {
            r.q = Some("rent".into());
            r.tag = Some("home".into());
        })
        .await;
        assert_eq!(found, vec!["Pay the RENT"], "{url}: q and tag");

        // Every write keeps the index in step: an edit, a delete, and a task the edit no longer matches.
        let rent_car = tasks.iter().find(|t| t.title == "rent a car").unwrap();
        let patch = serde_json::from_value::<todo_domain::UpdateTask>(
            serde_json::json!({"title": "hire a van", "tags": ["work"]}),
        )
        .unwrap()
        .validate()
        .unwrap();
        store
            .update_task("u1", rent_car.id, patch, false)
            .await
            .unwrap();
        let pay = tasks.iter().find(|t| t.title == "Pay the RENT").unwrap();
        store.delete_task("u1", pay.id).await.unwrap();
        store.toggle_task("u1", tasks[5].id, false).await.unwrap();
        assert_eq!(
            all_titles(&store, "u1", |r| r.q = Some("rent".into())).await,
            vec!["parent meeting"],
            "{url}"
        );
        assert_eq!(
            all_titles(&store, "u1", |r| r.q = Some("a van".into())).await,
            vec!["hire a van"],
            "{url}"
        );
        assert_eq!(
            all_titles(&store, "u1", |r| r.tag = Some("work".into())).await,
            vec!["hire a van"],
            "{url}"
        );
        store.close().await;
    }
}

/// Matches of a common word past what SQLite reads from its trigram index are found by walking the sort
/// order instead: the same tasks, page after page.
#[tokio::test]
async fn a_search_matching_many_tasks_pages_through_all_of_them() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let store = migrated(&url).await;
        let n = 1500;
        let inbox = store.lists("u1").await.unwrap()[0].id;
        insert_raw(&url, "u1", n, Some(inbox), |i| {
            if i % 2 == 0 {
                format!("Common word {i}")
            } else {
                format!("other {i}")
            }
        })
        .await;
        let found = all_titles(&store, "u1", |r| {
            r.q = Some("common".into());
            r.limit = Some("200".into());
        })
        .await;
        let want: Vec<String> = (0..n)
            .rev()
            .filter(|i| i % 2 == 0)
            .map(|i| format!("Common word {i}"))
            .collect();
        assert_eq!(found, want, "{url}");
        store.close().await;
    }
}

/// Inserts `n` tasks for `user` as the application stores them (created in order of `i`), in one
/// statement: in `list` on the current schema, or with no list on a schema from before lists.
async fn insert_raw(
    url: &str,
    user: &str,
    n: usize,
    list: Option<i64>,
    title: impl Fn(usize) -> String,
) {
    let (list_column, list_value) = match list {
        Some(id) => (", list_id", format!(", {id}")),
        None => ("", String::new()),
    };
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let t = title(i);
            format!(
                "('{user}', '{t}', '[\"old\"]', {i}, {i}, '{}', '{}'{list_value})",
                title_key(&t),
                search_text(&t, None)
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO tasks (user_id, title, tags, created_at, updated_at, title_key, search_text{list_column}) VALUES {}",
        rows.join(",")
    );
    execute(url, &sql).await;
}

#[tokio::test]
async fn migrating_a_database_with_tasks_indexes_them_for_search() {
    let (_dir, urls) = databases().await;
    for url in urls {
        // The schema before the search indexes, applied as an older release did, holding tasks.
        migrate_before(&url, SEARCH_MIGRATION).await;
        let store = Store::open(&url, &StoreOptions::default()).unwrap();
        insert_raw(&url, "u1", 50, None, |i| {
            format!("Old task {i} kiwi{}", i % 10)
        })
        .await;

        store.migrate().await.unwrap();
        let found = all_titles(&store, "u1", |r| r.q = Some("KIWI3".into())).await;
        let want: Vec<String> = (0..50)
            .rev()
            .filter(|i| i % 10 == 3)
            .map(|i| format!("Old task {i} kiwi3"))
            .collect();
        assert_eq!(found, want, "{url}");
        assert_eq!(
            all_titles(&store, "u1", |r| r.tag = Some("old".into()))
                .await
                .len(),
            50,
            "{url}"
        );
        store.close().await;
    }
}
