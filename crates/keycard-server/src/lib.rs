//! # keycard-server
//!
//! Keycard's HTTP server: an axum application over the stores of `keycard-store` and the
//! token engine of `keycard-core`. `keycard serve` runs it; tests run it in-process.
//!
//! The library never binds a socket. The caller resolves [`Settings`], runs
//! [`bootstrap`](bootstrap::bootstrap) (data dir, stores, signing keys, background tasks),
//! binds a listener, and hands it to [`app::run`] with a shutdown future:
//!
//! ```
//! use std::sync::Arc;
//! use keycard_server::config::{ServeArgs, Settings};
//! use keycard_server::{app, bootstrap};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let data_dir = std::env::temp_dir().join(format!("keycard-doc-{}", std::process::id()));
//! let settings = Settings::resolve(ServeArgs {
//!     data_dir: Some(data_dir.clone()),
//!     store: Some("memory:".parse()?),
//!     ..ServeArgs::default()
//! })?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let settings = settings.bound_to(listener.local_addr()?); // the issuer follows the port
//! let (state, _background) =
//!     bootstrap::bootstrap(settings, Arc::new(keycard_core::SystemClock)).await?;
//! assert!(state.keys().active().is_some(), "first start makes the signing keys");
//!
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(app::run(listener, state, async { let _ = stopped.await; }));
//! // ... send requests to the bound address ...
//! let _ = stop.send(());
//! server.await??; // in-flight requests drained
//! std::fs::remove_dir_all(data_dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! ## Layout
//! - [`config`]: every setting, as a flag, a `KEYCARD_*` variable and a TOML key
//!   ([`ServeArgs`](config::ServeArgs)), resolved into [`Settings`] (docs/CONFIG.md).
//! - [`bootstrap`]: data dir, stores, signing keys (made on first start), the sweeper.
//! - [`state`]: [`AppState`], what every handler can reach.
//! - [`app`]: the router, its layers (tracing, `no-store`, body limit, problem+json) and
//!   the serve loop with graceful shutdown.
//! - [`auth`]: the auth flows without HTTP: register, login, tokens, refresh, logout,
//!   sessions, password change, admin, OAuth introspection and revocation, CSRF.
//! - [`routes`]: the handlers, one file per concern (`users`, `login`, `me`, `token`,
//!   `logout`, `sessions`, `password`, `auth_check`, `admin`, `oauth`, `health`,
//!   `well_known`, `openapi`), each a few lines over [`auth`].
//! - [`security`]: the brute-force limits on login and their 429 answer.
//! - [`metrics`]: the Prometheus registry, its request-counting layer and `GET /metrics`.
//! - [`error`]: [`WebError`], the only place a status code is chosen; RFC 9457 bodies.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod security;
pub mod state;

pub use config::Settings;
pub use error::WebError;
pub use state::AppState;
