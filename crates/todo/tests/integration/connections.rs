//! Clients that hold connections without using them: silent ones, ones that trickle their headers, and
//! thousands of both against a server allowed few open files. They are closed on time and cannot make
//! the server unreachable for everyone else.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::process::{get, spawn, terminate, todo, wait_exit};
use crate::support::SECRET;
use todo_testkit::free_port;
use todo_testkit::wait_for;

/// The server's open-file limit: far fewer than the connections thrown at it.
const FILE_LIMIT: libc::rlim_t = 256;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Slack for a busy machine when checking when a connection was closed.
const SLACK: Duration = Duration::from_secs(3);

/// `todo serve` limited to FILE_LIMIT open files, with short connection timeouts.
async fn start(dir: &Path) -> (Child, u16) {
    let port = free_port();
    let mut c = todo(dir);
    c.env("PORT", port.to_string())
        .env("BETTER_AUTH_SECRET", SECRET)
        .env("LOG_FORMAT", "json")
        .env(
            "HEADER_READ_TIMEOUT_SECONDS",
            HEADER_READ_TIMEOUT.as_secs().to_string(),
        )
        .env("IDLE_TIMEOUT_SECONDS", IDLE_TIMEOUT.as_secs().to_string());
    let limit = libc::rlimit {
        rlim_cur: FILE_LIMIT,
        rlim_max: FILE_LIMIT,
    };
    // SAFETY: setrlimit is async-signal-safe and touches only the child about to exec.
    unsafe {
        c.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let child = spawn(c, dir);
    wait_for(
        &format!("http://127.0.0.1:{port}/ready"),
        200,
        Duration::from_secs(20),
    )
    .await;
    (child, port)
}

/// How long after `since` the server closed `stream` (end of stream or reset), reading and discarding
/// whatever it sends; `None` if it was still open after `within`.
async fn closed_after(
    mut stream: impl AsyncRead + Unpin,
    since: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, closed).await.ok()
}

/// Sends a request line, then one header line every `every`, never finishing; stops when the server
/// has closed the connection.
async fn trickle(mut stream: tokio::net::tcp::OwnedWriteHalf, every: Duration) {
    if stream.write_all(b"GET /health HTTP/1.1\r\n").await.is_err() {
        return;
    }
    while stream.write_all(b"x-slow: 1\r\n").await.is_ok() {
        tokio::time::sleep(every).await;
    }
}

async fn connect(port: u16) -> Option<TcpStream> {
    tokio::time::timeout(
        Duration::from_secs(3),
        TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .ok()?
    .ok()
}

fn assert_closed_near(what: &str, closed: Option<Duration>, timeout: Duration) {
    let closed = closed.unwrap_or_else(|| panic!("{what}: still open {:?} after", timeout + SLACK));
    assert!(
        closed + Duration::from_millis(200) >= timeout && closed <= timeout + SLACK,
        "{what}: closed after {closed:?}, expected about {timeout:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start(dir.path()).await;
    let within = IDLE_TIMEOUT + SLACK;

    let started = Instant::now();
    let silent = connect(port).await.unwrap();
    let (slow, writer) = connect(port).await.unwrap().into_split();
    tokio::spawn(trickle(writer, Duration::from_millis(300)));
    let mut kept_alive = connect(port).await.unwrap();
    kept_alive
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    kept_alive.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let answered = Instant::now();

    let (silent, slow, kept_alive) = tokio::join!(
        closed_after(silent, started, within),
        closed_after(slow, started, within),
        closed_after(kept_alive, answered, within),
    );
    assert_closed_near("a connection that sends nothing", silent, IDLE_TIMEOUT);
    assert_closed_near(
        "a connection trickling its headers",
        slow,
        HEADER_READ_TIMEOUT,
    );
    assert_closed_near(
        "a keep-alive connection after its answer",
        kept_alive,
        IDLE_TIMEOUT,
    );

    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
}

/// 2,000 connections, half silent and half trickling their headers, against a server allowed 256 open
/// files: it keeps answering, and never runs out of file descriptors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_slow_connections_does_not_starve_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start(dir.path()).await;
    let health = format!("http://127.0.0.1:{port}/health");

    let flood: Vec<_> = (0..2000)
        .map(|i| {
            tokio::spawn(async move {
                let stream = connect(port).await?;
                if i % 2 == 0 {
                    // Silent: held open until the server closes it.
                    closed_after(stream, Instant::now(), Duration::from_secs(30)).await;
                } else {
                    let (_, writer) = stream.into_split();
                    trickle(writer, Duration::from_secs(1)).await;
                }
                Some(())
            })
        })
        .collect();
    // Let the flood reach the server before asking it anything.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for _ in 0..5 {
        assert_eq!(
            get(&health).await.map(|r| r.0),
            Some(200),
            "/health during the flood"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for task in flood {
        task.abort();
    }

    terminate(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(
        !log.contains("Too many open files"),
        "ran out of file descriptors:\n{}",
        log.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
}
