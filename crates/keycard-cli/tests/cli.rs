//! The `keycard` binary end to end: each command run as a user runs it, checking output,
//! exit status and that no secret leaks where it should not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use keycard_core::jose::base64url;
use keycard_core::{Algorithm, Clock as _, Key, SystemClock};
use serde_json::{Value, json};
use tempfile::TempDir;

fn keycard(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keycard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keycard runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A fresh scratch directory, removed on drop.
fn scratch_dir(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("keycard-cli-{name}-"))
        .tempdir()
        .unwrap()
}

/// Writes `text` to the file `name` in `dir` and returns its path, as an argument.
fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn now() -> i64 {
    SystemClock.now().as_secs()
}

#[test]
fn keygen_prints_a_private_jwk_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let output = keycard(&["keygen", "--alg", alg.name()], None);
        assert!(output.status.success(), "{alg}: {}", stderr(&output));
        let jwk: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(jwk["alg"], alg.name());
        assert!(
            jwk.get("d").is_some() || jwk.get("k").is_some(),
            "{alg}: private"
        );
        let key = Key::from_jwk_json(&stdout(&output), None).unwrap();
        assert!(key.can_sign());
        assert_eq!(jwk["kid"], key.kid());
    }
    let output = keycard(&["keygen", "--alg", "EdDSA", "--kid", "2026-11"], None);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&output)).unwrap()["kid"],
        "2026-11"
    );
}

#[test]
fn keygen_refuses_none_and_unknown_algorithms() {
    for alg in ["none", "HS1", "es256"] {
        let output = keycard(&["keygen", "--alg", alg], None);
        assert_eq!(output.status.code(), Some(2), "{alg}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn secret_is_random_base64url_of_the_asked_length() {
    let a = stdout(&keycard(&["secret"], None));
    let b = stdout(&keycard(&["secret"], None));
    assert_ne!(a, b);
    assert_eq!(base64url::decode(a.trim()).unwrap().len(), 32);
    let c = stdout(&keycard(&["secret", "--bytes", "64"], None));
    assert_eq!(base64url::decode(c.trim()).unwrap().len(), 64);
    assert_eq!(
        keycard(&["secret", "--bytes", "8"], None).status.code(),
        Some(2)
    );
}

#[test]
fn sign_verify_and_jwks_work_together() {
    let dir = scratch_dir("roundtrip");
    let private = stdout(&keycard(&["keygen", "--alg", "ES256", "--kid", "k1"], None));
    let private_path = write(&dir, "private.json", &private);
    let jwks = keycard(&["jwks", &private_path], None);
    assert!(jwks.status.success(), "{}", stderr(&jwks));
    let jwks_text = stdout(&jwks);
    assert!(!jwks_text.contains("\"d\""), "{jwks_text}");
    let jwks_path = write(&dir, "jwks.json", &jwks_text);

    let claims = json!({"iss": "https://auth.test", "aud": "api", "sub": "u1", "roles": ["admin"]})
        .to_string();
    let signed = keycard(
        &["sign", "--key", &private_path, "--typ", "at+jwt", &claims],
        None,
    );
    assert!(signed.status.success(), "{}", stderr(&signed));
    let token = stdout(&signed).trim().to_owned();

    let verified = keycard(
        &[
            "verify",
            "--key",
            &jwks_path,
            "--iss",
            "https://auth.test",
            "--aud",
            "api",
            "--typ",
            "at+jwt",
            &token,
        ],
        None,
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let output: Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(output["claims"]["sub"], "u1");
    assert_eq!(output["claims"]["roles"], json!(["admin"]));
    assert_eq!(output["header"]["kid"], "k1");
    assert_eq!(output["header"]["typ"], "at+jwt");

    // The token on stdin, and the private key file (its private members are ignored).
    let from_stdin = keycard(
        &["verify", "--key", &private_path, "-"],
        Some(&format!("{token}\n")),
    );
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));

    // Wrong audience: exit 1, the rule on stderr, nothing on stdout.
    let wrong = keycard(
        &["verify", "--key", &jwks_path, "--aud", "other", &token],
        None,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("wrong_audience"),
        "{}",
        stderr(&wrong)
    );
    assert!(stdout(&wrong).is_empty());
}

#[test]
fn verify_names_the_failed_rule_and_exits_1() {
    let dir = scratch_dir("rules");
    let key = Key::generate(Algorithm::HS256).unwrap();
    let key_path = write(&dir, "key.json", &key.private_jwk().unwrap());
    let sign =
        |claims: Value, typ: Option<&str>| keycard_core::jwt::sign(&key, typ, &claims).unwrap();
    let cases = [
        (sign(json!({"exp": now() - 3600}), None), vec![], "expired"),
        (
            sign(json!({"exp": now() + 3600, "nbf": now() + 600}), None),
            vec![],
            "not_yet_valid",
        ),
        (
            sign(json!({"exp": now() + 3600, "iss": "a"}), None),
            vec!["--iss", "b"],
            "wrong_issuer",
        ),
        (
            sign(json!({"exp": now() + 3600}), Some("JWT")),
            vec!["--typ", "at+jwt"],
            "wrong_type",
        ),
        (sign(json!({"sub": "x"}), None), vec![], "missing_claim"),
        (
            "eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.".to_owned(),
            vec![],
            "unsupported_alg",
        ),
        ("not-a-token".to_owned(), vec![], "malformed"),
        ("a".repeat(9000), vec![], "too_large"),
    ];
    for (token, extra, rule) in cases {
        let mut args = vec!["verify", "--key", &key_path];
        args.extend(extra);
        args.push(&token);
        let output = keycard(&args, None);
        assert_eq!(output.status.code(), Some(1), "{rule}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(rule),
            "{rule}: {}",
            stderr(&output)
        );
    }
    // A tampered signature.
    let mut token = sign(json!({"exp": now() + 3600}), None);
    let last = token.pop().unwrap();
    token.push(if last == 'A' { 'Q' } else { 'A' });
    let output = keycard(&["verify", "--key", &key_path, &token], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("bad_signature") || stderr(&output).contains("malformed"));
}

#[test]
fn verify_key_errors_exit_2() {
    let dir = scratch_dir("keys");
    let token = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
    let no_alg = write(
        &dir,
        "noalg.json",
        r#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    let output = keycard(&["verify", "--key", &no_alg, token], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing_alg"),
        "{}",
        stderr(&output)
    );
    // The same key with --alg is accepted (and the token then fails on its signature).
    let output = keycard(&["verify", "--key", &no_alg, "--alg", "HS256", token], None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let short = write(
        &dir,
        "short.json",
        r#"{"kty":"oct","alg":"HS256","k":"c2hvcnQ"}"#,
    );
    let output = keycard(&["verify", "--key", &short, token], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("weak_key"), "{}", stderr(&output));

    let enc = Key::generate(Algorithm::RS256)
        .unwrap()
        .public_jwk()
        .unwrap()
        .to_string()
        .replace("\"sig\"", "\"enc\"");
    let enc = write(&dir, "enc.json", &enc);
    let output = keycard(&["verify", "--key", &enc, token], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("wrong_key_use"),
        "{}",
        stderr(&output)
    );

    let output = keycard(&["verify", "--key", "/nonexistent/key.json", token], None);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn verify_jws_mode_checks_signature_and_header_only() {
    let dir = scratch_dir("jws");
    let key = Key::generate(Algorithm::EdDSA).unwrap();
    let path = write(&dir, "key.json", &key.private_jwk().unwrap());
    let header = keycard_core::Header::new(Algorithm::EdDSA);
    let token = keycard_core::jose::jws::sign(&key, &header, b"plain text, not claims").unwrap();
    let output = keycard(&["verify", "--jws", "--key", &path, &token], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let output: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(output["payload"], "plain text, not claims");
    // The same token as a JWT is malformed: its payload is not claims.
    let output = keycard(&["verify", "--key", &path, &token], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("malformed"));
}

#[test]
fn decode_shows_dates_and_warns_it_did_not_verify() {
    let key = Key::generate(Algorithm::HS256).unwrap();
    let exp = now() + 14 * 60 + 30;
    let token = keycard_core::jwt::sign(
        &key,
        Some("at+jwt"),
        &json!({"sub": "u1", "exp": exp, "iat": now() - 7200}),
    )
    .unwrap();
    let output = keycard(&["decode", &token], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("NOT VERIFIED"), "{text}");
    assert!(text.contains("expires in 14 min"), "{text}");
    assert!(text.contains("issued 2 h ago"), "{text}");
    assert!(text.contains("\"sub\": \"u1\""), "{text}");
    assert!(text.contains(" UTC"), "{text}");

    let output = keycard(&["decode", "--json", "-"], Some(&token));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["header"]["typ"], "at+jwt");
    assert_eq!(json["payload"]["sub"], "u1");
    assert_eq!(json["dates"]["exp"]["unix"], exp);
    assert_eq!(json["dates"]["exp"]["relative"], "expires in 14 min");

    let expired = keycard_core::jwt::sign(&key, None, &json!({"exp": now() - 7300})).unwrap();
    assert!(stdout(&keycard(&["decode", &expired], None)).contains("expired 2 h ago"));
}

#[test]
fn decode_shows_even_alg_none_but_refuses_garbage() {
    let output = keycard(&["decode", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("\"alg\": \"none\""));
    let output = keycard(&["decode", "garbage"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("malformed"));
}

#[test]
fn help_documents_every_command() {
    let text = stdout(&keycard(&["--help"], None));
    for command in ["keygen", "secret", "jwks", "sign", "verify", "decode"] {
        assert!(text.contains(command), "{command}: {text}");
    }
}
