//! Webhooks, sent as the Standard Webhooks specification says: a JSON POST signed with HMAC-SHA256
//! over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the endpoint's `whsec_` secret.
//!
//! Endpoints are the users' choice, so they could point the server at its own network (SSRF). Unless
//! allowed, every address a name resolves to is checked before connecting, by this client's own
//! resolver (the connection goes to the checked address: a DNS answer cannot change in between),
//! literal addresses are checked before sending, no proxy is used, and redirects are not followed (a
//! 3xx is a failed attempt, as the specification recommends).

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use todo_storage::{Delivery, Store};

use crate::channels::{Outcome, SendFuture, Sender};
use crate::egress::{check_literal, PublicOnly, Refused};
use crate::scheduler::Clock;

/// How long an endpoint has to answer (the specification recommends 15–30 s). Shorter than any
/// lease, so a slow endpoint is not sent the same message by a second process meanwhile.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// The prefix of a Standard Webhooks symmetric secret.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookSettings {
    /// Send to loopback, private and link-local addresses too (`WEBHOOK_ALLOW_PRIVATE`; tests and
    /// self-hosters whose receivers live next to the server).
    pub allow_private: bool,
}

/// The signature header's value for one attempt: `v1,<base64 HMAC-SHA256>`; `None` when `secret` is
/// not a `whsec_` secret.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Sends webhook messages claimed from the outbox.
pub struct WebhookSender {
    store: Store,
    client: reqwest::Client,
    settings: WebhookSettings,
    clock: Arc<dyn Clock>,
}

impl WebhookSender {
    /// `clock` dates a disabled endpoint; the signature's timestamp is always the real time (the
    /// receiver compares it with its own clock).
    pub fn new(
        store: Store,
        settings: WebhookSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let mut client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("todo-webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(WebhookSender {
            store,
            client: client.build().map_err(|e| e.to_string())?,
            settings,
            clock,
        })
    }

    async fn deliver(&self, d: &Delivery) -> Outcome {
        let give_up = |error: String| Outcome::Failed {
            status: None,
            error,
            retry: false,
        };
        let target = match self.store.webhook_target(d.target_id).await {
            Ok(Some(t)) => t,
            Ok(None) => return give_up("the webhook was deleted".into()),
            Err(e) => {
                return Outcome::Failed {
                    status: None,
                    error: format!("database: {e}"),
                    retry: true,
                }
            }
        };
        if target.disabled {
            return give_up("the webhook is disabled (its endpoint answered 410 Gone)".into());
        }
        let secret = SecretString::from(target.secret);
        let Ok(url) = reqwest::Url::parse(&target.url) else {
            return give_up(format!("not a URL: {}", target.url));
        };
        if !self.settings.allow_private {
            if let Err(refused) = check_literal(&url) {
                return give_up(refused.to_string());
            }
        }
        let timestamp = chrono::Utc::now().timestamp();
        let Some(signature) = sign(secret.expose_secret(), &d.message_id, timestamp, &d.payload)
        else {
            return give_up("the webhook's secret is not a whsec_ secret".into());
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Outcome::Sent {
                status: r.status().as_u16(),
            },
            Ok(r) if r.status() == reqwest::StatusCode::GONE => {
                if let Err(e) = self
                    .store
                    .disable_webhook(d.target_id, self.clock.now())
                    .await
                {
                    tracing::warn!(webhook = d.target_id, error = %e, "could not disable a webhook that answered 410");
                }
                Outcome::Failed {
                    status: Some(410),
                    error: "410 Gone: the endpoint is disabled".into(),
                    retry: false,
                }
            }
            // Every other status is a failure to retry (the specification's advice), redirects too.
            Ok(r) => Outcome::Failed {
                status: Some(r.status().as_u16()),
                error: format!("HTTP {}", r.status()),
                retry: true,
            },
            Err(e) => match Refused::within(&e) {
                Some(refused) => give_up(refused.to_string()),
                None if e.is_timeout() => Outcome::Failed {
                    status: None,
                    error: format!("no answer within {} s", WEBHOOK_TIMEOUT.as_secs()),
                    retry: true,
                },
                None => Outcome::Failed {
                    status: None,
                    error: chain(&e),
                    retry: true,
                },
            },
        }
    }
}

/// An error with its causes, for the delivery log ("error sending request: connection refused").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        text = format!("{text}: {err}");
        cur = err.source();
    }
    text
}

impl Sender for WebhookSender {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a> {
        Box::pin(self.deliver(delivery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks reference libraries' tests.
    #[test]
    fn signs_as_the_reference_libraries_do() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, body), None);
    }
}
