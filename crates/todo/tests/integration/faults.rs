//! Storage faults as an operator meets them: the disk under SQLite fills up, then the database file is made
//! immutable. Every write the server acknowledged must survive a restart, a failed write must
//! answer 503 `storage_unavailable` (never a 500, never a 201 that is later lost), and writes must
//! succeed again on their own once the fault is gone.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::process::{spawn_role, terminate, wait_exit};
use crate::support::{TestApp, TestUser, SECRET};

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn mount(args: &[&str]) {
    let ok = Command::new("mount").args(args).status().unwrap().success();
    assert!(ok, "mount {args:?} failed");
}

fn chattr(flag: &str, file: &Path) {
    let ok = Command::new("chattr")
        .arg(flag)
        .arg(file)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chattr {flag} {} failed", file.display());
}

/// Mounts a small tmpfs at `dir` and unmounts it when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: PathBuf, size: &str) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        mount(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size}"),
            "tmpfs",
            dir.to_str().unwrap(),
        ]);
        SmallDisk(dir)
    }

    /// Fills the file system with a file until it is full.
    fn fill(&self) {
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block may still fit byte by byte.
        while f.write_all(&[0u8]).is_ok() {}
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes tasks and keeps what the server acknowledged; anything but 201 or 503 `storage_unavailable` fails.
struct Writer<'a> {
    app: &'a TestApp,
    user: &'a TestUser,
    acknowledged: BTreeMap<i64, String>,
    refused: usize,
    sent: usize,
}

impl Writer<'_> {
    async fn write(&mut self, phase: &str) -> bool {
        self.sent += 1;
        let title = format!("{phase} {}", self.sent);
        // Long descriptions make each write need new pages, so a full disk is felt at once.
        let body = json!({"title": title, "description": "x".repeat(900)});
        let path = format!("/api/{}/tasks", self.user.id);
        let (status, answer) = self
            .app
            .call(
                reqwest::Method::POST,
                &path,
                Some(&self.user.jwt),
                Some(body),
            )
            .await;
        match status {
            201 => {
                let id = answer["id"].as_i64().unwrap();
                assert!(
                    self.acknowledged.insert(id, title).is_none(),
                    "id {id} acknowledged twice"
                );
                true
            }
            503 => {
                assert_eq!(
                    answer["error"]["code"], "storage_unavailable",
                    "a failed write names the cause: {answer}"
                );
                self.refused += 1;
                false
            }
            other => panic!("{phase}: a write answered {other}: {answer}"),
        }
    }

    /// Every acknowledged task is visible to every connection, again and again (not 200 then 404).
    async fn check_visible(&self) {
        for (id, title) in &self.acknowledged {
            for _ in 0..3 {
                let (status, task) = self
                    .app
                    .call(
                        reqwest::Method::GET,
                        &format!("/api/{}/tasks/{id}", self.user.id),
                        Some(&self.user.jwt),
                        None,
                    )
                    .await;
                assert_eq!(
                    status, 200,
                    "acknowledged task {id} is not readable: {task}"
                );
                assert_eq!(task["title"], *title);
            }
        }
    }

    /// Writes until one is acknowledged, which must happen within `within` of the fault clearing.
    async fn recovers(&mut self, phase: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.write(phase).await {
            assert!(
                Instant::now() < deadline,
                "{phase}: writes still fail {within:?} after the fault cleared"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for _ in 0..10 {
            assert!(
                self.write(phase).await,
                "{phase}: a write failed after recovery"
            );
        }
    }
}

#[tokio::test]
async fn sqlite_write_errors_lose_no_acknowledged_write() {
    if !is_root() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run this test as root (it mounts a small tmpfs)"
        );
        eprintln!("skipped: mounting a small file system needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(dir.path().join("disk"), "3m");
    let url = format!("sqlite://{}", disk.0.join("todo.db").display());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
    ];
    let (mut server, base) = spawn_role(&["serve"], &env, dir.path(), "before").await;
    let app = TestApp::attach(&base);
    let user = app.sign_up("faults@example.com").await;
    let mut w = Writer {
        app: &app,
        user: &user,
        acknowledged: BTreeMap::new(),
        refused: 0,
        sent: 0,
    };
    for _ in 0..5 {
        assert!(w.write("healthy").await);
    }

    disk.fill();
    for _ in 0..60 {
        w.write("full").await;
    }
    assert!(w.refused > 0, "the full disk never refused a write");
    w.check_visible().await;
    let (status, ready) = app.call(reqwest::Method::GET, "/ready", None, None).await;
    assert_eq!(status, 503, "not ready while writes fail: {ready}");
    assert!(
        ready["reason"].as_str().unwrap().contains("disk is full"),
        "{ready}"
    );
    disk.free();
    let (status, ready) = app.call(reqwest::Method::GET, "/ready", None, None).await;
    assert_eq!(status, 200, "ready again once a write is stored: {ready}");
    w.recovers("space again", Duration::from_secs(10)).await;

    // A file made immutable cannot be reopened for writing: SQLite falls back to read-only connections,
    // which must not outlive the fault. (Connections opened before it keep their write access, so the
    // server restarts onto the immutable file.)
    terminate(&server);
    assert_eq!(wait_exit(&mut server, Duration::from_secs(30)), 0);
    let db = disk.0.join("todo.db");
    chattr("+i", &db);
    let (mut server, base) = spawn_role(&["serve"], &env, dir.path(), "read-only").await;
    let app = TestApp::attach(&base);
    let mut w = Writer { app: &app, ..w };
    let refused_before = w.refused;
    for _ in 0..10 {
        assert!(
            !w.write("read-only").await,
            "a write to an immutable file was acknowledged"
        );
    }
    assert_eq!(w.refused, refused_before + 10);
    w.check_visible().await;
    chattr("-i", &db);
    w.recovers("writable again", Duration::from_secs(10)).await;
    w.check_visible().await;

    terminate(&server);
    assert_eq!(wait_exit(&mut server, Duration::from_secs(30)), 0);
    let (mut server, base) = spawn_role(&["serve"], &env, dir.path(), "after").await;
    let app = TestApp::attach(&base);
    let w = Writer { app: &app, ..w };
    w.check_visible().await;
    let (status, all) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/{}/tasks?limit=200", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let stored: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let mut acknowledged: Vec<i64> = w.acknowledged.keys().copied().collect();
    acknowledged.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        stored, acknowledged,
        "after a restart the stored tasks are exactly the acknowledged ones"
    );
    terminate(&server);
    wait_exit(&mut server, Duration::from_secs(30));
}
