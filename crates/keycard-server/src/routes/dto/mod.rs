//! The bodies of the HTTP API, by concern: what handlers read and write, typed, so that
//! `GET /openapi.json` is generated from the same types that go on the wire
//! ([`openapi`](super::openapi)).
//!
//! Members are declared in the order clients have always received them, so the bytes of a
//! response do not change with its type: alphabetical, except where the body mirrors a
//! domain type (introspection) and keeps that type's order.
//!
//! Request bodies that carry a secret (a password, a token) hold it in a [`Zeroizing`]
//! string and have a hand-written `Debug` that leaves it out; so do the responses that
//! carry one.
//!
//! [`Zeroizing`]: zeroize::Zeroizing

pub mod account;
pub mod admin;
pub mod discovery;
pub mod oauth;
pub mod problems;
pub mod sessions;
pub mod tokens;
