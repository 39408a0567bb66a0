//! # keycard-auth
//!
//! Keycard's application layer: the auth flows of all three modes (`session`, `jwt`,
//! `hybrid`) as one service, [`Auth`], over the stores of `keycard-store` and the token
//! engine of `keycard-core`. It knows no HTTP: the server (`keycard-server`) extracts what
//! a request carries, makes one call here, and maps the result; tests and other front ends
//! can do the same.
//!
//! ```
//! use std::sync::Arc;
//! use keycard_auth::{Auth, AuthSettings, Mode};
//! use keycard_core::session::ClientMeta;
//! use keycard_core::{Algorithm, Key, KeySet, SystemClock};
//! use zeroize::Zeroizing;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let stores = keycard_store::open::open(&"memory:".parse()?, None, "doc").await?;
//! let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA)?)?;
//! let mut settings = AuthSettings::new("https://auth.example");
//! settings.mode = Mode::Jwt;
//! let auth = Auth::new(settings, stores, keys, Arc::new(SystemClock))?;
//!
//! let now = auth.now();
//! let password = || Zeroizing::new("correct horse battery staple".to_owned());
//! auth.register("ada@example.com", password(), &ClientMeta::default(), now).await?;
//! let login = auth.login("ada@example.com", password(), ClientMeta::default(), now).await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! ## Layout
//! One file per flow, each an `impl Auth` block:
//! - [`service`]: [`Auth`] and what it owns; [`settings`]: what it is configured with.
//! - [`register`], [`login`] (and [`session`], the session a login starts), [`current`]
//!   (who a cookie or bearer token is; `me`), [`refresh`] (rotation, grace replays, reuse),
//!   [`logout`] (one session, or all of a user's), [`sessions`] (the user's list),
//!   [`password`] (change), [`admin`], [`oauth`] (introspection and revocation for clients).
//! - [`keys`]: the signing keys' rotation schedule, reloads, and the operator's rotate and
//!   retire.
//! - [`cache`]: the hot path's verified-token, session and user caches, kept true by the
//!   revocation feed.
//! - [`tokens`]: access JWTs minted and verified; [`csrf`]: the session-bound token and
//!   the origin check; [`client`]: user agent, address and label of a request.
//! - [`feed`]: following the revocation feed (snapshot then deltas, heartbeats, the
//!   staleness bound) and the log of applied revocations for verifiers;
//! - [`limiter`]: brute-force and flood limits; [`hashing`]: the bounded argon2id pool;
//!   [`events`]: the counters behind `/metrics`; [`error`]: [`AuthError`], what failed.
//!
//! Time comes in as `now` (a [`UnixTime`](keycard_core::UnixTime) from the service's
//! clock): no rule here reads the system clock.

#![forbid(unsafe_code)]

pub mod admin;
mod audit;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod current;
pub mod error;
pub mod events;
pub mod feed;
pub mod hashing;
pub mod keys;
pub mod limiter;
pub mod login;
pub mod logout;
pub mod oauth;
pub mod password;
pub mod refresh;
pub mod register;
pub mod service;
pub mod session;
pub mod sessions;
pub mod settings;
pub mod tokens;

pub use error::AuthError;
pub use service::Auth;
pub use settings::{AuthSettings, Mode};
