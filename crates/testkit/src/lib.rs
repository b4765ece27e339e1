//! What the test suites and the benchmark share: a real PostgreSQL (`TEST_DATABASE_URL` when given,
//! otherwise a throwaway server made with the machine's own `initdb`/`pg_ctl` in a temp dir on a random
//! port; under `CI=true` a missing PostgreSQL fails the run instead of skipping), an HTTP client,
//! waiting for a server to answer, and a webhook receiver that verifies what it is sent. Only tests
//! depend on it, and it must not depend on the product's crates: it reaches servers over HTTP, as a
//! client would.

mod webhook_receiver;

pub use webhook_receiver::{Received, Receiver, Reply, TOLERANCE};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;

pub mod push;

pub struct PgServer {
    /// URL of a maintenance database on which test databases are created.
    pub admin_url: String,
    data: Option<PathBuf>,
    bin: PathBuf,
    /// Whether the server also accepts TLS (with a self-signed certificate).
    pub tls: bool,
}

/// A self-signed certificate in the data directory, so the server can offer TLS as hosted
/// PostgreSQL does. `false` when openssl is not available.
fn make_certificate(data: &Path) -> bool {
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(data.join("server.key"))
        .arg("-out")
        .arg(data.join("server.crt"))
        .output()
        .is_ok_and(|o| o.status.success());
    if made && is_root() {
        let mut chown = Command::new("chown");
        chown
            .arg("postgres:postgres")
            .arg(data.join("server.key"))
            .arg(data.join("server.crt"));
        run(chown, "chown certificate");
    }
    made && Command::new("chmod")
        .arg("600")
        .arg(data.join("server.key"))
        .status()
        .is_ok_and(|s| s.success())
}

fn bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|d| d.join("initdb").exists())
        .or_else(|| {
            let out = Command::new("pg_config").arg("--bindir").output().ok()?;
            let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
            dir.join("initdb").exists().then_some(dir)
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn pg_command(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    /// The server shared by every test of this run, or `None` (outside CI only) when there is none.
    pub fn shared() -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
                    return Some(PgServer {
                        admin_url: url,
                        data: None,
                        bin: PathBuf::new(),
                        tls: false,
                    });
                }
                PgServer::start_private()
            })
            .as_ref()
    }

    /// A server of our own (for tests that stop and start it).
    pub fn start_private() -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but no PostgreSQL: install postgresql or set TEST_DATABASE_URL"
            );
            eprintln!("warning: no PostgreSQL found; PostgreSQL tests are skipped (set TEST_DATABASE_URL or install postgresql)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("todo-pg-")
            .tempdir()
            .unwrap()
            .keep();
        if is_root() {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&dir);
            run(chown, "chown");
        }
        let data = dir.join("data");
        let mut initdb = pg_command(&bin, "initdb");
        initdb
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data);
        run(initdb, "initdb");
        let tls = make_certificate(&data);
        let port = free_port();
        let server = PgServer {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            data: Some(data),
            tls,
            bin,
        };
        server.start(port);
        // Stop the server and remove its files when this test process ends, however it ends.
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = if is_root() { format!("runuser -u postgres -- {}", server.bin.join("pg_ctl").display()) } else { server.bin.join("pg_ctl").display().to_string() },
            data = server.data.as_ref().unwrap().display(),
            dir = dir.display(),
        );
        // `setsid -f` detaches the watchdog from this process group and returns at once.
        Command::new("setsid")
            .args(["-f", "sh", "-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("watchdog");
        Some(server)
    }

    fn port(&self) -> u16 {
        let rest = self.admin_url.rsplit_once(':').unwrap().1;
        rest.split('/').next().unwrap().parse().unwrap()
    }

    /// Starts (or restarts) the private server and waits until it accepts connections.
    pub fn start(&self, port: u16) {
        let data = self
            .data
            .as_ref()
            .expect("only a private server can be started");
        let sock_dir = data.parent().unwrap();
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.args(["-D"]).arg(data).args(["-l"]).arg(sock_dir.join("log")).args([
            "-w",
            "-o",
            &format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c ssl={}",
                sock_dir.display(),
                if self.tls { "on" } else { "off" }
            ),
            "start",
        ]);
        run(c, "pg_ctl start");
    }

    pub fn restart(&self) {
        self.start(self.port());
    }

    pub fn stop(&self) {
        let data = self
            .data
            .as_ref()
            .expect("only a private server can be stopped");
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.arg("-D").arg(data).args(["-m", "fast", "-w", "stop"]);
        run(c, "pg_ctl stop");
    }

    /// A fresh, empty database for one test.
    pub async fn new_database(&self) -> String {
        let name = format!("t_{}", rand::random::<u64>());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut conn = loop {
            match sqlx::PgConnection::connect(&self.admin_url).await {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("waiting for PostgreSQL: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("PostgreSQL at {} unreachable: {e}", self.admin_url),
            }
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let (base, _) = self.admin_url.rsplit_once('/').unwrap();
        format!("{base}/{name}")
    }
}

/// An HTTP client builder for tests and benchmarks, on the same TLS provider as the product
/// (reqwest is compiled without one of its own: see the workspace's Cargo.toml).
pub fn http_client() -> reqwest::ClientBuilder {
    // `Err` means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// Polls `url` until it answers HTTP `want`; returns how long that took. Panics, with the last
/// answer, when it has not within `within`.
pub async fn wait_for(url: &str, want: u16, within: Duration) -> Duration {
    let client = http_client().build().expect("an HTTP client");
    let start = Instant::now();
    loop {
        // Long enough for a server's answer after waiting out its 5 s for a database connection (a 503
        // may be the answer awaited), short enough to poll again a server that never answers.
        let got = client
            .get(url)
            .timeout(Duration::from_secs(6))
            .send()
            .await
            .map(|r| r.status().as_u16());
        if got.as_ref().is_ok_and(|s| *s == want) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{url} did not answer {want} within {within:?}; last: {got:?}"
        );
        // Frequent polls: the image tests report start-up times from this.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A user signed up through the API as a browser does: the session token, and a JWT traded for it.
pub struct SignedUp {
    pub id: String,
    pub session: String,
    pub jwt: String,
}

/// Signs `email` up at `base` (any role that serves `/api/auth`) and takes a JWT; a refusal panics
/// with the server's answer.
pub async fn sign_up(client: &reqwest::Client, base: &str, email: &str) -> SignedUp {
    let answer = |r: reqwest::Response| async move {
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        assert!(status.is_success(), "{base}: {status} {body}");
        body
    };
    let body =
        serde_json::json!({"email": email, "password": "correct horse battery", "name": "Tester"});
    let r = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let user = answer(r).await;
    let session = user["token"].as_str().unwrap().to_owned();
    let r = client
        .get(format!("{base}/api/auth/token"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    let token = answer(r).await;
    SignedUp {
        id: user["user"]["id"].as_str().unwrap().to_owned(),
        jwt: token["token"].as_str().unwrap().to_owned(),
        session,
    }
}
