//! `keycard decode`: show what a token says and when it expires, without verifying it and
//! without touching the network. The output says so plainly.

use keycard_core::jose::jws;
use keycard_core::{Clock as _, SystemClock, UnixTime};
use serde_json::{Map, Value, json};

use crate::dates;
use crate::failure::Failure;
use crate::input;

const WARNING: &str = "NOT VERIFIED: this shows what the token claims, not whether it is genuine.";

/// Show a token's header and claims with readable dates. Checks nothing: see `verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON for machines instead of text for people.
    #[arg(long)]
    json: bool,
    /// Largest token accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_bytes: usize,
    /// The token; `-` reads it from stdin.
    token: String,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let token = input::token(&args.token)?;
    let decoded = jws::decode_unverified(&token, args.max_bytes)?;
    let payload = match keycard_core::jose::parse_object(&decoded.payload) {
        Ok(claims) => Value::Object(claims),
        Err(_) => Value::String(String::from_utf8_lossy(&decoded.payload).into_owned()),
    };
    let now = SystemClock.now();
    let dates = dates_of(&payload, now);
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    if args.json {
        let output = json!({
            "verified": false,
            "warning": WARNING,
            "header": decoded.header,
            "payload": payload,
            "dates": dates,
            "signature_bytes": decoded.signature_len,
        });
        return serde_json::to_string_pretty(&output).map_err(|e| Failure::Input(e.to_string()));
    }
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    let mut text = format!(
        "{WARNING}\n\nHeader\n{}\n\n",
        pretty(&Value::Object(decoded.header))
    );
    text.push_str(&format!("Claims\n{}\n", pretty(&payload)));
    if !dates.is_empty() {
        text.push_str("\nDates\n");
        for (claim, date) in ["iat", "nbf", "exp"]
            .iter()
            .filter_map(|c| Some((c, dates.get(*c)?)))
        {
            let utc = date["utc"].as_str().unwrap_or_default();
            let relative = date["relative"].as_str().unwrap_or_default();
            text.push_str(&format!("  {claim:<4} {utc}  ({relative})\n"));
        }
    }
    text.push_str(&format!(
        "\nSignature: {} bytes ({alg}), not checked",
        decoded.signature_len
    ));
    Ok(text)
}

/// `iat`, `nbf`, `exp` as UTC and relative to now, for the claims that are numbers.
fn dates_of(payload: &Value, now: UnixTime) -> Map<String, Value> {
    let mut dates = Map::new();
    for claim in ["iat", "nbf", "exp"] {
        let Some(secs) = payload.get(claim).and_then(Value::as_i64) else {
            continue;
        };
        let at = UnixTime::from_secs(secs);
        dates.insert(
            claim.to_owned(),
            json!({ "unix": secs, "utc": dates::utc(at), "relative": dates::relative(claim, at, now) }),
        );
    }
    dates
}
