//! Storage-level checks on a real SQLite file; the HTTP suite covers the same code on PostgreSQL too.
use todo_domain::{CreateTask, ListQuery, RawListQuery};
use todo_storage::{Schema, Store, StoreOptions};

fn new_task(title: &str) -> todo_domain::NewTask {
    serde_json::from_value::<CreateTask>(serde_json::json!({ "title": title }))
        .unwrap()
        .validate()
        .unwrap()
}

#[tokio::test]
async fn migrates_twice_concurrently_and_pages_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let a = Store::open(&url, &StoreOptions::default()).unwrap();
    let b = Store::open(&url, &StoreOptions::default()).unwrap();
    assert!(matches!(
        a.schema().await.unwrap(),
        Schema::Behind { applied: 0, .. }
    ));
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(a.schema().await.unwrap(), Schema::Current);

    for i in 0..25 {
        a.create_task("u1", new_task(&format!("task {i}")))
            .await
            .unwrap();
    }
    a.create_task("u2", new_task("other")).await.unwrap();
    let mut raw = RawListQuery {
        limit: Some("10".into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = a
            .list_tasks("u1", &ListQuery::parse(&raw).unwrap())
            .await
            .unwrap();
        seen.extend(page.tasks.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => raw.cursor = Some(c.encode()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats: {seen:?}"
    );
}
