//! Webhooks: endpoints users register for events, their delivery log, and which addresses a
//! webhook may never reach (the server's own network).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::notification::Event;
use crate::validation::ValidationError;

/// Most webhooks one user may register.
pub const MAX_WEBHOOKS: usize = 10;
/// Longest webhook URL, in bytes.
pub const MAX_WEBHOOK_URL: usize = 2000;

/// Body of `POST /api/{user_id}/webhooks`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// `https://` (or `http://`) address the events are POSTed to.
    #[schema(example = "https://example.com/hooks/todo")]
    pub url: String,
    /// Event names: `task.created`, `task.updated`, `task.completed`, `task.deleted`, `reminder.due`.
    pub events: Vec<String>,
}

/// A checked [`CreateWebhook`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<Event>,
}

impl CreateWebhook {
    /// Checks the URL and events. A host given as a literal address on the server's own network is
    /// refused here unless `allow_private`; names are checked again when sending, after resolution.
    pub fn validate(&self, allow_private: bool) -> Result<NewWebhook, ValidationError> {
        let mut errors = ValidationError::default();
        let url = self.url.trim();
        if url.len() > MAX_WEBHOOK_URL {
            errors.add("url", format!("must be at most {MAX_WEBHOOK_URL} bytes"));
        } else {
            match url::Url::parse(url) {
                Err(e) => errors.add("url", format!("is not a URL: {e}")),
                Ok(u) if !matches!(u.scheme(), "https" | "http") => {
                    errors.add("url", "must be an https:// (or http://) URL")
                }
                Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                    errors.add("url", "must not carry a user name or password")
                }
                Ok(u) => match u.host() {
                    None => errors.add("url", "must name a host"),
                    Some(host) => {
                        let literal = match host {
                            url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
                            url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
                            url::Host::Domain(_) => None,
                        };
                        if literal.is_some_and(|ip| !allow_private && !is_public(ip)) {
                            errors.add(
                                "url",
                                "must not point at a loopback, private, link-local or other internal address",
                            );
                        }
                    }
                },
            }
        }
        let mut events = Vec::new();
        if self.events.is_empty() {
            errors.add("events", "choose at least one event");
        }
        for name in &self.events {
            match Event::parse(name).filter(|e| Event::ALL.contains(e)) {
                Some(e) if !events.contains(&e) => events.push(e),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = Event::ALL.iter().map(|e| e.as_str()).collect();
                    errors.add(
                        "events",
                        format!("unknown event `{name}`; one of {}", known.join(", ")),
                    );
                }
            }
        }
        errors.into_result(NewWebhook {
            url: url.to_owned(),
            events,
        })
    }
}

/// A registered webhook, as `GET /api/{user_id}/webhooks` lists it (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<Event>,
    pub created_at: DateTime<Utc>,
    /// Set when the endpoint answered 410 Gone: nothing is sent to it any more.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Its most recent messages, newest first.
    pub deliveries: Vec<DeliveryLog>,
}

/// One message to a webhook and the attempts at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryLog {
    /// The `webhook-id` the receiver saw (the same on every attempt).
    pub message_id: String,
    pub event: String,
    /// `pending` (being tried), `delivered` or `failed` (given up).
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub attempts: Vec<AttemptLog>,
}

/// One attempt at a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptLog {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

/// Whether a webhook may connect to `ip`: not to the server's own machine or networks (loopback,
/// RFC 1918 and unique-local, link-local with the cloud metadata address, CGNAT, multicast,
/// unspecified, reserved and documentation ranges), nor to IPv6 forms that embed such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => public_v6(a),
    }
}

fn public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    let internal = a.is_unspecified()
        || b0 == 0
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || (b0 == 100 && (64..128).contains(&b1)) // CGNAT 100.64.0.0/10
        || (b0 == 192 && b1 == 0 && b2 == 0) // IETF protocol assignments
        || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
        || a.is_documentation()
        || a.is_multicast()
        || b0 >= 240; // reserved and broadcast
    !internal
}

fn public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let s = a.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s[0] {
        // NAT64 64:ff9b::/96 and 6to4 2002::/16 reach the IPv4 address inside.
        0x64 if s[1] == 0xff9b => public_v4(embedded(s[6], s[7])),
        0x2002 => public_v4(embedded(s[1], s[2])),
        // Teredo and documentation.
        0x2001 if s[1] == 0 || s[1] == 0xdb8 => false,
        _ => {
            !(a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || s[..6] == [0; 6]) // IPv4-compatible ::a.b.c.d and other reserved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn the_servers_own_networks_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::127.0.0.1",
        ] {
            assert!(!public(a), "{a} counted as public");
        }
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(a), "{a} counted as internal");
        }
    }

    fn create(url: &str, events: &[&str]) -> CreateWebhook {
        CreateWebhook {
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn urls_and_events_are_checked_naming_the_field() {
        let ok = create("https://example.com/h", &["task.created", "task.created"])
            .validate(false)
            .unwrap();
        assert_eq!(ok.events, [Event::TaskCreated]);
        for (body, field) in [
            (create("ftp://example.com/", &["task.created"]), "url"),
            (create("not a url", &["task.created"]), "url"),
            (create("https://u:p@example.com/", &["task.created"]), "url"),
            (create("http://127.0.0.1:8080/", &["task.created"]), "url"),
            (create("http://[::1]/", &["task.created"]), "url"),
            (
                create("http://169.254.169.254/latest", &["reminder.due"]),
                "url",
            ),
            (create("https://example.com/", &[]), "events"),
            (create("https://example.com/", &["task.exploded"]), "events"),
            (create("https://example.com/", &["webhook.test"]), "events"),
        ] {
            let e = body.validate(false).unwrap_err();
            assert!(e.fields.contains_key(field), "{:?} → {e}", body.url);
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_WEBHOOK_URL));
        assert!(create(&long, &["task.created"]).validate(false).is_err());
        assert!(create("http://127.0.0.1:8080/", &["task.created"])
            .validate(true)
            .is_ok());
    }
}
