//! An access token minted by the running server verifies with PyJWT given only
//! `/.well-known/jwks.json` (issue 4, point 5).
//!
//! In jwt and hybrid modes (and with ES256 and RS256 besides the default EdDSA), the test
//! creates a user, logs in over HTTP, fetches the JWKS, and the issuer and audience from
//! `/.well-known/keycard-configuration`, and hands them with the token to
//! `tests/interop/pyjwt_jwks.py`. The script works offline as `PyJWKClient` does: it builds
//! the keys with `PyJWKSet`, picks the one the token's kid names, pins the algorithm to
//! that key's `alg`, checks issuer, audience and expiry, and prints the claims; `sub` and
//! `sid` must be the user and the session `/v1/me` reports. The script must also refuse a
//! tampered token and a token whose kid the JWKS lacks, so a script that accepts anything
//! fails the test.
//!
//! The Python is `KEYCARD_INTEROP_PYTHON`, default `target/interop-venv/bin/python` (made by
//! `tests/interop/setup.sh`). Without PyJWT the tests fail, saying so, unless
//! `KEYCARD_SKIP_INTEROP=1`: then they announce the skip on stderr and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../../tests/support/child_process.rs"]
mod child_process;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::{TestServer, args, client, scratch};
use keycard_core::Algorithm;
use keycard_core::jose::base64url;
use keycard_server::config::Mode;
use keycard_server::config::values::AlgorithmName;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "pyjwt@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// How long the script may run before it is killed and the test fails.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    std::env::var_os("KEYCARD_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/interop-venv/bin/python"))
}

/// Whether PyJWT is importable, probed once per test binary.
fn probe() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let python = python();
        let output = Command::new(&python)
            .args(["-c", "import jwt, cryptography"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} cannot import PyJWT ({}): {}",
                python.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    })
}

/// Whether the test may run: a missing PyJWT fails it unless `KEYCARD_SKIP_INTEROP=1`,
/// which turns the failure into a skip announced on stderr.
fn pyjwt_available(test: &str) -> bool {
    let Err(why) = probe() else {
        return true;
    };
    if std::env::var("KEYCARD_SKIP_INTEROP").as_deref() == Ok("1") {
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! SKIPPED interop test {test}: PyJWT is not installed.\n!! {why}\n\
             !! KEYCARD_SKIP_INTEROP=1 is set, so this test passes WITHOUT RUNNING.\n\
             !! Run `bash tests/interop/setup.sh` to install the peers.\n{bar}"
        );
        return false;
    }
    panic!(
        "PyJWT is not installed: {why}\n\
         Run `bash tests/interop/setup.sh` (from any directory), or set KEYCARD_SKIP_INTEROP=1 \
         to skip the interop tests (loudly)."
    );
}

/// Runs `tests/interop/pyjwt_jwks.py` with `request` on stdin: whether it exited 0, and
/// its answer. Killed after [`SCRIPT_TIMEOUT`].
fn pyjwt_verify(request: &Value) -> (bool, Value) {
    let script = workspace_root().join("tests/interop/pyjwt_jwks.py");
    let mut command = Command::new(python());
    command.arg(&script);
    let (status, stdout, stderr) =
        child_process::run_with_input(command, request.to_string(), SCRIPT_TIMEOUT);
    let answer = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "pyjwt_jwks.py: stdout is not JSON ({e}); {status}\nstdout: {stdout}\nstderr: {stderr}"
        )
    });
    (status.success(), answer)
}

/// [`pyjwt_verify`] off the async runtime.
async fn verify_offline(request: Value) -> (bool, Value) {
    tokio::task::spawn_blocking(move || pyjwt_verify(&request))
        .await
        .unwrap()
}

async fn get_json(server: &TestServer, path: &str) -> Value {
    let response = client().get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

/// The token with its payload's `sub` changed and the signature kept.
fn tamper(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&base64url::decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = Value::from("someone-else");
    let payload = base64url::encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// The kid in a token's header.
fn kid(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&base64url::decode(header).unwrap()).unwrap();
    header["kid"].clone()
}

async fn token_verifies_with_pyjwt_from_the_jwks(mode: Mode, alg: Option<Algorithm>, name: &str) {
    if !pyjwt_available(name) {
        return;
    }
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(mode);
    args.signing_algorithm = alg.map(AlgorithmName);
    let server = TestServer::start(args).await;
    let http = client();

    let created = http
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let user: Value = created.json().await.unwrap();
    let login = http
        .post(server.url("/v1/login"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let login: Value = login.json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let me = http
        .get(server.url("/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();

    // The key material comes from the JWKS alone; the configuration document gives only
    // the issuer and audience, as a resource server configured from discovery has them.
    let jwks = get_json(&server, "/.well-known/jwks.json").await;
    let configuration = get_json(&server, "/.well-known/keycard-configuration").await;
    assert_eq!(
        configuration["jwks_uri"],
        server.state.settings().url("/.well-known/jwks.json")
    );
    let request = json!({
        "jwks": jwks,
        "token": token,
        "issuer": configuration["issuer"],
        "audience": configuration["audience"],
    });

    let (ok, answer) = verify_offline(request.clone()).await;
    assert!(ok, "PyJWT refused the server's token: {answer}");
    let expected_alg = alg.unwrap_or(Algorithm::EdDSA).name();
    assert_eq!(answer["alg"], expected_alg);
    assert_eq!(answer["header"]["typ"], "at+jwt");
    let claims = &answer["claims"];
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["sub"], me["user"]["id"]);
    assert_eq!(claims["sid"], me["session"]["id"]);
    assert_eq!(claims["iss"], server.state.settings().auth.issuer);
    assert_eq!(claims["aud"], server.state.settings().auth.audience);

    // The negatives: the script really verifies.
    let mut tampered = request.clone();
    tampered["token"] = Value::from(tamper(&token));
    let (ok, answer) = verify_offline(tampered).await;
    assert!(!ok, "PyJWT accepted a tampered token: {answer}");
    assert_eq!(answer["error"]["type"], "InvalidSignatureError");

    let mut without_key = request.clone();
    without_key["jwks"]["keys"] = Value::Array(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|key| key["kid"] != kid(&token))
            .cloned()
            .collect(),
    );
    let (ok, answer) = verify_offline(without_key).await;
    assert!(!ok, "PyJWT verified without the token's key: {answer}");
    assert_eq!(answer["error"]["type"], "PyJWKClientError");

    let mut wrong_audience = request;
    wrong_audience["audience"] = Value::from("https://someone-else.example");
    let (ok, answer) = verify_offline(wrong_audience).await;
    assert!(!ok, "PyJWT accepted another audience: {answer}");
    assert_eq!(answer["error"]["type"], "InvalidAudienceError");

    server.stop().await.unwrap();
}

#[tokio::test]
async fn jwt_mode_token_verifies_with_pyjwt_from_the_jwks() {
    token_verifies_with_pyjwt_from_the_jwks(Mode::Jwt, None, "pyjwt-jwks-jwt").await;
}

#[tokio::test]
async fn hybrid_mode_token_verifies_with_pyjwt_from_the_jwks() {
    token_verifies_with_pyjwt_from_the_jwks(Mode::Hybrid, None, "pyjwt-jwks-hybrid").await;
}

#[tokio::test]
async fn jwt_mode_es256_token_verifies_with_pyjwt_from_the_jwks() {
    token_verifies_with_pyjwt_from_the_jwks(Mode::Jwt, Some(Algorithm::ES256), "pyjwt-jwks-es256")
        .await;
}

#[tokio::test]
async fn hybrid_mode_rs256_token_verifies_with_pyjwt_from_the_jwks() {
    token_verifies_with_pyjwt_from_the_jwks(
        Mode::Hybrid,
        Some(Algorithm::RS256),
        "pyjwt-jwks-rs256",
    )
    .await;
}
