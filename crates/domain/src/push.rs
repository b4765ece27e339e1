//! Web Push subscriptions: what a browser's `PushSubscription.toJSON()` gives, and the checks it must
//! pass before the server will send anything to it (RFC 8030 endpoint, RFC 8291 keys).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationError;

/// Longest accepted endpoint URL (the push services' are about 200–500 characters).
pub const MAX_ENDPOINT_CHARS: usize = 2048;
/// An uncompressed P-256 point: 0x04, then x and y.
const P256DH_BYTES: usize = 65;
/// RFC 8291 §3.2: the authentication secret is 16 octets.
const AUTH_BYTES: usize = 16;

/// The browser's subscription, as `JSON.stringify(subscription)` writes it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushSubscriptionInput {
    #[serde(default)]
    pub endpoint: String,
    #[serde(default)]
    pub keys: PushKeysInput,
    /// Ignored: the push service says when a subscription is gone (404/410).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PushKeysInput {
    /// The browser's P-256 public key, base64url (65 bytes decoded).
    #[serde(default)]
    pub p256dh: String,
    /// The authentication secret, base64url (16 bytes decoded).
    #[serde(default)]
    pub auth: String,
}

/// A subscription that passed [`PushSubscriptionInput::validate`]; keys kept as base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPushSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// A device that receives the user's push notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PushSubscription {
    pub id: i64,
    pub endpoint: String,
    pub created_at: DateTime<Utc>,
}

/// Decodes base64url with or without padding (browsers write it without).
pub fn decode_base64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('=')).ok()
}

impl PushSubscriptionInput {
    /// Checks the endpoint (an `https` URL; `http` too when `allow_insecure`, for a local push service
    /// in tests) and the key lengths, naming every field at fault.
    pub fn validate(self, allow_insecure: bool) -> Result<NewPushSubscription, ValidationError> {
        let mut errors = ValidationError::default();
        let endpoint = self.endpoint.trim().to_owned();
        let scheme_ok = |s: &str| s == "https" || (allow_insecure && s == "http");
        if endpoint.is_empty() {
            errors.add("endpoint", "must not be empty");
        } else if endpoint.chars().count() > MAX_ENDPOINT_CHARS {
            errors.add(
                "endpoint",
                format!("must be at most {MAX_ENDPOINT_CHARS} characters"),
            );
        } else {
            match url::Url::parse(&endpoint) {
                Ok(u) if scheme_ok(u.scheme()) && u.host().is_some() => {}
                _ => errors.add("endpoint", "must be an https URL with a host"),
            }
        }
        let key = |field: &str, raw: &str, len: usize, errors: &mut ValidationError| {
            match decode_base64url(raw) {
                Some(b) if b.len() == len && (len != P256DH_BYTES || b[0] == 4) => {
                    Some(URL_SAFE_NO_PAD.encode(b))
                }
                _ => {
                    let what = if len == P256DH_BYTES {
                        "an uncompressed P-256 public key"
                    } else {
                        "16 bytes"
                    };
                    errors.add(field, format!("must be base64url of {what}"));
                    None
                }
            }
        };
        let p256dh = key("keys.p256dh", &self.keys.p256dh, P256DH_BYTES, &mut errors);
        let auth = key("keys.auth", &self.keys.auth, AUTH_BYTES, &mut errors);
        match (p256dh, auth) {
            (Some(p256dh), Some(auth)) if errors.fields.is_empty() => Ok(NewPushSubscription {
                endpoint,
                p256dh,
                auth,
            }),
            _ => Err(errors),
        }
    }
}

/// A browser's swap of one subscription for another (`pushsubscriptionchange` in its service worker):
/// the endpoint it had, when it knows it, and the subscription it has now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PushRenewalInput {
    /// The endpoint of the subscription the browser dropped; absent or `null` when it gave none.
    #[serde(default)]
    pub old_endpoint: Option<String>,
    /// The new subscription, as `PushSubscription.toJSON()` writes it.
    pub subscription: PushSubscriptionInput,
}

/// A [`PushRenewalInput`] that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRenewal {
    pub old_endpoint: Option<String>,
    pub subscription: NewPushSubscription,
}

impl PushRenewalInput {
    /// Checks both parts, naming `old_endpoint` and the subscription's fields under `subscription.`.
    pub fn validate(self, allow_insecure: bool) -> Result<PushRenewal, ValidationError> {
        let mut errors = ValidationError::default();
        let old_endpoint = self.old_endpoint.map(|e| e.trim().to_owned());
        match &old_endpoint {
            Some(e) if e.is_empty() => errors.add(
                "old_endpoint",
                "must not be empty (leave it out when there was none)",
            ),
            Some(e) if e.chars().count() > MAX_ENDPOINT_CHARS => errors.add(
                "old_endpoint",
                format!("must be at most {MAX_ENDPOINT_CHARS} characters"),
            ),
            _ => {}
        }
        match self.subscription.validate(allow_insecure) {
            Ok(subscription) => errors.into_result(PushRenewal {
                old_endpoint,
                subscription,
            }),
            Err(e) => {
                for (field, message) in e.fields {
                    errors.add(format!("subscription.{field}"), message);
                }
                Err(errors)
            }
        }
    }
}

/// The endpoint named in an unsubscribe.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PushEndpoint {
    #[serde(default)]
    pub endpoint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(endpoint: &str, p256dh: &str, auth: &str) -> PushSubscriptionInput {
        PushSubscriptionInput {
            endpoint: endpoint.into(),
            keys: PushKeysInput {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
            expiration_time: None,
        }
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn a_browser_subscription_is_accepted_and_its_keys_normalised() {
        let mut point = [7u8; 65];
        point[0] = 4;
        // Padded base64url, as some libraries write it.
        let padded = format!("{}==", b64(&[1u8; 16]));
        let s = input(
            "https://fcm.googleapis.com/fcm/send/abc",
            &b64(&point),
            &padded,
        )
        .validate(false)
        .unwrap();
        assert_eq!(s.auth, b64(&[1u8; 16]));
        assert_eq!(s.p256dh, b64(&point));
    }

    #[test]
    fn each_bad_field_is_named() {
        let e = input("http://push.example/x", &b64(&[4u8; 64]), &b64(&[1u8; 15]))
            .validate(false)
            .unwrap_err();
        let fields: Vec<&str> = e.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["endpoint", "keys.auth", "keys.p256dh"]);
        // A compressed point (0x02/0x03) is not what browsers send and not what RFC 8291 uses.
        let mut compressed = [7u8; 65];
        compressed[0] = 2;
        let e = input("https://p.example/x", &b64(&compressed), &b64(&[1u8; 16]))
            .validate(false)
            .unwrap_err();
        assert!(e.fields.contains_key("keys.p256dh"));
        assert!(input("", "", "").validate(true).unwrap_err().fields.len() == 3);
        assert!(input("ftp://p.example/x", "", "")
            .validate(true)
            .unwrap_err()
            .fields
            .contains_key("endpoint"));
    }

    #[test]
    fn a_renewal_names_its_fields_under_their_parts() {
        let mut point = [7u8; 65];
        point[0] = 4;
        let good = input("https://p.example/new", &b64(&point), &b64(&[1u8; 16]));
        let renewal = |old: Option<&str>, sub: PushSubscriptionInput| PushRenewalInput {
            old_endpoint: old.map(str::to_owned),
            subscription: sub,
        };
        let ok = renewal(Some(" https://p.example/old "), good.clone())
            .validate(false)
            .unwrap();
        assert_eq!(ok.old_endpoint.as_deref(), Some("https://p.example/old"));
        assert_eq!(ok.subscription.endpoint, "https://p.example/new");
        assert_eq!(
            renewal(None, good.clone())
                .validate(false)
                .unwrap()
                .old_endpoint,
            None
        );
        let e = renewal(Some(" "), input("", &b64(&point), "x"))
            .validate(false)
            .unwrap_err();
        let fields: Vec<&str> = e.fields.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "old_endpoint",
                "subscription.endpoint",
                "subscription.keys.auth"
            ]
        );
        let long = format!("https://p.example/{}", "a".repeat(MAX_ENDPOINT_CHARS));
        let e = renewal(Some(&long), good).validate(false).unwrap_err();
        assert!(e.fields["old_endpoint"].contains("at most"), "{e}");
    }

    #[test]
    fn http_endpoints_only_when_allowed() {
        let mut point = [7u8; 65];
        point[0] = 4;
        let i = input("http://127.0.0.1:9/push/1", &b64(&point), &b64(&[1u8; 16]));
        assert!(i.clone().validate(false).is_err());
        assert!(i.validate(true).is_ok());
    }
}
