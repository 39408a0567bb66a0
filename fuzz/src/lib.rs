//! Keycard's fuzz targets. Each target is a function of arbitrary bytes that panics only on
//! a finding: a crash or hang in a parser, or a disagreement with an independent oracle
//! (serde_json for the token codec's JSON scanner, the `base64` crate's strict engine for
//! its base64url decoder). The same functions run under afl (`fuzz/run.sh`, binaries built
//! with `--features afl`) and over the committed corpora in the tests (`tests/replay.rs`),
//! so every input that once found something stays a regression test.
//!
//! How to run them: docs/FUZZING.md.

// A target reports a finding by panicking: that is what afl counts as a crash.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod targets;
