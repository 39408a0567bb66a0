//! `keycard sign`: mint a JWT from claims with a private key, for tests and scripts.
//!
//! `iat` and `exp` are filled in from the clock unless the claims carry them, so a token
//! made here always expires.

use std::path::PathBuf;

use keycard_core::{Algorithm, Clock as _, SystemClock};
use serde_json::Value;

use crate::failure::Failure;
use crate::input;

/// Sign claims (a JSON object) as a JWT with a private key.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Private JWK (or a JWK Set with exactly one key) to sign with.
    #[arg(long)]
    key: PathBuf,
    /// Algorithm for a key whose JWK names none.
    #[arg(long)]
    alg: Option<Algorithm>,
    /// Header `typ`, e.g. `at+jwt` for an access token.
    #[arg(long)]
    typ: Option<String>,
    /// Lifetime in seconds, used for `exp` when the claims have none.
    #[arg(long, default_value_t = 900)]
    expires_in: i64,
    /// The claims, a JSON object; `-` reads them from stdin.
    claims: String,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let keys = input::keys(&args.key, args.alg, false)?;
    let key = keys
        .find(None)
        .map_err(|_| Failure::Input("the key file must hold exactly one key".into()))?;
    let text = input::token(&args.claims)?;
    let mut claims = keycard_core::jose::parse_object(text.as_bytes())
        .map_err(|reason| Failure::Input(format!("claims: {reason}")))?;
    let now = SystemClock.now();
    claims.entry("iat").or_insert_with(|| now.as_secs().into());
    claims
        .entry("exp")
        .or_insert_with(|| now.plus_secs(args.expires_in).as_secs().into());
    Ok(keycard_core::jwt::sign(
        key,
        args.typ.as_deref(),
        &Value::Object(claims),
    )?)
}
