//! Web Push: the server's VAPID key and contact, and whether test push services on private addresses
//! are allowed.

use std::sync::Arc;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use todo_notify::{PushSettings, VapidKey};

use super::{non_empty, non_empty_secret, ConfigError};

#[derive(Args, Debug, Clone)]
pub struct PushArgs {
    /// The VAPID private key: P-256 in PKCS#8 PEM (`openssl genpkey -algorithm EC -pkeyopt
    /// ec_paramgen_curve:P-256`). Unset: generated once and kept in the database, shared by every replica.
    #[arg(long, env = "VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<SecretString>,
    /// Who push services may contact about this server's messages: `mailto:…` or `https://…`
    /// (default: FRONTEND_URL when it is https, else mailto:todo@localhost).
    #[arg(long, env = "VAPID_SUBJECT")]
    pub vapid_subject: Option<String>,
    /// Accept `http://` push endpoints and ones on private or loopback addresses (tests, development).
    #[arg(long, env = "PUSH_ALLOW_INSECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub push_allow_insecure: bool,
}

/// Web Push, validated.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// `None`: the key kept in the database.
    pub key: Option<Arc<VapidKey>>,
    pub subject: String,
    pub settings: PushSettings,
}

impl PushArgs {
    pub(super) fn config(&self, frontend_url: Option<&str>) -> Result<PushConfig, ConfigError> {
        let key = non_empty_secret(&self.vapid_private_key)
            .map(|pem| {
                VapidKey::from_pem(pem.expose_secret())
                    .map(Arc::new)
                    .map_err(|e| ConfigError(format!("VAPID_PRIVATE_KEY {e}")))
            })
            .transpose()?;
        let subject = match non_empty(&self.vapid_subject) {
            Some(s) => {
                let ok = s.strip_prefix("mailto:").is_some_and(|a| a.contains('@'))
                    || url::Url::parse(&s)
                        .is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
                if !ok {
                    return Err(ConfigError(format!(
                        "VAPID_SUBJECT must be mailto:you@example.com or an https:// URL (got {s:?})"
                    )));
                }
                s
            }
            None => frontend_url
                .and_then(|f| url::Url::parse(f).ok())
                .filter(|u| u.scheme() == "https")
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|| "mailto:todo@localhost".to_owned()),
        };
        Ok(PushConfig {
            key,
            subject,
            settings: PushSettings {
                allow_insecure: self.push_allow_insecure,
                ..PushSettings::default()
            },
        })
    }
}
