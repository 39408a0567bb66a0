//! # keycard-server
//!
//! Keycard's HTTP server: the axum edge of the auth service of `keycard-auth`. Handlers
//! extract what a request carries, make one call on [`keycard_auth::Auth`], and map the
//! result; [`WebError`] alone chooses status codes. `keycard serve` runs it; tests run it
//! in-process.
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
//! assert!(state.auth().keys().active().is_some(), "first start makes the signing keys");
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
//!   ([`ServeArgs`](config::ServeArgs)), resolved into grouped [`Settings`]
//!   (docs/CONFIG.md).
//! - [`bootstrap`]: data dir, stores, signing keys (made on first start), the auth
//!   service, the sweeper.
//! - [`state`]: [`AppState`], what every handler can reach: the service, the settings,
//!   the metrics.
//! - [`app`]: the router (per mode), its layers (tracing, `no-store`, body limit,
//!   problem+json, request counting, the body deadline of [`body_deadline`]) and the
//!   serve loop with graceful shutdown.
//! - [`routes`]: the handlers, one file per concern, each a few lines over the service;
//!   `extract` (credentials, CSRF headers, cookies) and `client` (user agent, address
//!   behind trusted proxies) read requests; `ui` serves the embedded pages of `web/`;
//!   `dto/` holds the typed request and response
//!   bodies, from which `openapi` generates `/openapi.json` (utoipa).
//! - [`metrics`]: the Prometheus registry, its request-counting layer and `GET /metrics`.
//! - [`error`]: [`WebError`], the only place a status code is chosen; RFC 9457 bodies.

#![forbid(unsafe_code)]

pub mod app;
pub mod body_deadline;
pub mod bootstrap;
pub mod config;
pub mod connections;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod state;

pub use config::Settings;
pub use error::WebError;
pub use state::AppState;
