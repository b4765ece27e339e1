//! A webhook receiver for the tests: an HTTP server on 127.0.0.1 that checks every request as a
//! Standard Webhooks consumer must (the `webhook-signature` recomputed with the endpoint's secret,
//! compared in constant time; the `webhook-timestamp` within tolerance of its own clock), records what
//! arrived, and answers as the test scripts it (a status, or holding the request without answering).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signatures older or newer than this are refused (the reference libraries' tolerance).
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// How the receiver answers a request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// A redirect to this URL.
    Redirect(u16, String),
    /// Never answer (the sender times out, or dies waiting).
    Hold,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub timestamp: i64,
    pub body: serde_json::Value,
    /// What it was answered (0: held).
    pub status: u16,
    pub at: SystemTime,
}

#[derive(Default)]
struct Shared {
    secret: Mutex<Option<Vec<u8>>>,
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
    /// Requests that failed verification, and why.
    refused: Mutex<Vec<String>>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    /// Starts on a random loopback port; requests are answered 200 unless scripted otherwise.
    pub async fn start() -> Receiver {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            url,
            shared,
            _stop: stop,
        }
    }

    /// The endpoint's `whsec_` secret, as the sender's API handed it out.
    pub fn set_secret(&self, secret: &str) {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
            .expect("a base64 secret");
        *self.shared.secret.lock().unwrap() = Some(key);
    }

    /// The next requests are answered these ways, in order; then 200.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Requests whose signature or timestamp did not verify.
    pub fn refused(&self) -> Vec<String> {
        self.shared.refused.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {n} webhook requests arrived within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks a request as a Standard Webhooks consumer does; the message id and timestamp when good.
fn verify(key: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<(String, i64), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(format!("no {name} header"))
    };
    let id = header("webhook-id")?;
    let timestamp: i64 = header("webhook-timestamp")?
        .parse()
        .map_err(|_| "webhook-timestamp is not an integer".to_owned())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - timestamp).unsigned_abs() > TOLERANCE.as_secs() {
        return Err(format!(
            "timestamp {timestamp} is {}s from now",
            now - timestamp
        ));
    }
    let signatures = header("webhook-signature")?;
    let good = signatures.split(' ').any(|sig| {
        let Some(b64) = sig.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(b64) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    });
    if !good {
        return Err(format!("no valid v1 signature in {signatures:?}"));
    }
    Ok((id.to_owned(), timestamp))
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = shared.secret.lock().unwrap().clone() else {
        shared
            .refused
            .lock()
            .unwrap()
            .push("a request before the secret was known".into());
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let (message_id, timestamp) = match verify(&key, &headers, &body) {
        Ok(v) => v,
        Err(why) => {
            shared.refused.lock().unwrap().push(why);
            return StatusCode::UNAUTHORIZED.into_response();
        }
    };
    let reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Status(200));
    let status = match &reply {
        Reply::Status(s) | Reply::Redirect(s, _) => *s,
        Reply::Hold => 0,
    };
    shared.received.lock().unwrap().push(Received {
        message_id,
        timestamp,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        status,
        at: SystemTime::now(),
    });
    match reply {
        Reply::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        Reply::Redirect(s, to) => {
            (StatusCode::from_u16(s).unwrap(), [("location", to)]).into_response()
        }
        Reply::Hold => std::future::pending().await,
    }
}
