//! The `todo` binary's library half: configuration and the server lifecycle, shared by `main` and the
//! integration tests (which start the real server on a random port).

pub mod config;
mod listener;
pub mod server;
pub mod telemetry;
pub mod transfer;

/// Makes ring the process's TLS provider, before any HTTP client is built (reqwest is compiled
/// without one of its own, so building a client without it would panic). Idempotent.
pub fn install_tls_provider() {
    // `Err` means a provider is already installed, which is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
