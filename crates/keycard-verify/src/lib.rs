//! # keycard-verify
//!
//! For resource servers: verify access tokens without calling the issuer, and still honour
//! a logout within milliseconds. A [`VerifyLayer`] (tower) in front of the routes checks
//! each bearer token with the issuer's public keys, fetched once and cached; the
//! [`Verified`] extractor (axum) hands the route its claims. Tokens from any issuer that
//! publishes a JWKS (Keycard, or an OpenID provider such as Google or Auth0) verify the
//! same way. With client credentials for a Keycard issuer, the verifier also follows
//! Keycard's revocation stream (`GET /v1/revocations`), so a token whose session was
//! logged out is refused here as soon as the event arrives; if the stream falls silent
//! past the staleness bound, requests are answered 503 rather than accepted from memory
//! that may miss a logout.
//!
//! ```no_run
//! use axum::{Json, Router, routing::get};
//! use keycard_verify::{ClientCredentials, Verified, Verifier, VerifierConfig, VerifyLayer};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Claims {
//!     sub: String,
//!     sid: String,
//! }
//!
//! async fn whoami(Verified(claims): Verified<Claims>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "sub": claims.sub, "sid": claims.sid }))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = VerifierConfig::new("https://auth.example.com")
//!     .with_audience("https://api.example.com")
//!     .with_algorithms([keycard_core::Algorithm::EdDSA])
//!     .with_client_credentials(ClientCredentials::new("api", std::env::var("SECRET")?));
//! let verifier = Verifier::start(config).await?;
//! let app = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(VerifyLayer::new(verifier));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## What a token must pass
//! The rules of `keycard-core`'s codec (size cap, strict base64url and JSON, `alg` never
//! `none` and equal to the algorithm its key is bound to, `kid` selecting the key,
//! `jku`/`x5u`/`jwk` never followed, `crit` understood), the signature, the configured
//! `typ` (default `at+jwt`), `exp`/`nbf`/`iat` with the leeway, `iss` exactly the issuer,
//! `aud` one of the accepted audiences, and, when following revocations, neither its
//! session (`sid`) nor its user's tokens before a `not_before` revoked. Algorithms are
//! pinned by configuration: a key of the issuer bound to another algorithm is never
//! loaded. Every refusal is logged with the name of its rule ([`VerifyError::rule`]); the
//! client sees only a 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
//!
//! ## Layout
//! - [`config`]: [`VerifierConfig`], every setting and its default.
//! - [`verifier`]: [`Verifier`], the order of the checks.
//! - [`keys`]: the issuer's keys, refreshed per `Cache-Control`, refetched once per
//!   cooldown for an unknown `kid`; [`discovery`] finds them, [`fetch`] fetches over
//!   HTTPS, [`cache_control`] reads how long to keep them.
//! - [`revocations`]: the revocation stream's follower, its events and the staleness
//!   rule; [`sse`] is its Server-Sent Events parser.
//! - [`layer`] and [`extract`]: the tower layer and the axum extractor; [`response`]: the
//!   one place a refusal becomes a status code.
//! - [`error`]: [`VerifyError`] (per request) and [`FetchError`] (the issuer's documents).
//!
//! The verified-token cache and the revocation set are `keycard-core`'s, the same the
//! server uses.

#![forbid(unsafe_code)]

pub mod cache_control;
pub mod config;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod keys;
pub mod layer;
pub mod response;
pub mod revocations;
pub mod sse;
pub mod token;
pub mod verifier;

pub use config::{ClientCredentials, KeySource, VerifierConfig};
pub use error::{FetchError, VerifyError};
pub use extract::Verified;
pub use layer::VerifyLayer;
pub use token::VerifiedToken;
pub use verifier::Verifier;
