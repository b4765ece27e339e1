//! The change bus: task writes tell subscribers, in this process on both databases, and across
//! processes (two stores standing in for two replicas) through PostgreSQL's LISTEN/NOTIFY.

#[allow(dead_code)] // the helpers for migration tests
mod common;

use std::time::Duration;

use common::databases;
use todo_domain::{
    CreateList, CreateTask, ImportList, ImportPlan, ImportTask, TaskPatch, TasksOnDelete,
};
use todo_storage::{Change, ChangeKind, DbKind, Store, StoreOptions};
use tokio::sync::broadcast::Receiver;

fn new_task(title: &str) -> todo_domain::NewTask {
    serde_json::from_value::<CreateTask>(serde_json::json!({ "title": title }))
        .unwrap()
        .validate()
        .unwrap()
}

async fn next(rx: &mut Receiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a change within 10 s")
        .unwrap()
}

fn task(user: &str, id: i64) -> Change {
    Change {
        user_id: user.into(),
        kind: ChangeKind::Task(id),
    }
}

/// Two stores on `url` (two replicas, on PostgreSQL) and a subscriber on each, once the second one's
/// listener hears the first.
async fn replicas(url: &str) -> (Store, Store, Receiver<Change>, Receiver<Change>) {
    let here = Store::open(url, &StoreOptions::default()).unwrap();
    here.migrate().await.unwrap();
    let there = Store::open(url, &StoreOptions::default()).unwrap();
    let mut local = here.changes();
    let mut remote = there.changes();
    if here.kind() == DbKind::Postgres {
        // The other replica's listener connects in the background; wait until it hears something.
        loop {
            here.publish(task("warm-up", 0)).await;
            if tokio::time::timeout(Duration::from_millis(200), remote.recv())
                .await
                .is_ok()
            {
                break;
            }
        }
        while local.try_recv().is_ok() {}
        while remote.try_recv().is_ok() {}
    }
    (here, there, local, remote)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_writes_reach_subscribers_here_and_on_other_replicas() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let (here, there, mut local, mut remote) = replicas(&url).await;

        let t = here.create_task("u1", new_task("Milk")).await.unwrap();
        assert_eq!(next(&mut local).await, task("u1", t.id), "{url}");
        let done = TaskPatch {
            completed: Some(true),
            ..Default::default()
        };
        here.update_task("u1", t.id, done, false).await.unwrap();
        assert_eq!(next(&mut local).await, task("u1", t.id), "{url}");
        // A write that changes nothing (no such task) says nothing.
        assert!(here.delete_task("u1", 999).await.unwrap().is_none());
        here.delete_task("u1", t.id).await.unwrap();
        assert_eq!(next(&mut local).await, task("u1", t.id), "{url}");
        here.publish(Change {
            user_id: "u1".into(),
            kind: ChangeKind::Notifications,
        })
        .await;
        assert_eq!(next(&mut local).await.kind, ChangeKind::Notifications);
        // Deleting a list tells of each task it took along.
        let list = serde_json::from_value::<CreateList>(serde_json::json!({"name": "Errands"}))
            .unwrap()
            .validate()
            .unwrap();
        let list = here.create_list("u1", list).await.unwrap();
        let mut parcel = new_task("Parcel");
        parcel.list_id = Some(list.id);
        let parcel = here.create_task("u1", parcel).await.unwrap();
        assert_eq!(next(&mut local).await, task("u1", parcel.id), "{url}");
        here.delete_list("u1", list.id, Some(TasksOnDelete::Delete))
            .await
            .unwrap();
        assert_eq!(next(&mut local).await, task("u1", parcel.id), "{url}");
        // Delivered once here, though this store also hears its own NOTIFY.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(local.try_recv().is_err(), "{url}: delivered twice");

        match here.kind() {
            DbKind::Postgres => {
                for expected in [
                    task("u1", t.id),
                    task("u1", t.id),
                    task("u1", t.id),
                    Change {
                        user_id: "u1".into(),
                        kind: ChangeKind::Notifications,
                    },
                    task("u1", parcel.id),
                    task("u1", parcel.id),
                ] {
                    assert_eq!(next(&mut remote).await, expected, "{url}");
                }
                // And the other way round.
                let other = there.create_task("u2", new_task("Eggs")).await.unwrap();
                assert_eq!(next(&mut local).await, task("u2", other.id));
            }
            // SQLite has one process: nothing crosses to another store.
            DbKind::Sqlite => assert!(remote.try_recv().is_err(), "{url}"),
        }
    }
}

/// A subtask of `parent`.
fn subtask(title: &str, parent: i64) -> todo_domain::NewTask {
    let mut t = new_task(title);
    t.parent_id = Some(parent);
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtasks_written_with_their_parent_and_imports_reach_subscribers() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let (here, _there, mut local, mut remote) = replicas(&url).await;
        let u = "u1";
        let parent = here.create_task(u, new_task("Move")).await.unwrap().id;
        let child = here
            .create_task(u, subtask("Pack", parent))
            .await
            .unwrap()
            .id;
        let grandchild = here
            .create_task(u, subtask("Boxes", child))
            .await
            .unwrap()
            .id;
        let mut done = subtask("Already done", parent);
        done.completed = true;
        let done = here.create_task(u, done).await.unwrap().id;
        let mut heard = vec![];
        for _ in 0..4 {
            heard.push(next(&mut local).await);
        }
        assert_eq!(
            heard,
            [parent, child, grandchild, done].map(|id| task(u, id)),
            "{url}"
        );

        // Completed with its subtasks: the parent, then each open subtask.
        let complete = TaskPatch {
            completed: Some(true),
            ..Default::default()
        };
        here.update_task(u, parent, complete, true).await.unwrap();
        let completed = [parent, child, grandchild].map(|id| task(u, id));
        for expected in &completed {
            assert_eq!(&next(&mut local).await, expected, "{url}");
        }
        // Deleted with its subtree: the parent, then every subtask.
        let (_, removed) = here.delete_task(u, parent).await.unwrap().unwrap();
        assert_eq!(removed, 3);
        let deleted = [parent, child, grandchild, done].map(|id| task(u, id));
        for expected in &deleted {
            assert_eq!(&next(&mut local).await, expected, "{url}");
        }

        // An import is one change, however many tasks it holds.
        let plan = ImportPlan {
            lists: vec![ImportList {
                name: "Inbox".into(),
                colour: Default::default(),
                position: None,
                archived: false,
                inbox: true,
            }],
            tasks: (0..50)
                .map(|i| ImportTask {
                    task: new_task(&format!("Imported {i}")),
                    list: 0,
                    parent: (i > 0).then_some(0),
                    created_at: None,
                    updated_at: None,
                    spawned_next: false,
                })
                .collect(),
        };
        here.import(u, &plan).await.unwrap();
        let import = Change {
            user_id: u.into(),
            kind: ChangeKind::Tasks,
        };
        assert_eq!(next(&mut local).await, import, "{url}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(local.try_recv().is_err(), "{url}: more than one change");

        if here.kind() == DbKind::Postgres {
            for _ in 0..4 {
                next(&mut remote).await;
            }
            for expected in completed.iter().chain(&deleted).chain([&import]) {
                assert_eq!(&next(&mut remote).await, expected, "{url}");
            }
        }
    }
}

/// On PostgreSQL a burst of changes leaves in batches (one statement for what queued up): every one
/// still reaches the other replica, in order, the identical ones included (PostgreSQL would deliver
/// identical payloads of one transaction once), and closing a store first sends what it published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_changes_reaches_other_replicas_whole_and_in_order() {
    let (_dir, urls) = databases().await;
    for url in urls {
        let here = Store::open(&url, &StoreOptions::default()).unwrap();
        here.migrate().await.unwrap();
        if here.kind() != DbKind::Postgres {
            continue;
        }
        let there = Store::open(&url, &StoreOptions::default()).unwrap();
        let mut remote = there.changes();
        loop {
            here.publish(task("warm-up", 0)).await;
            if tokio::time::timeout(Duration::from_millis(200), remote.recv())
                .await
                .is_ok()
            {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        while remote.try_recv().is_ok() {}

        // Task 1 three times over, then tasks 2..=500: more than one batch.
        let burst: Vec<Change> = [1, 1, 1]
            .into_iter()
            .chain(2..=500)
            .map(|id| task("u1", id))
            .collect();
        for change in &burst {
            here.publish(change.clone()).await;
        }
        here.close().await;
        for expected in burst {
            assert_eq!(next(&mut remote).await, expected);
        }
    }
}
