//! The bodies of the HTTP API, by concern: what handlers read and write, typed, so that
//! `GET /openapi.json` is generated from the same types that go on the wire
//! ([`openapi`](super::openapi)).
//!
//! Members are declared in the order clients have always received them, so the bytes of a
//! response do not change with its type: alphabetical, except where the body mirrors a
//! domain type (introspection) and keeps that type's order.
//!
//! Request bodies that carry a secret (a password, a token) hold it as a
//! [`SecretString`]: its `Debug` says `[REDACTED]` and it is wiped on drop, so the bodies
//! derive `Debug`. The responses that carry a token keep a hand-written `Debug` that
//! leaves it out. [`revealed`] hands a secret to the auth service.

pub mod account;
pub mod admin;
pub mod discovery;
pub mod oauth;
pub mod problems;
pub mod revocations;
pub mod sessions;
pub mod tokens;

use secrecy::{ExposeSecret as _, SecretString};
use zeroize::Zeroizing;

/// The secret's text, for the auth service, in a string that is wiped when dropped.
pub fn revealed(secret: &SecretString) -> Zeroizing<String> {
    Zeroizing::new(secret.expose_secret().to_owned())
}
