//! Reading what commands are given: a token from the argument or stdin, a key file.

use std::io::Read as _;

use keycard_core::{Algorithm, KeySet};

use crate::failure::Failure;

/// The token argument itself, or standard input when it is `-`; surrounding white space
/// (a trailing newline from `echo`, say) is trimmed.
pub fn token(argument: &str) -> Result<String, Failure> {
    let text = if argument == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Input(format!("cannot read the token from stdin: {e}")))?;
        text
    } else {
        argument.to_owned()
    };
    Ok(text.trim().to_owned())
}

/// Reads a whole file as UTF-8 text.
pub fn file(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))
}

/// Reads a JWK or JWK Set file into a key set. With `public_only`, the private members of
/// asymmetric keys are ignored.
pub fn keys(
    path: &std::path::Path,
    alg: Option<Algorithm>,
    public_only: bool,
) -> Result<KeySet, Failure> {
    Ok(KeySet::from_jwk_or_jwks(&file(path)?, alg, public_only)?)
}
