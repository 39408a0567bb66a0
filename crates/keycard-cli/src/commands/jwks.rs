//! `keycard jwks`: the public JWK Set of one or more key files, for verifiers.
//!
//! Private members never reach the output; HMAC secrets, which have no public half, are
//! refused rather than silently left out.

use std::path::PathBuf;

use keycard_core::jose::KeyRole;
use keycard_core::{Algorithm, KeySet};

use crate::failure::Failure;
use crate::input;

/// Print the public JWK Set of the given key files (JWK or JWKS).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Key files: private or public JWKs, or JWK Sets.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Algorithm for keys whose JWK names none.
    #[arg(long)]
    alg: Option<Algorithm>,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let mut all = KeySet::new();
    for path in &args.files {
        let keys = input::keys(path, args.alg, true)?;
        for (_, key) in keys.iter() {
            if key.is_symmetric() {
                return Err(Failure::Input(format!(
                    "{}: key {:?} is an HMAC secret and has no public form",
                    path.display(),
                    key.kid()
                )));
            }
            all = all.with(KeyRole::Retired, key.to_public_only()?)?;
        }
    }
    serde_json::to_string_pretty(&all.public_jwks()).map_err(|e| Failure::Input(e.to_string()))
}
