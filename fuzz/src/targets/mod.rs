//! One module per target; each exposes `run(data: &[u8])`.

pub mod base64url;
pub mod config;
pub mod headers;
pub mod json;
pub mod jwk;
pub mod jws;
pub mod opaque;
pub mod sse;

/// A target: arbitrary bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const ALL: &[(&str, Target)] = &[
    ("base64url", base64url::run),
    ("config", config::run),
    ("headers", headers::run),
    ("json", json::run),
    ("jwk", jwk::run),
    ("jws", jws::run),
    ("opaque", opaque::run),
    ("sse", sse::run),
];
