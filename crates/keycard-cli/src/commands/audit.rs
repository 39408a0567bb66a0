//! `keycard audit`: the token inspector's security checklist on the command line. Decodes
//! the token without trusting it, lists what the checklist finds (alg none or unexpected,
//! a well-known weak HMAC secret, no `exp`, a lifetime over a day, no `aud`, a `kid` that
//! looks like a path or SQL, `jku`/`x5u`/`jwk`/`x5c` headers, sensitive-looking claims),
//! and with `--key` or `--jwks` also verifies it, naming the failed rule. Never touches the
//! network, except to fetch `--jwks URL` when asked to.
//!
//! Exit status by the worst finding: 0 none (or information only), 3 low, 4 medium,
//! 5 high, 6 critical; 1 the token cannot be decoded; 2 usage, input or key errors.

use std::path::PathBuf;
use std::process::ExitCode;

use keycard_core::jose::{base64url, jws};
use keycard_core::jwt::Validation;
use keycard_core::{Clock as _, KeySet, SystemClock};
use serde_json::{Map, Value, json};

use crate::checklist::{self, Finding, Severity};
use crate::failure::Failure;
use crate::input;

/// Check a token against the security checklist; with --key or --jwks, verify it too.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A JWK or JWK Set file to verify with; a file holding a bare HMAC secret (no JSON)
    /// is used as the secret of the token's HS* algorithm.
    #[arg(long, conflicts_with = "jwks")]
    key: Option<PathBuf>,
    /// A JWK Set to verify with: a file, or an http:// URL (fetched once).
    #[arg(long)]
    jwks: Option<String>,
    /// Print JSON for machines instead of text for people.
    #[arg(long)]
    json: bool,
    /// The token; `-` reads it from stdin.
    token: String,
}

/// The report and the exit status its worst finding gives.
pub fn run(args: &Args) -> Result<(String, ExitCode), Failure> {
    let token = input::token(&args.token)?;
    let decoded = jws::decode_unverified(&token, 64 * 1024)?;
    let claims = keycard_core::jose::parse_object(&decoded.payload).ok();
    let (signing_input, signature) = token
        .rsplit_once('.')
        .map(|(input, sig)| (input.as_bytes(), base64url::decode(sig).unwrap_or_default()))
        .unwrap_or_default();
    let mut findings =
        checklist::audit(&decoded.header, claims.as_ref(), signing_input, &signature);
    findings.extend(verification(args, &decoded.header, &token)?);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let worst = findings.first().map_or(Severity::Info, |f| f.severity);
    let code = ExitCode::from(match worst {
        Severity::Info => 0,
        Severity::Low => 3,
        Severity::Medium => 4,
        Severity::High => 5,
        Severity::Critical => 6,
    });
    let text = if args.json {
        let list: Vec<Value> = findings
            .iter()
            .map(|f| json!({ "id": f.id, "severity": f.severity.name(), "text": f.text }))
            .collect();
        serde_json::to_string_pretty(&json!({ "worst": worst.name(), "findings": list }))
            .map_err(|e| Failure::Input(e.to_string()))?
    } else {
        report(&findings)
    };
    Ok((text, code))
}

fn report(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.".to_owned();
    }
    let mut text = String::new();
    for finding in findings {
        text.push_str(&format!(
            "{:<8} {:<20} {}\n",
            finding.severity.name().to_uppercase(),
            finding.id,
            finding.text
        ));
    }
    text.pop();
    text
}

/// The verification finding: `not_verified` without a key, `verification_failed` naming
/// the rule, or nothing when the token verifies. A weak secret given to verify with is a
/// finding too.
fn verification(
    args: &Args,
    header: &Map<String, Value>,
    token: &str,
) -> Result<Vec<Finding>, Failure> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = Vec::new();
    let keys = match (&args.key, &args.jwks) {
        (Some(path), _) => {
            let text = input::file(path)?;
            if text.trim_start().starts_with('{') {
                KeySet::from_jwk_or_jwks(&text, None, true)?
            } else {
                let secret = text.trim_end_matches(['\r', '\n']).as_bytes();
                out.extend(checklist::secret_finding(alg, secret));
                let jwk = json!({ "kty": "oct", "alg": alg, "k": base64url::encode(secret) });
                match KeySet::from_jwk_or_jwks(&jwk.to_string(), None, false) {
                    Ok(keys) => keys,
                    Err(error) => {
                        out.push(checklist::finding("verification_failed", error.rule()));
                        return Ok(out);
                    }
                }
            }
        }
        (None, Some(source)) => KeySet::from_jwk_or_jwks(&jwks_text(source)?, None, true)?,
        (None, None) => return Ok(vec![checklist::finding("not_verified", "")]),
    };
    if let Err(error) = Validation::new().verify(&keys, token, SystemClock.now()) {
        out.push(checklist::finding("verification_failed", error.rule()));
    }
    Ok(out)
}

/// The JWK Set text of `--jwks`: a file, or fetched from an http:// URL.
fn jwks_text(source: &str) -> Result<String, Failure> {
    if source.starts_with("https://") {
        return Err(Failure::Input(
            "--jwks fetches http:// URLs only; save an https JWKS to a file \
             (curl -o jwks.json URL) and pass the file"
                .into(),
        ));
    }
    if !source.starts_with("http://") {
        return input::file(std::path::Path::new(source));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the HTTP client: {e}")))?;
    runtime.block_on(async {
        let response = reqwest::get(source)
            .await
            .map_err(|e| Failure::Input(format!("cannot fetch {source}: {e}")))?;
        if !response.status().is_success() {
            return Err(Failure::Input(format!(
                "{source} answered {}",
                response.status()
            )));
        }
        response
            .text()
            .await
            .map_err(|e| Failure::Input(format!("cannot read {source}: {e}")))
    })
}
