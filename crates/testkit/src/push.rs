//! A push service for the tests (RFC 8030), on 127.0.0.1: it hands out subscriptions with keys of its
//! own making, checks every message as a real one would (TTL, `Content-Encoding: aes128gcm`, the VAPID
//! `Authorization` of RFC 8292: an ES256 JWT for its origin, expiring within 24 hours, with a contact),
//! decrypts the body with the subscription's private key and auth secret (RFC 8291, by RustCrypto's
//! implementation, independent of the server's), and answers as told (201, or 410 for an expired one).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use web_push_native::p256;

/// One message the service accepted and decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The subscription's name.
    pub device: String,
    pub ttl: u64,
    pub urgency: Option<String>,
    /// The decrypted payload.
    pub message: Value,
    /// The VAPID token's claims.
    pub claims: Value,
    /// The VAPID public key the message was signed with (`k`).
    pub key: String,
}

struct Device {
    secret: p256::SecretKey,
    auth: [u8; 16],
    /// Statuses to answer, in order; 201 once they run out.
    answers: VecDeque<u16>,
}

#[derive(Default)]
struct Inner {
    devices: HashMap<String, Device>,
    received: Vec<Received>,
    /// Requests refused for breaking the protocol, with the reason.
    refused: Vec<String>,
}

#[derive(Clone)]
pub struct PushService {
    pub origin: String,
    inner: Arc<Mutex<Inner>>,
}

impl PushService {
    pub async fn start() -> PushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let service = PushService {
            origin,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/push/{device}", post(receive))
            .with_state(service.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        service
    }

    /// A new subscription, as `PushSubscription.toJSON()` writes it.
    pub fn subscribe(&self, device: &str) -> Value {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut auth);
        let p256dh = URL_SAFE_NO_PAD.encode(secret.public_key().to_sec1_bytes());
        let json = json!({
            "endpoint": format!("{}/push/{device}", self.origin),
            "expirationTime": null,
            "keys": {"p256dh": p256dh, "auth": URL_SAFE_NO_PAD.encode(auth)},
        });
        let d = Device {
            secret,
            auth,
            answers: VecDeque::new(),
        };
        self.inner.lock().unwrap().devices.insert(device.into(), d);
        json
    }

    /// The next answers to messages for `device` (then 201 again).
    pub fn answer(&self, device: &str, statuses: &[u16]) {
        let mut inner = self.inner.lock().unwrap();
        let d = inner.devices.get_mut(device).expect("a subscribed device");
        d.answers.extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Requests refused for not following the protocol: a test expects none.
    pub fn refused(&self) -> Vec<String> {
        self.inner.lock().unwrap().refused.clone()
    }

    /// Waits until `n` messages (in all) have arrived; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = std::time::Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "{} of {n} push messages within {within:?}; refused: {:?}",
                got.len(),
                self.refused()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Verifies `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): the claims and the key.
fn check_vapid(headers: &HeaderMap, origin: &str) -> Result<(Value, String), String> {
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization")?;
    let rest = value.strip_prefix("vapid ").ok_or("not the vapid scheme")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => token = Some(t.to_owned()),
            Some(("k", k)) => key = Some(k.to_owned()),
            _ => return Err(format!("unexpected parameter {part:?}")),
        }
    }
    let (token, key) = token.zip(key).ok_or("t and k are both required")?;
    let point = URL_SAFE_NO_PAD
        .decode(&key)
        .map_err(|_| "k is not base64url")?;
    if point.len() != 65 || point[0] != 4 {
        return Err("k is not an uncompressed P-256 point".into());
    }
    let decoding = jsonwebtoken::DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..]),
    )
    .map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[origin]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
        .map_err(|e| format!("VAPID token refused: {e}"))?
        .claims;
    let exp = claims["exp"].as_i64().unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if exp > now + 24 * 3600 {
        return Err("exp is more than 24 hours ahead".into());
    }
    let sub = claims["sub"].as_str().unwrap_or_default();
    if !(sub.starts_with("mailto:") || sub.starts_with("https://")) {
        return Err(format!("sub {sub:?} is neither mailto: nor https:"));
    }
    Ok((claims, key))
}

async fn receive(
    State(service): State<PushService>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut inner = service.inner.lock().unwrap();
    let checked = (|| {
        let ttl: u64 = header("ttl")
            .and_then(|t| t.parse().ok())
            .ok_or("TTL header missing or not a number")?;
        if header("content-encoding").as_deref() != Some("aes128gcm") {
            return Err("Content-Encoding is not aes128gcm".to_owned());
        }
        if body.len() > 4096 {
            return Err(format!("body of {} bytes is over 4096", body.len()));
        }
        let (claims, key) = check_vapid(&headers, &service.origin)?;
        let d = inner.devices.get(&device).ok_or("no such subscription")?;
        let auth = web_push_native::Auth::clone_from_slice(&d.auth);
        let plain = web_push_native::decrypt(body.to_vec(), &d.secret, &auth)
            .map_err(|e| format!("cannot decrypt: {e:?}"))?;
        let message: Value =
            serde_json::from_slice(&plain).map_err(|e| format!("payload is not JSON: {e}"))?;
        Ok(Received {
            device: device.clone(),
            ttl,
            urgency: header("urgency"),
            message,
            claims,
            key,
        })
    })();
    match checked {
        Ok(received) => {
            inner.received.push(received);
            let d = inner.devices.get_mut(&device).expect("checked above");
            StatusCode::from_u16(d.answers.pop_front().unwrap_or(201)).unwrap()
        }
        Err(why) => {
            inner.refused.push(why);
            StatusCode::BAD_REQUEST
        }
    }
}
