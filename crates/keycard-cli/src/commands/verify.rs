//! `keycard verify`: check a token's signature, header rules and claims against a key file.
//!
//! Private members of asymmetric keys in the file are ignored, so a verifier never needs
//! more than the public JWK Set. The outcome is the exit status: 0 valid, 1 invalid (with
//! the failed rule's name on stderr), 2 for usage or key errors.

use std::path::PathBuf;

use keycard_core::jose::{self, jws};
use keycard_core::jwt::{DEFAULT_LEEWAY_SECS, Validation};
use keycard_core::{Algorithm, Clock as _, SystemClock};
use serde_json::{Value, json};

use crate::failure::Failure;
use crate::input;

/// Verify a JWT (or with --jws any compact JWS) and print its header and claims as JSON.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JWK or JWK Set file with the verification key(s).
    #[arg(long)]
    key: PathBuf,
    /// Algorithm for keys whose JWK names none (a key without alg is refused otherwise).
    #[arg(long)]
    alg: Option<Algorithm>,
    /// Required issuer (`iss`, exact match).
    #[arg(long)]
    iss: Option<String>,
    /// Required audience (`aud` must be or contain it).
    #[arg(long)]
    aud: Option<String>,
    /// Required header type, e.g. `at+jwt`.
    #[arg(long)]
    typ: Option<String>,
    /// Allowed clock skew in seconds for exp, nbf and iat.
    #[arg(long, default_value_t = DEFAULT_LEEWAY_SECS)]
    leeway: i64,
    /// Largest token accepted, in bytes; checked before any decoding.
    #[arg(long, default_value_t = jws::DEFAULT_MAX_TOKEN_BYTES)]
    max_bytes: usize,
    /// Check the signature and header rules only: for payloads that are not JWT claims.
    #[arg(long, conflicts_with_all = ["iss", "aud", "leeway"])]
    jws: bool,
    /// The token; `-` reads it from stdin.
    token: String,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let keys = input::keys(&args.key, args.alg, true)?;
    let token = input::token(&args.token)?;
    let output = if args.jws {
        let verified = jws::verify(&keys, &token, args.max_bytes)?;
        if let Some(typ) = args.typ.as_deref()
            && !verified.header.typ_is(typ)
        {
            return Err(keycard_core::TokenError::WrongType.into());
        }
        let mut output =
            json!({ "header": full_header(&token, args.max_bytes)?, "verified": true });
        output["payload"] = match std::str::from_utf8(&verified.payload) {
            Ok(text) => text.into(),
            Err(_) => json!({ "base64url": jose::base64url::encode(&verified.payload) }),
        };
        output
    } else {
        let mut rules = Validation::new()
            .with_leeway_secs(args.leeway)
            .with_max_token_bytes(args.max_bytes);
        if let Some(iss) = &args.iss {
            rules = rules.with_issuer(iss.clone());
        }
        if let Some(aud) = &args.aud {
            rules = rules.with_audience(aud.clone());
        }
        if let Some(typ) = &args.typ {
            rules = rules.with_typ(typ.clone());
        }
        let verified = rules.verify(&keys, &token, SystemClock.now())?;
        json!({
            "header": full_header(&token, args.max_bytes)?,
            "claims": verified.claims_json(),
            "verified": true,
        })
    };
    serde_json::to_string_pretty(&output).map_err(|e| Failure::Input(e.to_string()))
}

/// Every member of the (now verified) header, not only those Keycard acts on.
fn full_header(token: &str, max_bytes: usize) -> Result<Value, Failure> {
    Ok(Value::Object(
        jws::decode_unverified(token, max_bytes)?.header,
    ))
}
