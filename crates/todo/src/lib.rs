//! The `todo` binary's library half: configuration and the server lifecycle, shared by `main` and the
//! integration tests (which start the real server on a random port).

pub mod config;
pub mod server;
pub mod telemetry;
