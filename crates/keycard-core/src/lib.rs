//! # keycard-core
//!
//! Keycard's domain, with no I/O: the strict JWS/JWT codec, keys and key sets, opaque
//! tokens, and the clock they all take time from. The server, the stores and the verifier
//! for resource servers are built on it; it knows nothing of HTTP, SQL or Redis.
//!
//! ```
//! use keycard_core::{Algorithm, Key, KeySet, UnixTime};
//! use keycard_core::jwt::{self, Validation};
//!
//! // An issuer signs with its private key...
//! let key = Key::generate(Algorithm::EdDSA)?;
//! let claims = serde_json::json!({
//!     "iss": "https://auth.example", "aud": "api", "sub": "user-1",
//!     "exp": 1_900_000_000, "iat": 1_800_000_000,
//! });
//! let token = jwt::sign(&key, Some("at+jwt"), &claims)?;
//!
//! // ...and a verifier holds only the public half, bound to EdDSA.
//! let keys = KeySet::verify_only([key.to_public_only()?])?;
//! let rules = Validation::access_token("https://auth.example", "api");
//! let verified = rules.verify(&keys, &token, UnixTime::from_secs(1_800_000_100))?;
//! assert_eq!(verified.claims.sub(), Some("user-1"));
//!
//! // Past exp and the leeway, the same token is refused, and the error names the rule.
//! let err = rules.verify(&keys, &token, UnixTime::from_secs(1_900_000_030)).unwrap_err();
//! assert_eq!(err.rule(), "expired");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Layout
//! - [`jose`]: algorithms, the strict header and JSON rules, JWK import and export, the
//!   [`KeySet`] with its rotation roles, and JWS compact [`jose::jws::sign`] /
//!   [`jose::jws::verify`].
//! - [`jwt`]: claims, [`jwt::Validation`] (leeway, `exp`/`nbf`/`iat`, `iss`, `aud`, `typ`).
//! - [`opaque`]: session ids and refresh tokens, kept only as digests.
//! - [`revocation_set`]: the in-memory set of live revocations every verifier consults;
//!   [`freshness`]: the staleness rule that says when that set may be trusted.
//! - [`cache`]: bounded maps for the hot path, and the verified-token cache (a token seen
//!   before costs a hash lookup instead of a signature check).
//! - [`user`], [`session`] (with refresh rotation), [`revocation`], [`audit`],
//!   [`key_record`]: the domain records the stores keep.
//! - [`store`]: the store traits every backend in `keycard-store` implements.
//! - [`clock`]: time as a value; the domain never reads the system clock.
//! - [`gcra`]: the rate-limit rule every login and registration limiter applies.
//! - [`error`]: [`TokenError`] and [`KeyError`], each variant naming its rule.
//!
//! ## Rules every token passes
//! Size cap before decoding (8 KiB by default); exactly three parts of canonical unpadded
//! base64url; header and claims UTF-8 JSON objects with no repeated member names; `alg`
//! one Keycard implements (never `none`) and equal to the selected key's; `kid` selects a
//! key, an unknown one is refused; `jwk`, `jku`, `x5u` and `x5c` never select a key and are
//! never fetched; `crit` must be non-empty and understood; `b64: false` is refused.

#![forbid(unsafe_code)]

pub mod audit;
pub mod cache;
pub mod clock;
pub mod error;
pub mod freshness;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gcra;
pub mod ids;
pub mod jose;
pub mod jwt;
pub mod key_record;
pub mod opaque;
pub mod revocation;
pub mod revocation_set;
pub mod session;
pub mod store;
pub mod user;

pub use clock::{Clock, ManualClock, SystemClock, UnixTime};
pub use error::{KeyError, TokenError};
pub use ids::{SessionId, UserId};
pub use jose::{Algorithm, Header, Key, KeySet};
