//! The token security checklist, as `keycard audit` applies it. The rules' data (weak
//! secrets, suspicious `kid` fragments, sensitive claim words, severities and wording) is
//! `web/checklist.json`, the same file the token inspector loads, so the command line and
//! the page name the same findings with the same words.

use std::sync::LazyLock;

use aws_lc_rs::{constant_time, hmac};
use serde_json::{Map, Value};

/// The checklist file, embedded.
const CHECKLIST: &str = include_str!("../../../web/checklist.json");

static RULES: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(CHECKLIST).unwrap_or(Value::Null));

/// How bad a finding is; the worst one decides `keycard audit`'s exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    fn parse(name: &str) -> Self {
        match name {
            "critical" => Self::Critical,
            "high" => Self::High,
            "medium" => Self::Medium,
            "low" => Self::Low,
            _ => Self::Info,
        }
    }

    /// The name used in the checklist file and the output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// One item of the checklist that a token fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id, as in `web/checklist.json`.
    pub id: &'static str,
    pub severity: Severity,
    /// The rule's words, with what was found.
    pub text: String,
}

/// The finding `id` with `detail` put into its words.
pub fn finding(id: &'static str, detail: &str) -> Finding {
    let rule = &RULES["findings"][id];
    Finding {
        id,
        severity: Severity::parse(rule["severity"].as_str().unwrap_or("info")),
        text: rule["text"]
            .as_str()
            .unwrap_or(id)
            .replace("{detail}", detail),
    }
}

fn strings(list: &str) -> impl Iterator<Item = &'static str> {
    RULES[list]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
}

/// The HMAC algorithm of `alg`, if it is one.
fn hmac_of(alg: &str) -> Option<hmac::Algorithm> {
    match alg {
        "HS256" => Some(hmac::HMAC_SHA256),
        "HS384" => Some(hmac::HMAC_SHA384),
        "HS512" => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// Whether `secret` made the HMAC `signature` over `signing_input`.
fn signed_with(
    alg: hmac::Algorithm,
    secret: &[u8],
    signing_input: &[u8],
    signature: &[u8],
) -> bool {
    let tag = hmac::sign(&hmac::Key::new(alg, secret), signing_input);
    constant_time::verify_slices_are_equal(tag.as_ref(), signature).is_ok()
}

/// The well-known weak secret that signed an HMAC token, if one did.
pub fn weak_secret_of(
    header: &Map<String, Value>,
    signing_input: &[u8],
    signature: &[u8],
) -> Option<&'static str> {
    let alg = hmac_of(header.get("alg")?.as_str()?)?;
    strings("weak_secrets")
        .find(|secret| signed_with(alg, secret.as_bytes(), signing_input, signature))
}

/// Every finding for a decoded token, worst first.
pub fn audit(
    header: &Map<String, Value>,
    claims: Option<&Map<String, Value>>,
    signing_input: &[u8],
    signature: &[u8],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let alg = header.get("alg").and_then(Value::as_str);
    match alg {
        Some(alg) if alg.eq_ignore_ascii_case("none") => out.push(finding("alg_none", "")),
        Some(alg) if strings("algorithms").any(|known| known == alg) => {}
        _ => out.push(finding(
            "alg_unexpected",
            &header
                .get("alg")
                .map(Value::to_string)
                .unwrap_or_else(|| "(absent)".into()),
        )),
    }
    if let Some(secret) = weak_secret_of(header, signing_input, signature) {
        out.push(finding("weak_secret", &Value::from(secret).to_string()));
    }
    for name in strings("remote_key_headers").filter(|name| header.contains_key(*name)) {
        out.push(finding("remote_key_header", name));
    }
    if let Some(kid) = header.get("kid").and_then(Value::as_str) {
        let lower = kid.to_lowercase();
        if strings("kid_suspicious").any(|needle| lower.contains(needle)) {
            out.push(finding("kid_injection", &Value::from(kid).to_string()));
        }
    }
    if let Some(claims) = claims {
        out.extend(claim_findings(claims));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

fn claim_findings(claims: &Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    match number("exp") {
        None => out.push(finding("no_exp", "")),
        Some(exp) => {
            let max = RULES["max_lifetime_secs"].as_i64().unwrap_or(86_400);
            if let Some(start) = number("iat").or_else(|| number("nbf"))
                && exp - start > max
            {
                out.push(finding("long_lifetime", &lifetime(exp - start)));
            }
        }
    }
    if !claims.contains_key("aud") {
        out.push(finding("no_aud", ""));
    }
    for name in claims.keys() {
        let lower = name.to_lowercase();
        if strings("sensitive_claim_words")
            .any(|word| lower == word || (word.len() > 3 && lower.contains(word)))
        {
            out.push(finding("sensitive_claim", name));
        }
    }
    out
}

/// A lifetime as the inspector words it: "48 h (2.0 d)".
fn lifetime(secs: i64) -> String {
    if secs >= 86_400 {
        #[allow(clippy::cast_precision_loss)] // a lifetime in days, to one decimal
        let days = secs as f64 / 86_400.0;
        format!("{} h ({days:.1} d)", (secs + 1_800) / 3_600)
    } else {
        format!("{secs} s")
    }
}

/// The finding for an HMAC secret given to verify with, if it is weak or short.
pub fn secret_finding(alg: &str, secret: &[u8]) -> Option<Finding> {
    let hash_bytes = match alg {
        "HS256" => 32,
        "HS384" => 48,
        "HS512" => 64,
        _ => return None,
    };
    let text = std::str::from_utf8(secret).unwrap_or_default();
    if strings("weak_secrets").any(|weak| weak == text) {
        Some(finding("weak_secret", &Value::from(text).to_string()))
    } else if secret.len() < hash_bytes {
        Some(finding("short_secret", &secret.len().to_string()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_file_names_every_finding_used() {
        for id in [
            "alg_none",
            "alg_unexpected",
            "weak_secret",
            "short_secret",
            "no_exp",
            "long_lifetime",
            "no_aud",
            "kid_injection",
            "remote_key_header",
            "sensitive_claim",
            "verification_failed",
            "not_verified",
        ] {
            assert!(RULES["findings"][id]["text"].is_string(), "{id} missing");
        }
        assert!(strings("weak_secrets").count() > 20);
    }

    #[test]
    fn a_token_signed_with_a_well_known_secret_is_found() {
        let input = b"eyJhbGciOiJIUzI1NiJ9.e30";
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, b"your-256-bit-secret"),
            input,
        );
        let header = serde_json::from_str(r#"{"alg":"HS256"}"#).unwrap_or_default();
        assert_eq!(
            weak_secret_of(&header, input, tag.as_ref()),
            Some("your-256-bit-secret")
        );
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, b"a long random secret nobody lists"),
            input,
        );
        assert_eq!(weak_secret_of(&header, input, tag.as_ref()), None);
    }

    #[test]
    fn the_claims_rules_apply() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"iat":0,"exp":172800,"password":"x"}"#).unwrap_or_default();
        let ids: Vec<_> = claim_findings(&claims).iter().map(|f| f.id).collect();
        assert_eq!(ids, ["long_lifetime", "no_aud", "sensitive_claim"]);
        let none: Map<String, Value> = serde_json::from_str("{}").unwrap_or_default();
        assert_eq!(claim_findings(&none)[0].id, "no_exp");
    }
}
