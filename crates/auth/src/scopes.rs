//! What a token may do: OAuth scopes (`tasks:read`, `tasks:write`, `chat`), carried by OAuth and
//! personal tokens. The API's own JWTs and external ones carry them all.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub chat: bool,
}

pub const SCOPE_NAMES: [&str; 3] = ["tasks:read", "tasks:write", "chat"];

impl Scopes {
    pub const ALL: Scopes = Scopes {
        read: true,
        write: true,
        chat: true,
    };

    /// A space-separated scope list (RFC 6749 §3.3); an unknown name is an error naming it.
    /// `tasks:write` includes reading: a client cannot change a task it cannot find.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        let mut s = Scopes::default();
        for name in list.split_ascii_whitespace() {
            match name {
                "tasks:read" => s.read = true,
                "tasks:write" => {
                    s.read = true;
                    s.write = true;
                }
                "chat" => s.chat = true,
                other => return Err(format!("unknown scope '{other}'")),
            }
        }
        Ok(s)
    }

    pub fn is_empty(&self) -> bool {
        !(self.read || self.write || self.chat)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [self.read, self.write, self.chat]
            .into_iter()
            .zip(SCOPE_NAMES)
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        f.write_str(&names.join(" "))
    }
}

/// Whether a PKCE `code_verifier` answers an S256 `code_challenge` (RFC 7636 §4.6), and is itself
/// well formed (43–128 unreserved characters).
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print() {
        let s = Scopes::parse("chat  tasks:read").unwrap();
        assert_eq!(s.to_string(), "tasks:read chat");
        assert_eq!(
            Scopes::parse("tasks:write").unwrap().to_string(),
            "tasks:read tasks:write"
        );
        assert_eq!(Scopes::ALL.to_string(), "tasks:read tasks:write chat");
        assert!(Scopes::parse("").unwrap().is_empty());
        assert!(Scopes::parse("tasks:read admin")
            .unwrap_err()
            .contains("admin"));
    }

    #[test]
    fn pkce_matches_the_rfc_example() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            verifier,
            "F9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches("short", challenge));
    }
}
