//! The container images, built from the repository's Dockerfile with podman and run against a real
//! PostgreSQL: size, user, read-only root filesystem, probes, name resolution inside a `FROM scratch`
//! image, a sign-up and a task round-trip, memory at rest and under load, and a clean SIGTERM exit.
//!
//! No registry is reachable where this runs, so the Dockerfile's builder stage (`FROM rust:…`) is
//! replaced by a folder holding the statically linked binary built here on the host
//! (`--build-context builder=DIR`); the runtime stages are built exactly as `docker build` builds them.
//! `TODO_STATIC_BIN=path` skips the host build and uses that binary.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use todo_deploy_tests::{output, repo_root, run_ok, tool};
use todo_testkit::{free_port, wait_for, PgServer};

const SECRET: &str = "image-test-secret-that-is-long-enough-0123456789";
/// SPEC §7's aim per image, reported when missed; the hard cap fails a clear regression (the images
/// were ~19.7 MB with the `dist` profile's whole-program LTO, ~24 MiB once the binary carried the
/// IANA time-zone database, the RRULE engine, the import readers and the sign-in limiter, and 27.7 MiB
/// with the OAuth server, the MCP sessions, Web Push, webhooks and the iCalendar feed).
const GOAL_IMAGE_BYTES: u64 = 20_000_000;
const MAX_IMAGE_BYTES: u64 = 29 * 1024 * 1024;

/// Builds (or takes) the static binary: glibc with crt-static, as the Dockerfile's builder does.
fn static_binary() -> PathBuf {
    if let Ok(p) = std::env::var("TODO_STATIC_BIN") {
        return PathBuf::from(p);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = Instant::now();
    let mut build = Command::new(cargo);
    // `cargo test` gives this process CARGO_* variables (CARGO_TARGET_TMPDIR, CARGO_PKG_*…) that
    // would change dependencies' fingerprints and force a full rebuild of an up-to-date binary.
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_") && k != "CARGO_HOME" {
            build.env_remove(k);
        }
    }
    run_ok(
        build
            .current_dir(repo_root())
            .args([
                "build",
                "--profile",
                "dist",
                "--locked",
                "-p",
                "todo",
                "--target",
                "x86_64-unknown-linux-gnu",
            ])
            .env("RUSTFLAGS", "-C target-feature=+crt-static"),
    );
    eprintln!("static build: {:.1?}", started.elapsed());
    repo_root().join("target/x86_64-unknown-linux-gnu/dist/todo")
}

/// Removes what the test started, however it ends.
struct Cleanup {
    podman: PathBuf,
    containers: Vec<String>,
    network: Option<String>,
    kube: Vec<PathBuf>,
    secrets: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // A failed run leaves no containers behind, so show what they said before removing them.
        if std::thread::panicking() {
            for c in &self.containers {
                if let Ok(out) = Command::new(&self.podman)
                    .args(["logs", "--tail", "40", c])
                    .output()
                {
                    eprintln!(
                        "--- podman logs {c} ---\n{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
        for k in &self.kube {
            let _ = Command::new(&self.podman)
                .arg("kube")
                .arg("down")
                .arg(k)
                .output();
        }
        for s in &self.secrets {
            let _ = Command::new(&self.podman)
                .args(["secret", "rm", s])
                .output();
        }
        for c in &self.containers {
            let _ = Command::new(&self.podman)
                .args(["rm", "-f", "-t", "0", c])
                .output();
        }
        if let Some(n) = &self.network {
            let _ = Command::new(&self.podman)
                .args(["network", "rm", "-f", n])
                .output();
        }
    }
}

struct Podman {
    bin: PathBuf,
}

impl Podman {
    fn cmd(&self) -> Command {
        Command::new(&self.bin)
    }

    fn ok(&self, args: &[&str]) -> String {
        run_ok(self.cmd().args(args)).trim().to_string()
    }

    fn inspect(&self, what: &str, format: &str) -> String {
        self.ok(&["inspect", "--format", format, what])
    }

    /// Memory of a running container in bytes, from its cgroup (what `podman stats` reports).
    fn memory(&self, name: &str) -> u64 {
        let out = self.ok(&[
            "stats",
            "--no-stream",
            "--no-reset",
            "--format",
            "{{.MemUsage}}",
            name,
        ]);
        // "11.2MB / 1.5GB"
        let used = out.split('/').next().unwrap().trim();
        let (num, unit) = used.split_at(used.find(|c: char| c.is_ascii_alphabetic()).unwrap());
        let num: f64 = num.trim().parse().unwrap();
        let factor = match unit {
            "B" => 1.0,
            "kB" | "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            other => panic!("unit {other} in {out}"),
        };
        (num * factor) as u64
    }
}

/// (VmRSS, VmHWM) of a process in bytes: resident memory now, and its peak.
fn rss(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn get(client: &reqwest::Client, url: &str) -> Option<(u16, String)> {
    let r = client.get(url).send().await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}

/// Waits until the server at `base` answers `/ready` 200 (it uses the database).
///
/// The test also calls it on the backend after each container joins the network: on this host,
/// podman (netavark 1.4) sometimes drops the packets of an established connection from one
/// container to the host when another container starts. The backend's pooled database connection
/// then goes silent (seen with `ss`: 27 bytes unacknowledged for good), and the first request that
/// picks it waits out the pool's 5 s and gets 503, the designed answer to a lost database. Each
/// such connection is dropped once tried, so polling `/ready` clears them before the test goes on.
/// A cluster's pod network does not do this.
async fn until_ready(base: &str) {
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(30)).await;
}

/// Forwards a port on `bind` to PostgreSQL on 127.0.0.1, which the throwaway server only listens on.
async fn forward_to(bind: Ipv4Addr, target: SocketAddr) -> u16 {
    let listener = tokio::net::TcpListener::bind((bind, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    port
}

fn build_image(podman: &Podman, context: &Path, target: &str, tag: &str) -> Duration {
    let started = Instant::now();
    podman.ok(&[
        "build",
        "--pull=never",
        "--quiet",
        // HEALTHCHECK exists only in the Docker image format (podman defaults to OCI, which drops it).
        "--format",
        "docker",
        "--build-context",
        &format!("builder={}", context.display()),
        "--target",
        target,
        "--build-arg",
        "VERSION=test",
        "-t",
        tag,
        "-f",
        &repo_root().join("Dockerfile").display().to_string(),
        &repo_root().display().to_string(),
    ]);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn images_build_small_and_run_the_roles_locked_down() {
    let Some(podman_bin) = tool("podman") else {
        return;
    };
    let Some(pg) = PgServer::shared() else { return };
    let podman = Podman {
        bin: podman_bin.clone(),
    };
    let id = format!("{:x}", rand_id());
    let mut cleanup = Cleanup {
        podman: podman_bin,
        containers: vec![],
        network: None,
        kube: vec![],
        secrets: vec![],
    };

    // The builder stage's output, laid out as the runtime stages read it.
    let binary = static_binary();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ctx.path().join("out")).unwrap();
    std::fs::create_dir_all(ctx.path().join("etc/ssl/certs")).unwrap();
    std::fs::copy(&binary, ctx.path().join("out/todo")).unwrap();
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        ctx.path().join("etc/ssl/certs/ca-certificates.crt"),
    )
    .expect("CA bundle (apt-get install ca-certificates)");

    let backend_img = "localhost/todo-backend:test";
    let frontend_img = "localhost/todo-frontend:test";
    let t_backend = build_image(&podman, ctx.path(), "backend", backend_img);
    let t_frontend = build_image(&podman, ctx.path(), "frontend", frontend_img);
    eprintln!("image builds: backend {t_backend:.1?}, frontend {t_frontend:.1?}");

    // Image metadata: size, numeric non-root user, ports, health check, labels.
    for (img, port, title) in [
        (backend_img, "8000", "todo-backend"),
        (frontend_img, "3000", "todo-frontend"),
    ] {
        let size: u64 = podman
            .ok(&["image", "inspect", "--format", "{{.Size}}", img])
            .parse()
            .unwrap();
        eprintln!(
            "image {img}: {size} bytes ({:.1} MiB)",
            size as f64 / 1048576.0
        );
        assert!(size <= MAX_IMAGE_BYTES, "{img} is {size} bytes");
        if size > GOAL_IMAGE_BYTES {
            eprintln!("warning: {img} is over the 20 MB aim");
        }
        let image: Value = serde_json::from_str(&podman.ok(&["image", "inspect", img])).unwrap();
        let config = &image[0]["Config"];
        assert_eq!(config["User"], "10001:10001", "{img}");
        assert!(
            config["ExposedPorts"].get(format!("{port}/tcp")).is_some(),
            "{img}: {config}"
        );
        assert_eq!(config["Entrypoint"], json!(["/usr/local/bin/todo"]));
        assert_eq!(config["Labels"]["org.opencontainers.image.title"], title);
        assert_eq!(config["Labels"]["org.opencontainers.image.version"], "test");
        let check = &image[0]["Healthcheck"]["Test"];
        assert_eq!(check[2], "healthcheck", "{img}: {check}");
        assert!(
            check[3]
                .as_str()
                .unwrap()
                .starts_with(&format!("http://127.0.0.1:{port}/")),
            "{img}: {check}"
        );
        // No shell, no package manager: nothing but the binary can run.
        let sh = output(podman.cmd().args([
            "run",
            "--rm",
            "--entrypoint",
            "/bin/sh",
            img,
            "-c",
            "true",
        ]));
        assert!(!sh.status.success(), "{img} has a shell");
    }
    let roles = run_ok(Command::new(&binary).arg("--help"));
    let has_role = |r: &str| {
        roles
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{r} ")))
    };

    // A network with DNS (as a cluster has): containers reach each other by name.
    let network = format!("todo-it-{id}");
    podman.ok(&["network", "create", &network]);
    cleanup.network = Some(network.clone());
    let gateway = podman.ok(&[
        "network",
        "inspect",
        "--format",
        "{{range .Subnets}}{{.Gateway}}{{end}}",
        &network,
    ]);

    // The backend starts before its database is reachable: alive, not ready, not crashing.
    let db_url = pg.new_database().await;
    let (_, db_name) = db_url.rsplit_once('/').unwrap();
    let pg_port: u16 = pg
        .admin_url
        .rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let backend = format!("todo-backend-{id}");
    let be_port = free_port();
    // The database is reached by a host name (db.internal, from /etc/hosts), not an IP.
    let proxy_port_placeholder = free_port();
    // Generous: a cold container on a loaded CI machine (first DNS lookup, first connections, a
    // password hash) is slow once; the figures printed below are what the test reports.
    let client = todo_testkit::http_client()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let run_backend_at = Instant::now();
    podman.ok(&[
        "run",
        "-d",
        "--name",
        &backend,
        "--network",
        &network,
        "--read-only",
        "--add-host",
        &format!("db.internal:{gateway}"),
        "-p",
        &format!("127.0.0.1:{be_port}:8000"),
        "-e",
        &format!("DATABASE_URL=postgres://postgres@db.internal:{proxy_port_placeholder}/{db_name}"),
        "-e",
        &format!("BETTER_AUTH_SECRET={SECRET}"),
        "-e",
        "SHUTDOWN_DELAY_SECONDS=1",
        backend_img,
    ]);
    cleanup.containers.push(backend.clone());
    let base = format!("http://127.0.0.1:{be_port}");
    let alive = wait_for(&format!("{base}/health"), 200, Duration::from_secs(20)).await;
    let start_to_live = run_backend_at.elapsed();
    let (status, body) = get(&client, &format!("{base}/health")).await.unwrap();
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "healthy"}))
    );
    assert_eq!(
        get(&client, &format!("{base}/ready")).await.unwrap().0,
        503,
        "ready without a database"
    );
    eprintln!("backend container: `podman run` to /health 200 in {start_to_live:.0?} (polling {alive:.0?})");

    // Non-root, read-only root filesystem: checked on the running process, not just the flags.
    let pid = podman.inspect(&backend, "{{.State.Pid}}");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.split_whitespace().skip(1).all(|u| u == "10001"),
        "{uid_line}"
    );
    let write = output(podman.cmd().args([
        "exec",
        &backend,
        "/usr/local/bin/todo",
        "migrate",
        "--database-url",
        "sqlite:///probe.db",
        "--wait-seconds",
        "0",
    ]));
    assert!(!write.status.success(), "wrote to the root filesystem");
    assert_eq!(
        podman.inspect(&backend, "{{.HostConfig.ReadonlyRootfs}}"),
        "true"
    );

    // `todo migrate` (the Helm hook's command) from the same image, reaching the database by name.
    // Bind the forwarder to the network's gateway only now that the bridge exists.
    let gw: Ipv4Addr = gateway.parse().unwrap();
    let proxy_port = forward_to(gw, SocketAddr::from(([127, 0, 0, 1], pg_port))).await;
    let container_db_url = format!("postgres://postgres@db.internal:{proxy_port}/{db_name}");
    let migrate = output(podman.cmd().args([
        "run",
        "--rm",
        "--network",
        &network,
        "--read-only",
        "--add-host",
        &format!("db.internal:{gateway}"),
        "-e",
        &format!("DATABASE_URL={container_db_url}"),
        backend_img,
        "migrate",
    ]));
    assert!(
        migrate.status.success(),
        "migrate: {}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    // The first backend was given an unreachable port on purpose; replace it by one that reaches the database.
    podman.ok(&["rm", "-f", "-t", "0", &backend]);
    let run_backend_at = Instant::now();
    podman.ok(&[
        "run",
        "-d",
        "--name",
        &backend,
        "--network",
        &network,
        "--read-only",
        "--add-host",
        &format!("db.internal:{gateway}"),
        "-p",
        &format!("127.0.0.1:{be_port}:8000"),
        "-e",
        &format!("DATABASE_URL={container_db_url}"),
        "-e",
        &format!("BETTER_AUTH_SECRET={SECRET}"),
        "-e",
        "SHUTDOWN_DELAY_SECONDS=1",
        backend_img,
    ]);
    wait_for(&format!("{base}/ready"), 200, Duration::from_secs(20)).await;
    let start_to_ready = run_backend_at.elapsed();
    let pid = podman.inspect(&backend, "{{.State.Pid}}");
    eprintln!("backend container: `podman run` to /ready 200 in {start_to_ready:.0?}");
    // The image's own HEALTHCHECK (todo healthcheck, no shell needed).
    podman.ok(&["healthcheck", "run", &backend]);

    // Sign up, trade the session for a JWT, create and read back a task.
    let api = |base: &str, path: &str| format!("{base}{path}");
    let user = sign_up_and_round_trip(&client, &base).await;

    // Name resolution through DNS from another container of the image (a Service name, in a cluster).
    let probe = output(podman.cmd().args([
        "run",
        "--rm",
        "--network",
        &network,
        "--read-only",
        frontend_img,
        "healthcheck",
        &format!("http://{backend}:8000/ready"),
    ]));
    assert!(
        probe.status.success(),
        "DNS name {backend} not resolved: {}",
        String::from_utf8_lossy(&probe.stderr)
    );

    let mut extra_roles = vec![];
    if has_role("mcp") {
        let mcp = format!("todo-mcp-{id}");
        let mcp_port = free_port();
        podman.ok(&[
            "run",
            "-d",
            "--name",
            &mcp,
            "--network",
            &network,
            "--read-only",
            "--add-host",
            &format!("db.internal:{gateway}"),
            "-p",
            &format!("127.0.0.1:{mcp_port}:8001"),
            "-e",
            &format!("DATABASE_URL={container_db_url}"),
            "-e",
            &format!("BETTER_AUTH_SECRET={SECRET}"),
            // Loopback is accepted without being listed.
            "-e",
            "MCP_ALLOWED_HOSTS=mcp.example.com",
            backend_img,
            "mcp",
        ]);
        cleanup.containers.push(mcp.clone());
        until_ready(&base).await;
        let mcp_base = format!("http://127.0.0.1:{mcp_port}");
        wait_for(&api(&mcp_base, "/health"), 200, Duration::from_secs(20)).await;
        wait_for(&api(&mcp_base, "/ready"), 200, Duration::from_secs(20)).await;
        // A tool call over Streamable HTTP, as the caller's user, lands in the shared database.
        let mcp_call = |id: u64, method: &str, params: Value| {
            client
                .post(format!("{mcp_base}/mcp"))
                .bearer_auth(&user.1)
                .header("accept", "application/json, text/event-stream")
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
                .send()
        };
        let init = mcp_call(1, "initialize", json!({"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "image-test", "version": "1"}})).await.unwrap();
        assert_eq!(init.status(), 200);
        let text = init.text().await.unwrap();
        assert!(text.contains("serverInfo"), "{text}");
        let call = mcp_call(
            2,
            "tools/call",
            json!({"name": "add_task", "arguments": {"title": "Added over MCP"}}),
        )
        .await
        .unwrap();
        let text = call.text().await.unwrap();
        assert!(text.contains("created"), "{text}");
        let tasks: Value = client
            .get(format!("{base}/api/{}/tasks?q=over%20MCP", user.0))
            .bearer_auth(&user.1)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
        extra_roles.push("mcp");
    }
    if has_role("frontend") {
        let frontend = format!("todo-frontend-{id}");
        let fe_port = free_port();
        podman.ok(&[
            "run",
            "-d",
            "--name",
            &frontend,
            "--network",
            &network,
            "--read-only",
            "-p",
            &format!("127.0.0.1:{fe_port}:3000"),
            "-e",
            &format!("BACKEND_URL=http://{backend}:8000"),
            "-e",
            &format!("BETTER_AUTH_SECRET={SECRET}"),
            frontend_img,
        ]);
        cleanup.containers.push(frontend.clone());
        until_ready(&base).await;
        let fe_base = format!("http://127.0.0.1:{fe_port}");
        wait_for(&api(&fe_base, "/api/health"), 200, Duration::from_secs(20)).await;
        podman.ok(&["healthcheck", "run", &frontend]);
        // The same round trip through the frontend's /api proxy.
        sign_up_and_round_trip(&client, &fe_base).await;
        extra_roles.push("frontend");
    }
    eprintln!(
        "roles run from the images: backend, migrate, healthcheck{}",
        extra_roles
            .iter()
            .map(|r| format!(", {r}"))
            .collect::<String>()
    );

    // The chart's own rendering, run by `podman kube play`.
    // (No /etc/hosts entry there: the database by the gateway's address.)
    let kube_db_url = format!("postgres://postgres@{gateway}:{proxy_port}/{db_name}");
    kube_play(&podman, &mut cleanup, &client, &network, &kube_db_url).await;
    until_ready(&base).await;

    // Memory: at rest, then under a little load (concurrent list requests).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_rest = podman.memory(&backend);
    let (rss_at_rest, _) = rss(&pid);
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..16 {
        let client = client.clone();
        let url = format!("{base}/api/{}/tasks?limit=50", user.0);
        let jwt = user.1.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..60 {
                let r = client.get(&url).bearer_auth(&jwt).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    // Sample while the load runs.
    let mut peak = 0;
    while !tasks.iter().all(|t| t.is_finished()) {
        peak = peak.max(podman.memory(&backend));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    peak = peak.max(podman.memory(&backend));
    let (_, rss_peak) = rss(&pid);
    eprintln!(
        "backend process RSS: {:.1} MiB at rest, {:.1} MiB peak (VmHWM) after the load",
        rss_at_rest as f64 / 1048576.0,
        rss_peak as f64 / 1048576.0
    );
    eprintln!(
        "backend container cgroup memory (podman stats): {:.1} MiB at rest, {:.1} MiB peak under 960 requests from 16 clients ({:.0} req/s)",
        at_rest as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        960.0 / elapsed.as_secs_f64()
    );
    // The chart requests 48Mi and limits at 128Mi: both must hold with room to spare. "At rest" comes
    // after sign-ups, so it includes the allocator's hold on a password hash's 19 MiB.
    assert!(
        rss_at_rest < 48 * 1024 * 1024,
        "{rss_at_rest} bytes at rest"
    );
    assert!(rss_peak < 96 * 1024 * 1024, "{rss_peak} bytes under load");
    assert!(peak < 96 * 1024 * 1024, "{peak} bytes under load");

    // SIGTERM: readiness fails, in-flight work finishes, exit code 0.
    let stop_at = Instant::now();
    podman.ok(&["stop", "-t", "30", &backend]);
    let stopped_in = stop_at.elapsed();
    assert_eq!(podman.inspect(&backend, "{{.State.ExitCode}}"), "0");
    eprintln!(
        "backend container: SIGTERM to exit 0 in {stopped_in:.1?} (SHUTDOWN_DELAY_SECONDS=1)"
    );
}

/// Signs a new user up, takes a JWT, creates a task and reads it back: (user id, JWT).
async fn sign_up_and_round_trip(client: &reqwest::Client, base: &str) -> (String, String) {
    let email = format!("ada-{:x}@example.com", rand_id());
    let started = Instant::now();
    let todo_testkit::SignedUp {
        id: user_id, jwt, ..
    } = todo_testkit::sign_up(client, base, &email).await;
    eprintln!("sign-up via {base}: {:.0?}", started.elapsed());
    let r = client
        .post(format!("{base}/api/{user_id}/tasks"))
        .bearer_auth(&jwt)
        .json(&json!({"title": "Ship the images", "priority": "high", "tags": ["deploy"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let r = client
        .get(format!("{base}/api/{user_id}/tasks/{}", created["id"]))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let task: Value = r.json().await.unwrap();
    assert_eq!(task["title"], "Ship the images");
    assert_eq!(task["tags"], json!(["deploy"]));
    (user_id, jwt)
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

/// Runs the chart's backend Deployment, ConfigMaps and Secret with `podman kube play`: the rendered
/// pod spec (user, read-only root filesystem, envFrom wiring) must give a working backend.
async fn kube_play(
    podman: &Podman,
    cleanup: &mut Cleanup,
    client: &reqwest::Client,
    network: &str,
    db_url: &str,
) {
    let Some(helm) = tool("helm") else { return };
    let release = format!("kp{:x}", rand_id() & 0xffffff);
    // podman publishes a kube pod's container ports on the host as they are: use a free one.
    let port = free_port();
    let chart = todo_deploy_tests::chart_dir();
    let rendered = todo_deploy_tests::helm_template(
        &helm,
        &release,
        &chart,
        &[
            "--set",
            "frontend.enabled=false",
            "--set",
            "mcp.enabled=false",
            "--set",
            "postgresql.enabled=false",
            "--set",
            &format!("global.secret.data.DATABASE_URL={db_url}"),
            "--set",
            &format!("global.secret.data.BETTER_AUTH_SECRET={SECRET}"),
            "--set",
            "backend.image.repository=localhost/todo-backend",
            "--set",
            "backend.image.tag=test",
            "--set",
            &format!("backend.containerPort={port}"),
            // kube play has no Helm hooks: the earlier `todo migrate` run already migrated this database.
            "--set",
            "backend.migration.enabled=false",
        ],
    )
    .unwrap();
    let objects = todo_deploy_tests::parse_yaml_stream(&rendered);
    let mut docs = vec![];
    for o in &objects {
        match o["kind"].as_str().unwrap() {
            "Deployment" | "ConfigMap" => docs.push(serde_yaml::to_string(o).unwrap()),
            // podman 4.3 stores a Secret document as YAML but reads kube secrets as a JSON map of
            // base64 values, so the Secret is created that way instead.
            "Secret" => {
                let name = o["metadata"]["name"].as_str().unwrap().to_string();
                let file = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(file.path(), serde_json::to_vec(&o["data"]).unwrap()).unwrap();
                let _ = podman.cmd().args(["secret", "rm", &name]).output();
                podman.ok(&[
                    "secret",
                    "create",
                    &name,
                    &file.path().display().to_string(),
                ]);
                cleanup.secrets.push(name);
            }
            // Services, NetworkPolicies, PDBs and test pods have no podman equivalent.
            _ => {}
        }
    }
    let file = std::env::temp_dir().join(format!("{release}.yaml"));
    std::fs::write(&file, docs.join("---\n")).unwrap();
    cleanup.kube.push(file.clone());
    let started = Instant::now();
    podman.ok(&[
        "kube",
        "play",
        "--network",
        network,
        &file.display().to_string(),
    ]);
    let base = format!("http://127.0.0.1:{port}");
    until_ready(&base).await;
    eprintln!(
        "podman kube play (chart's Deployment): /ready 200 in {:.0?}",
        started.elapsed()
    );
    assert_eq!(get(client, &format!("{base}/health")).await.unwrap().0, 200);
    sign_up_and_round_trip(client, &base).await;
    let container = format!("{release}-backend-pod-0-backend");
    let pid = podman.inspect(&container, "{{.State.Pid}}");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.split_whitespace().skip(1).all(|u| u == "10001"),
        "{uid_line}"
    );
    assert_eq!(
        podman.inspect(&container, "{{.HostConfig.ReadonlyRootfs}}"),
        "true"
    );
    // podman turns an httpGet probe into a `curl` run through a shell inside the container, which a
    // shell-less image cannot execute; Kubernetes' kubelet probes from outside and has no such limit.
    let probe = podman.inspect(&container, "{{json .Config.Healthcheck.Test}}");
    eprintln!(
        "podman kube play: liveness probe translated to {probe} (not runnable in a scratch image)"
    );
}
