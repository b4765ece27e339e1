//! What operators rely on when processes die (issue 13): a `kill -9` of the server, or of PostgreSQL under
//! it, loses no write that was acknowledged; a rolling restart of two backends behind a real load
//! balancer (HAProxy) fails no request.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Connection;
use todo_testkit::{free_port, wait_for, PgServer};

use crate::process::{spawn_role, spawn_role_on, terminate, wait_exit};
use crate::support::{hs256, SECRET};

/// A child process killed when dropped, so a failing test leaves no server running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(args: &[&str], env: &[(&str, &str)], dir: &Path, name: &str) -> (Reaped, String) {
    let (child, base) = spawn_role(args, env, dir, name).await;
    (Reaped(child), base)
}

/// What the clients were answered.
#[derive(Default)]
struct Tally {
    sent: usize,
    /// Tasks answered 201: (user, id) → title.
    created: BTreeMap<(String, i64), String>,
    /// Requests answered anything but 2xx (the status), or not at all (why): request → outcome.
    failed: Vec<(String, Answer)>,
}

/// The status and JSON body, or why there is none.
type Answer = Result<(u16, Value), String>;

/// Concurrent clients, one per user, each creating tasks (and, with `lists`, listing them after each
/// create) until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(
        base: &str,
        users: &[String],
        label: &str,
        lists: bool,
        tally: &Arc<Mutex<Tally>>,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let clients = users
            .iter()
            .map(|user| {
                let (base, user, label) = (base.to_owned(), user.clone(), label.to_owned());
                let (stop, tally) = (stop.clone(), tally.clone());
                tokio::spawn(async move {
                    let client = todo_testkit::http_client()
                        .timeout(Duration::from_secs(20))
                        .build()
                        .unwrap();
                    let token = hs256(&user, json!({}));
                    let tasks = format!("{base}/api/{user}/tasks");
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let title = format!("{label} {user} #{n}");
                        let post = client
                            .post(&tasks)
                            .bearer_auth(&token)
                            .json(&json!({"title": title}));
                        match answer(post).await {
                            Ok((201, task)) => {
                                let id = task["id"].as_i64().expect("a created task has an id");
                                let mut t = tally.lock().unwrap();
                                t.sent += 1;
                                assert!(
                                    t.created.insert((user.clone(), id), title).is_none(),
                                    "task {id} of {user} created twice"
                                );
                            }
                            other => tally.lock().unwrap().failed(format!("POST {title}"), other),
                        }
                        if lists {
                            match answer(client.get(&tasks).bearer_auth(&token)).await {
                                Ok((200, _)) => tally.lock().unwrap().sent += 1,
                                other => tally
                                    .lock()
                                    .unwrap()
                                    .failed(format!("GET list of {user}"), other),
                            }
                        }
                    }
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Stops the clients and waits for their last requests.
    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for c in self.clients {
            c.await.expect("a client panicked");
        }
    }
}

impl Tally {
    fn failed(&mut self, request: String, outcome: Answer) {
        self.sent += 1;
        self.failed.push((request, outcome));
    }
}

/// Sends `request`; a body cut off counts as no answer.
async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let r = request.send().await.map_err(|e| causes(&e))?;
    let status = r.status().as_u16();
    let body = r
        .json()
        .await
        .map_err(|e| format!("{status}, body: {}", causes(&e)))?;
    Ok((status, body))
}

/// An error with its chain of causes (reqwest's own message rarely says what happened).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// Every task `user` has, id → title, through the paged list.
async fn stored(base: &str, user: &str) -> BTreeMap<i64, String> {
    let client = todo_testkit::http_client().build().unwrap();
    let token = hs256(user, json!({}));
    let mut all = BTreeMap::new();
    let mut url = format!("{base}/api/{user}/tasks?limit=200");
    loop {
        let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let next = r
            .headers()
            .get("x-next-cursor")
            .map(|c| c.to_str().unwrap().to_owned());
        for task in r.json::<Vec<Value>>().await.unwrap() {
            all.insert(
                task["id"].as_i64().unwrap(),
                task["title"].as_str().unwrap().to_owned(),
            );
        }
        match next {
            Some(cursor) => url = format!("{base}/api/{user}/tasks?limit=200&cursor={cursor}"),
            None => return all,
        }
    }
}

/// Asserts that every task answered 201 is stored with its title; returns how many were checked.
async fn assert_all_stored(base: &str, tally: &Mutex<Tally>) -> usize {
    let created = tally.lock().unwrap().created.clone();
    let mut users: Vec<&String> = created.keys().map(|(user, _)| user).collect();
    users.dedup();
    for user in users {
        let stored = stored(base, user).await;
        for ((_, id), title) in created.range((user.clone(), i64::MIN)..=(user.clone(), i64::MAX)) {
            assert_eq!(
                stored.get(id),
                Some(title),
                "task {id} of {user} was answered 201 but is not stored as such"
            );
        }
    }
    created.len()
}

/// Waits until `more` writes are acknowledged than when called.
async fn acknowledged_more(tally: &Mutex<Tally>, more: usize) {
    let target = tally.lock().unwrap().created.len() + more;
    let deadline = Instant::now() + Duration::from_secs(30);
    while tally.lock().unwrap().created.len() < target {
        assert!(
            Instant::now() < deadline,
            "writes are not acknowledged any more"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn writers(prefix: &str) -> Vec<String> {
    (0..4).map(|i| format!("{prefix}-{i}")).collect()
}

/// Kills `todo backend` with SIGKILL in the middle of concurrent writes, three times, restarting it on the
/// same database; with `postgres`, then kills the database server the same way and restarts it. After
/// every restart each task answered 201 is there.
async fn kill_9_loses_no_acknowledged_write(database_url: &str, postgres: Option<&PgServer>) {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", database_url),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
    ];
    let users = writers("writer");
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (mut server, mut base) = start(&["backend"], &env, dir.path(), "first").await;
    let mut checked = 0;
    for round in 1..=3 {
        let load = Load::start(&base, &users, &format!("round {round}"), false, &tally);
        acknowledged_more(&tally, 50).await;
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        load.stop().await;
        (server, base) = start(
            &["backend"],
            &env,
            dir.path(),
            &format!("after kill {round}"),
        )
        .await;
        checked = assert_all_stored(&base, &tally).await;
    }
    if let Some(pg) = postgres {
        let load = Load::start(&base, &users, "database crash", false, &tally);
        acknowledged_more(&tally, 50).await;
        crash(pg).await;
        // Writes go on meeting the outage for a while, then the database comes back.
        tokio::time::sleep(Duration::from_millis(500)).await;
        pg.restart();
        wait_for(&format!("{base}/ready"), 200, Duration::from_secs(30)).await;
        acknowledged_more(&tally, 50).await;
        load.stop().await;
        checked = assert_all_stored(&base, &tally).await;
    }
    let t = tally.lock().unwrap();
    // Cut-off requests are expected; a request answered with an error status must be a database outage.
    let unexpected: Vec<_> = t
        .failed
        .iter()
        .filter(|(_, outcome)| outcome.as_ref().is_ok_and(|(status, _)| *status != 503))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    let unanswered = t.failed.iter().filter(|(_, o)| o.is_err()).count();
    eprintln!(
        "kill -9 on {}: {} writes sent, {} acknowledged (all {checked} found after the restarts), {} answered 503, \
         {unanswered} not answered",
        if postgres.is_some() { "PostgreSQL" } else { "SQLite" },
        t.sent,
        t.created.len(),
        t.failed.len() - unanswered,
    );
    drop(t);
    terminate(&server.0);
    assert_eq!(wait_exit(&mut server.0, Duration::from_secs(30)), 0);
    if let Some(pg) = postgres {
        pg.stop();
    }
}

/// SIGKILLs the PostgreSQL server and every process of it at once, as the OOM killer or a lost machine
/// would: no shutdown checkpoint, crash recovery on restart.
async fn crash(pg: &PgServer) {
    let mut conn = sqlx::PgConnection::connect(&pg.admin_url).await.unwrap();
    let data: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    // postmaster.pid: the pid, the data directory, the start time, the port, the socket directory, …
    let lock = Path::new(&data).join("postmaster.pid");
    let lines: Vec<String> = std::fs::read_to_string(&lock)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let postmaster = &lines[0];
    let mut locks = vec![lock];
    if !lines[4].is_empty() {
        locks.push(Path::new(&lines[4]).join(format!(".s.PGSQL.{}.lock", lines[3])));
    }
    let kill = |signal: &str, pids: &[&str]| {
        let ok = Command::new("kill")
            .arg(signal)
            .args(pids)
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {signal} {pids:?}");
    };
    // Stopped, the postmaster starts no new backend between listing its children and the kill.
    kill("-STOP", &[postmaster]);
    let children =
        std::fs::read_to_string(format!("/proc/{postmaster}/task/{postmaster}/children")).unwrap();
    let mut all: Vec<&str> = children.split_whitespace().collect();
    all.push(postmaster);
    kill("-KILL", &all);
    for pid in &all {
        // Dead means gone, or a zombie where nothing reaps orphans.
        while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
        }) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // A zombie still answers kill(pid, 0), which PostgreSQL would take for a live server holding its locks.
    for lock in locks {
        std::fs::remove_file(&lock).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("todo.db").display());
    kill_9_loses_no_acknowledged_write(&url, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_loses_no_acknowledged_write() {
    // A server of its own: this test kills it.
    let Some(pg) = PgServer::start_private() else {
        return;
    };
    let url = pg.new_database().await;
    kill_9_loses_no_acknowledged_write(&url, Some(&pg)).await;
}

/// One line per server of the `todo` backend in HAProxy's CSV statistics: name → column → value.
async fn haproxy_servers(stats: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let csv = todo_testkit::http_client()
        .build()
        .unwrap()
        .get(format!("{stats}/stats;csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(str::to_owned))
                .collect::<BTreeMap<_, _>>()
        })
        .filter(|row| {
            row["pxname"] == "todo" && !["FRONTEND", "BACKEND"].contains(&row["svname"].as_str())
        })
        .map(|row| (row["svname"].clone(), row))
        .collect()
}

/// Waits until HAProxy sends traffic to every server again.
async fn wait_all_up(stats: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let servers = haproxy_servers(stats).await;
        if servers.values().all(|s| s["status"] == "UP") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "HAProxy never saw every server up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two `todo backend` processes behind HAProxy, configured as an operator would (health checks on
/// `/ready`, retries with redispatch), each restarted in turn with SIGTERM under load: every request
/// answers 2xx and every created task is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_behind_haproxy_fails_no_request() {
    if Command::new("haproxy").arg("-v").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs haproxy for the rolling restart test"
        );
        eprintln!(
            "warning: haproxy not found; rolling restart test skipped (apt-get install haproxy)"
        );
        return;
    }
    let Some(pg) = PgServer::shared() else { return };
    let database = pg.new_database().await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", database.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
        // Readiness fails at once, the listener stays open this long: HAProxy moves away first.
        ("SHUTDOWN_DELAY_SECONDS", "2"),
    ];
    let ports = [free_port(), free_port()];
    let mut backends = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let (child, _) = spawn_role_on(
            *port,
            &["backend"],
            &env,
            dir.path(),
            &format!("backend {i}"),
        )
        .await;
        backends.push(Reaped(child));
    }
    let (lb_port, stats_port) = (free_port(), free_port());
    let config = format!(
        "global
    log stderr format raw daemon
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response
listen todo
    bind 127.0.0.1:{lb_port}
    balance roundrobin
    option httpchk GET /ready
    option log-health-checks
    http-check expect status 200
    default-server check inter 200ms fall 2 rise 2
    server b0 127.0.0.1:{}
    server b1 127.0.0.1:{}
listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
",
        ports[0], ports[1]
    );
    std::fs::write(dir.path().join("haproxy.cfg"), config).unwrap();
    let log = std::fs::File::create(dir.path().join("haproxy.log")).unwrap();
    let _haproxy = Reaped(
        Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(dir.path().join("haproxy.cfg"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let lb = format!("http://127.0.0.1:{lb_port}");
    let stats = format!("http://127.0.0.1:{stats_port}");
    wait_for(&format!("{lb}/ready"), 200, Duration::from_secs(10)).await;
    wait_all_up(&stats).await;

    let tally = Arc::new(Mutex::new(Tally::default()));
    let load = Load::start(&lb, &writers("rolling"), "rolling", true, &tally);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (i, port) in ports.iter().enumerate() {
        terminate(&backends[i].0);
        let code =
            tokio::task::block_in_place(|| wait_exit(&mut backends[i].0, Duration::from_secs(30)));
        assert_eq!(code, 0);
        let (child, _) = spawn_role_on(
            *port,
            &["backend"],
            &env,
            dir.path(),
            &format!("backend {i} again"),
        )
        .await;
        backends[i] = Reaped(child);
        wait_all_up(&stats).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    load.stop().await;

    let servers = haproxy_servers(&stats).await;
    let created = {
        let t = tally.lock().unwrap();
        let haproxy_log = std::fs::read_to_string(dir.path().join("haproxy.log")).unwrap();
        // What HAProxy logged besides plain successes: servers going down and up, failed or retried
        // requests (`+n` retries) and client disconnections. (`[LEVEL]` lines repeat the log to stderr.)
        let events: Vec<&str> = haproxy_log
            .lines()
            .filter(|l| !l.starts_with('['))
            .filter(|l| !(l.contains(" 200 ") || l.contains(" 201 ")) || l.contains("/+"))
            .filter(|l| !l.contains("Health check for server"))
            .collect();
        assert!(
            t.failed.is_empty(),
            "{} of {} requests failed, the first: {:#?}\nHAProxy: {events:#?}",
            t.failed.len(),
            t.sent,
            &t.failed[..t.failed.len().min(10)]
        );
        // Retries hide a server that closes too early from the clients, not from HAProxy's counters.
        let counters = ["econ", "eresp", "wretr", "wredis"];
        let errors: Vec<String> = servers
            .iter()
            .flat_map(|(name, s)| counters.map(|c| format!("{name} {c} {}", s[c])))
            .collect();
        assert!(
            errors.iter().all(|e| e.ends_with(" 0")),
            "HAProxy met connection errors or had to retry, so a backend stopped accepting before \
             HAProxy took it out of rotation: {errors:?}\nHAProxy: {events:#?}"
        );
        eprintln!(
            "rolling restart: {} requests, 0 failed, 0 retried; {} tasks created",
            t.sent,
            t.created.len()
        );
        assert!(t.created.len() > 100, "too few requests to mean anything");
        t.created.len()
    };
    assert_eq!(assert_all_stored(&lb, &tally).await, created);
}
