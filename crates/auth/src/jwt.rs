use std::time::Duration;

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::jwks::Jwks;
use crate::Scopes;

/// How tokens are issued and checked; parsed once from configuration.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// HS256 secret (`BETTER_AUTH_SECRET`), at least 32 characters.
    pub secret: SecretString,
    /// Required `iss` of incoming tokens and the `iss` of issued ones (`BETTER_AUTH_ISSUER`).
    pub issuer: Option<String>,
    /// Required `aud` of incoming tokens when set.
    pub audience: Option<String>,
    /// JWKS of an external Better Auth server, for EdDSA/ES256/RS256 tokens.
    pub jwks_url: Option<String>,
    /// Lifetime of the JWTs `GET /api/auth/token` hands out.
    pub token_ttl: Duration,
    /// Longest lifetime (`exp` − `iat`, or `exp` − now without `iat`) of a token that is accepted.
    pub max_token_lifetime: Duration,
}

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("token expired")]
    Expired,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    /// The session a token this server issued belongs to (its `sid`); external tokens have none.
    pub session_id: Option<String>,
    /// What the token may do: everything for JWTs, the granted scopes for opaque tokens.
    pub scopes: Scopes,
    /// What kind of credential it was.
    pub credential: Credential,
}

/// The kind of bearer token a caller presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A JWT: this server's (from a session) or an external Better Auth server's.
    Jwt,
    /// A personal access token.
    Personal,
    /// An OAuth access token, bound to this resource (RFC 8707).
    OAuth { resource: String },
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    sid: &'a str,
    email: &'a str,
    name: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

#[derive(Deserialize)]
struct IncomingClaims {
    sub: Option<String>,
    id: Option<String>,
    sid: Option<String>,
    iat: Option<u64>,
    exp: u64,
}

pub struct Authenticator {
    config: AuthConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwks: Option<Jwks>,
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Self {
        Authenticator {
            encoding: EncodingKey::from_secret(config.secret.expose_secret().as_bytes()),
            decoding: DecodingKey::from_secret(config.secret.expose_secret().as_bytes()),
            jwks: config.jwks_url.clone().map(Jwks::new),
            config,
        }
    }

    /// A short-lived HS256 JWT for this user, tied to their session `session_id`.
    pub fn issue(&self, user_id: &str, session_id: &str, email: &str, name: &str) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = IssuedClaims {
            sub: user_id,
            sid: session_id,
            email,
            name,
            iat: now,
            exp: now + self.config.token_ttl.as_secs(),
            iss: self.config.issuer.as_deref(),
            aud: self.config.audience.as_deref(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    pub fn token_ttl(&self) -> Duration {
        self.config.token_ttl
    }

    /// Verifies a JWT. The algorithm is pinned by key type: the shared secret only ever checks HS256,
    /// JWKS keys only the asymmetric algorithm they are for, so neither `none` nor HS/RS confusion pass.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header =
            decode_header(token).map_err(|_| AuthError::Invalid("malformed token".into()))?;
        if has_crit(token) {
            // RFC 7515 §4.1.11: extensions listed as critical must be understood; none are here.
            return Err(AuthError::Invalid("unsupported critical header".into()));
        }
        let key = match header.alg {
            Algorithm::HS256 => self.decoding.clone(),
            Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256 => match &self.jwks {
                Some(jwks) => jwks.key_for(header.kid.as_deref(), header.alg).await?,
                None => {
                    return Err(AuthError::Invalid(
                        "asymmetric tokens need BETTER_AUTH_JWKS_URL".into(),
                    ))
                }
            },
            other => {
                return Err(AuthError::Invalid(format!(
                    "algorithm {other:?} is not accepted"
                )))
            }
        };
        let data =
            decode::<IncomingClaims>(token, &key, &self.validation(header.alg)).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::InvalidSignature => AuthError::Invalid("bad signature".into()),
                    ErrorKind::InvalidIssuer => AuthError::Invalid("wrong issuer".into()),
                    ErrorKind::InvalidAudience => AuthError::Invalid("wrong audience".into()),
                    ErrorKind::MissingRequiredClaim(c) => {
                        AuthError::Invalid(format!("missing claim {c}"))
                    }
                    ErrorKind::ImmatureSignature => {
                        AuthError::Invalid("token not valid yet".into())
                    }
                    _ => AuthError::Invalid("malformed token".into()),
                }
            })?;
        let claims = data.claims;
        let now = jsonwebtoken::get_current_timestamp();
        if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECS) {
            return Err(AuthError::Invalid("token issued in the future".into()));
        }
        let lifetime = claims.exp.saturating_sub(claims.iat.unwrap_or(now));
        if lifetime > self.config.max_token_lifetime.as_secs() + LEEWAY_SECS {
            return Err(AuthError::Invalid("token lifetime is too long".into()));
        }
        let text = |s: &String| !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_control);
        let user_id = claims.sub.or(claims.id).filter(text);
        let user_id = user_id.ok_or_else(|| AuthError::Invalid("no subject".into()))?;
        // Only tokens signed with our own secret can be ours; a `sid` in an external token is its own.
        let session_id = match header.alg {
            Algorithm::HS256 => claims.sid.filter(text),
            _ => None,
        };
        Ok(Identity {
            user_id,
            session_id,
            scopes: Scopes::ALL,
            credential: Credential::Jwt,
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(iss) = &self.config.issuer {
            v.set_issuer(&[iss]);
            required.push("iss");
        }
        match &self.config.audience {
            Some(aud) => {
                v.set_audience(&[aud]);
                required.push("aud");
            }
            None => v.validate_aud = false,
        }
        v.set_required_spec_claims(&required);
        v
    }
}

/// Whether the token's protected header carries `crit` (which `decode_header` does not expose).
fn has_crit(token: &str) -> bool {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&h).ok())
        .is_some_and(|h| h.contains_key("crit"))
}
