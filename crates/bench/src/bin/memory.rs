//! `scripts/bench-memory.sh`: starts the release `todo serve` on SQLite, floods it with unauthenticated
//! password work (16 workers signing in, 16 signing up, for BENCH_SECONDS, default 30) and prints the
//! server's resident memory at rest, at peak and at the end, and the sign-in and sign-up latencies.
//! Every request comes from an address of its own (`X-Forwarded-For` through a trusted loopback proxy),
//! as from many clients, so the per-address sign-in limits let the password work through.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use todo_bench::{connect, drive, rss_kib, send, start_server, Conn};

const WORKERS_PER_KIND: usize = 16;
const PASSWORD: &str = "correct horse battery";

/// A POST from client `i` of network `net`.0.0.0/8, through the trusted proxy (`drive` numbers each
/// worker's requests from `worker * 1,000,000`, so every request of a run has an address of its own).
fn post(
    path: &str,
    body: serde_json::Value,
    net: u8,
    i: usize,
) -> Request<Full<hyper::body::Bytes>> {
    let forwarded = format!("{net}.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(HOST, "bench")
        .header("x-forwarded-for", forwarded)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::from(body.to_string()))
        .unwrap()
}

fn mib(pid: u32, field: &str) -> f64 {
    rss_kib(pid, field) as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (server, _) = start_server(
        "serve",
        &url,
        dir.path(),
        &[("TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let pid = server.pid();
    let at_rest = mib(pid, "VmRSS:");
    let base = server.base_url();
    todo_bench::sign_up(&base, "member@example.com").await;

    let sign_ins: Arc<Vec<Conn>> = Arc::new(connect(&server.addr, WORKERS_PER_KIND).await);
    let sign_ups: Arc<Vec<Conn>> = Arc::new(connect(&server.addr, WORKERS_PER_KIND).await);
    let duration = Duration::from_secs_f64(seconds);
    let (signed_in, signed_up) = tokio::join!(
        drive(WORKERS_PER_KIND, duration, move |w, i| {
            let conns = sign_ins.clone();
            async move {
                let body = serde_json::json!({"email": "member@example.com", "password": PASSWORD});
                send(&conns[w], post("/api/auth/sign-in/email", body, 10, i))
                    .await
                    .is_some_and(|(status, _)| status.is_success())
            }
        }),
        drive(WORKERS_PER_KIND, duration, move |w, i| {
            let conns = sign_ups.clone();
            async move {
                let email = format!("flood-{i}@example.com");
                let body =
                    serde_json::json!({"email": email, "password": PASSWORD, "name": "Flood"});
                send(&conns[w], post("/api/auth/sign-up/email", body, 11, i))
                    .await
                    .is_some_and(|(status, _)| status.is_success())
            }
        }),
    );
    println!(
        "release `todo serve` on SQLite, {seconds} s of {WORKERS_PER_KIND} concurrent sign-ins + {WORKERS_PER_KIND} concurrent sign-ups"
    );
    let peak = mib(pid, "VmHWM:");
    let at_end = mib(pid, "VmRSS:");
    // What stays once the last hashes are done and their memory is given back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "RSS MiB: at rest {at_rest:.1}, peak {peak:.1}, at the end {at_end:.1}, 1 s later {:.1}",
        mib(pid, "VmRSS:")
    );
    for (what, s) in [("sign-in", signed_in), ("sign-up", signed_up)] {
        println!(
            "{what}: {:.1}/s, p50 {:.0} ms, p99 {:.0} ms, errors {}",
            s.rps, s.p50_ms, s.p99_ms, s.errors
        );
    }
}
