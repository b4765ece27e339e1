use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The cookie that carries a session token: Better Auth's name, so its browser clients keep working
/// against this server. The API sets it; the web UI reads it.
pub const SESSION_COOKIE: &str = "better-auth.session_token";

/// The session cookie's name: over HTTPS (`Secure` cookies) with the `__Host-` prefix, which the
/// browser only accepts from this very host, so a sibling subdomain cannot plant or shadow it.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-better-auth.session_token"
    } else {
        SESSION_COOKIE
    }
}

/// Whether a browser's `Origin` header names `host` (the request's `Host`): the check that a request
/// riding on the session cookie comes from this site's own pages.
pub fn origin_is_host(origin: &str, host: &str) -> bool {
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// 256 random bits, URL-safe.
fn random_256() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new opaque session token. Only its hash is stored.
pub fn new_session_token() -> SecretString {
    random_256().into()
}

/// A new opaque bearer token: `prefix` (which says what it is, e.g. `todo_pat_`, so secret scanners
/// and people recognise it) and 256 random bits. Only its hash is stored.
pub fn new_bearer_token(prefix: &str) -> SecretString {
    format!("{prefix}{}", random_256()).into()
}

/// A new id for a row (a user, a session): unguessable, so ids reveal nothing, but not a secret.
pub fn new_id() -> String {
    random_256()
}

/// What the database keeps of a session or bearer token: a leaked table cannot be replayed as sessions.
pub fn hash_session_token(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashes_stable() {
        let (a, b) = (new_session_token(), new_session_token());
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 43);
        assert_eq!(hash_session_token(&a), hash_session_token(&a));
        assert_ne!(hash_session_token(&a), hash_session_token(&b));
        assert!(!format!("{a:?}").contains(a.expose_secret()));
        assert_ne!(new_id(), new_id());
    }
}
