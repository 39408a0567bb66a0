//! `keycard keygen`: a new private JWK for one algorithm, on stdout.
//!
//! The key is bound to its algorithm (`alg` in the JWK) and named by its RFC 7638
//! thumbprint unless a kid is given. Keep the output secret; `keycard jwks` derives the
//! public half to hand to verifiers.

use keycard_core::Algorithm;

use crate::failure::Failure;

/// Generate a private signing key as a JWK (JSON) on stdout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Algorithm the key is bound to: HS256/384/512, RS256/384/512, PS256/384/512,
    /// ES256/384/512 or EdDSA.
    #[arg(long)]
    alg: Algorithm,
    /// Key id; defaults to the key's RFC 7638 thumbprint.
    #[arg(long)]
    kid: Option<String>,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let mut key = keycard_core::Key::generate(args.alg)?;
    if let Some(kid) = &args.kid {
        key = key.with_kid(kid.clone());
    }
    let jwk = key
        .private_jwk()
        .ok_or_else(|| Failure::Input("the generated key has no private form".into()))?;
    Ok(jwk.to_string())
}
