//! JOSE: JWS compact signatures (RFC 7515), algorithms (RFC 7518, 8037), keys and key sets
//! (RFC 7517, 7638), on `aws-lc-rs` primitives.

mod algorithm;
pub mod base64url;
mod header;
pub(crate) mod json_scan;
mod jwk;
pub mod jws;
mod key;
mod keyset;
mod published;
mod roca;
pub(crate) mod strict_json;

pub use algorithm::{Algorithm, Family, UnknownAlgorithm};
pub use header::Header;
pub use jwk::Jwk;
pub use key::{Key, MIN_RSA_BITS};
pub use keyset::{KeyRole, KeySet};
pub use published::SkippedKey;
pub use strict_json::parse_object;
