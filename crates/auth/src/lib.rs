//! Who is calling: password hashes, opaque session tokens, and JWTs (issued with HS256, verified with
//! HS256 or through a JWKS so tokens from an external Better Auth server work too).
//! Pure credentials logic: it must not depend on storage, HTTP routing or the domain.

mod jwks;
mod jwt;
mod password;
mod scopes;
mod session;

pub use jwt::{AuthConfig, AuthError, Authenticator, Credential, Identity};
pub use password::{hash_password, on_password_thread, verify_password};
pub use scopes::{pkce_s256_matches, Scopes, SCOPE_NAMES};
pub use session::{
    hash_session_token, new_bearer_token, new_id, new_session_token, origin_is_host,
    session_cookie, SESSION_COOKIE,
};
