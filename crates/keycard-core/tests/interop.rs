//! Interoperability with two independent JOSE implementations: PyJWT (Python, on
//! `cryptography`) and `jose` (panva/jose, on Node's WebCrypto).
//!
//! For every algorithm, in both directions:
//! - Keycard signs an access token; the peer verifies it with only the public JWK (or a
//!   JWK Set it must pick the key from by kid; for HMAC the secret JWK), with the algorithm
//!   pinned and issuer and audience checked, and returns the same claims.
//! - The peer signs with the private JWK Keycard generated, and with a key it generated
//!   itself and exported as a public JWK; Keycard verifies with [`Validation`] and reads the
//!   same claims.
//!
//! And the negatives: a peer token signed with another key is refused by Keycard
//! (`bad_signature`, or `unknown_kid` when its kid names no Keycard key), and a Keycard
//! token whose payload was tampered with is refused by the peer.
//!
//! The peers are `tests/interop/pyjwt_peer.py` and `tests/interop/jose_peer.mjs`, installed
//! by `tests/interop/setup.sh`. Without them these tests fail, saying so, unless
//! `KEYCARD_SKIP_INTEROP=1` is set: then they announce the skip on stderr and pass.
//! `KEYCARD_INTEROP_PYTHON` names the Python interpreter (default: the setup script's venv,
//! `target/interop-venv/bin/python`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failure

#[path = "../../../tests/support/child_process.rs"]
mod child_process;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use keycard_core::jose::{base64url, jws};
use keycard_core::jwt::{self, Validation};
use keycard_core::{Algorithm, Clock, Key, KeySet, SystemClock, TokenError, UnixTime};
use serde_json::{Value, json};

const ISSUER: &str = "https://auth.keycard.test";
const AUDIENCE: &str = "https://api.keycard.test";
/// How long one peer process may run before it is killed and the test fails.
const PEER_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The peers
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    PyJwt,
    Jose,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PyJwt => "PyJWT",
            Self::Jose => "jose (npm)",
        })
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn interop_dir() -> PathBuf {
    workspace_root().join("tests/interop")
}

fn python() -> PathBuf {
    std::env::var_os("KEYCARD_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/interop-venv/bin/python"))
}

impl Peer {
    /// The algorithms the peer implements: for both, every one Keycard does.
    fn algorithms(self) -> Vec<Algorithm> {
        Algorithm::ALL.to_vec()
    }

    /// The command that runs the peer's CLI (without its sign/verify argument).
    fn command(self) -> Command {
        match self {
            Self::PyJwt => {
                let mut command = Command::new(python());
                command.arg(interop_dir().join("pyjwt_peer.py"));
                command
            }
            Self::Jose => {
                let mut command = Command::new("node");
                command.arg(interop_dir().join("jose_peer.mjs"));
                command
            }
        }
    }

    /// Whether the peer's runtime and libraries are installed, once per test binary.
    fn probe(self) -> &'static Result<(), String> {
        static PYJWT: OnceLock<Result<(), String>> = OnceLock::new();
        static JOSE: OnceLock<Result<(), String>> = OnceLock::new();
        match self {
            Self::PyJwt => PYJWT.get_or_init(|| {
                let python = python();
                let mut probe = Command::new(&python);
                probe.args(["-c", "import jwt, cryptography"]);
                let source = if std::env::var_os("KEYCARD_INTEROP_PYTHON").is_some() {
                    "from KEYCARD_INTEROP_PYTHON"
                } else {
                    "the default; KEYCARD_INTEROP_PYTHON overrides it"
                };
                run_probe(probe, &format!("{} ({source})", python.display()))
            }),
            Self::Jose => JOSE.get_or_init(|| {
                // Resolved from tests/interop, as the peer script's own import is.
                let mut probe = Command::new("node");
                probe
                    .args(["--input-type=module", "-e", "await import('jose')"])
                    .current_dir(interop_dir());
                run_probe(
                    probe,
                    "node, importing jose from tests/interop/node_modules",
                )
            }),
        }
    }

    /// Runs the peer once with `request` on stdin: its exit status and stdout as JSON.
    fn call(self, command: &str, request: &Value) -> (ExitStatus, Value) {
        let mut process = self.command();
        process.arg(command);
        let (status, stdout, stderr) =
            child_process::run_with_input(process, request.to_string(), PEER_TIMEOUT);
        let answer = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "{self} {command}: stdout is not JSON ({e}); exit {status}\n\
                 stdout: {stdout}\nstderr: {stderr}"
            )
        });
        (status, answer)
    }

    /// Runs a batch of requests in one process: one answer per request, in order.
    fn batch(self, command: &str, requests: &[Value]) -> Vec<Value> {
        let (status, answer) = self.call(command, &Value::Array(requests.to_vec()));
        assert!(status.success(), "{self} {command} batch: exit {status}");
        let Value::Array(answers) = answer else {
            panic!("{self} {command} batch: answer is not an array: {answer}");
        };
        assert_eq!(answers.len(), requests.len(), "{self} {command} batch");
        answers
    }
}

fn run_probe(mut probe: Command, what: &str) -> Result<(), String> {
    let output = probe
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} is not usable ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Whether this test may run. A missing peer fails the test, naming the setup script,
/// unless `KEYCARD_SKIP_INTEROP=1`: then the skip is announced on stderr, past libtest's
/// output capture, so it is never silent.
fn peer_available(peer: Peer) -> bool {
    let Err(why) = peer.probe() else {
        return true;
    };
    // libtest names each test's thread after the test.
    let current = thread::current();
    let test = current.name().unwrap_or("(unnamed)");
    if std::env::var("KEYCARD_SKIP_INTEROP").as_deref() == Ok("1") {
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! SKIPPED interop test {test}: the {peer} peer is not installed.\n\
             !! {why}\n\
             !! KEYCARD_SKIP_INTEROP=1 is set, so this test passes WITHOUT RUNNING.\n\
             !! Run `bash tests/interop/setup.sh` to install the peers.\n{bar}"
        );
        return false;
    }
    panic!(
        "the {peer} interop peer is not installed: {why}\n\
         Run `bash tests/interop/setup.sh` (from any directory) to install PyJWT and jose, \
         or set KEYCARD_SKIP_INTEROP=1 to skip the interop tests (loudly)."
    );
}

// ---------------------------------------------------------------------------------------
// Tokens, keys and answers
// ---------------------------------------------------------------------------------------

fn now() -> UnixTime {
    SystemClock.now()
}

/// Claims shaped like a Keycard access token, unique per call. `name` is not ASCII (an
/// emoji needs a surrogate pair when escaped) to check both sides' UTF-8 and escapes.
fn access_claims(alg: Algorithm, aud: Value) -> Value {
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    let now = now().as_secs();
    json!({
        "iss": ISSUER,
        "aud": aud,
        "sub": format!("user-{alg}-{serial}"),
        "exp": now + 600,
        "iat": now - 5,
        "jti": format!("jti-{alg}-{serial}"),
        "sid": format!("sid-{alg}-{serial}"),
        "roles": ["reader", "writer"],
        "name": "Zoë 🔑 Keycard",
    })
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// What the peer needs to verify `key`'s tokens: the public JWK, or the secret for HMAC.
fn verification_jwk(key: &Key) -> Value {
    match key.public_jwk() {
        Some(public) => public,
        None => json_of(&key.private_jwk().unwrap()),
    }
}

/// A verify-only key set holding `key`'s public half (HMAC: the secret) and `others`.
fn verify_set(key: &Key, others: impl IntoIterator<Item = Key>) -> KeySet {
    let verifier = if key.is_symmetric() {
        Key::from_jwk_json(&key.private_jwk().unwrap(), None).unwrap()
    } else {
        key.to_public_only().unwrap()
    };
    KeySet::verify_only(others.into_iter().chain([verifier])).unwrap()
}

fn verify_request(alg: Algorithm, token: &str, typ: Option<&str>) -> Value {
    let mut request = json!({
        "alg": alg.name(),
        "token": token,
        "issuer": ISSUER,
        "audience": AUDIENCE,
    });
    if let Some(typ) = typ {
        request["typ"] = typ.into();
    }
    request
}

fn expect_ok<'a>(peer: Peer, what: &str, answer: &'a Value) -> &'a Value {
    assert_eq!(
        answer["ok"],
        json!(true),
        "{peer} failed: {what}\nanswer: {answer}"
    );
    answer
}

fn token_kid(token: &str) -> Option<String> {
    let header = jws::decode_unverified(token, jws::DEFAULT_MAX_TOKEN_BYTES)
        .unwrap()
        .header;
    header.get("kid").and_then(Value::as_str).map(str::to_owned)
}

/// The token with its payload replaced by `claims` and its header and signature kept.
fn with_payload(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (header, _, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let payload = base64url::encode(claims.to_string());
    format!("{header}.{payload}.{signature}")
}

// ---------------------------------------------------------------------------------------
// The checks, each run against both peers
// ---------------------------------------------------------------------------------------

/// Keycard signs; the peer verifies with the public JWK alone, and for asymmetric keys
/// also with a JWK Set where it must select the key by kid past a decoy of the same alg.
fn peer_verifies_keycard_tokens(peer: Peer) {
    if !peer_available(peer) {
        return;
    }
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for alg in peer.algorithms() {
        let key = Key::generate(alg).unwrap();
        let claims = access_claims(alg, json!(AUDIENCE));
        let token = jwt::sign(&key, Some("at+jwt"), &claims).unwrap();
        let jwk = verification_jwk(&key);
        if !key.is_symmetric() {
            let text = jwk.to_string();
            for private in [
                "\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "\"k\"",
            ] {
                assert!(!text.contains(private), "{alg}: public JWK leaks {private}");
            }
        }
        let mut request = verify_request(alg, &token, Some("at+jwt"));
        request["jwk"] = jwk;
        requests.push(request);
        expected.push((alg, "JWK", key.kid().to_owned(), claims.clone()));
        if !key.is_symmetric() {
            let decoy = Key::generate(alg).unwrap().to_public_only().unwrap();
            let jwks = KeySet::verify_only([decoy, key.to_public_only().unwrap()])
                .unwrap()
                .public_jwks();
            let mut request = verify_request(alg, &token, Some("at+jwt"));
            request["jwks"] = jwks;
            requests.push(request);
            expected.push((alg, "JWK Set", key.kid().to_owned(), claims));
        }
    }
    let answers = peer.batch("verify", &requests);
    for ((alg, via, kid, claims), answer) in expected.iter().zip(&answers) {
        let what = format!("verifying a Keycard {alg} token with the {via}");
        let answer = expect_ok(peer, &what, answer);
        assert_eq!(&answer["claims"], claims, "{peer}, {what}: claims differ");
        assert_eq!(answer["header"]["alg"], json!(alg.name()), "{peer}, {what}");
        assert_eq!(answer["header"]["kid"], json!(kid), "{peer}, {what}");
        assert_eq!(answer["header"]["typ"], json!("at+jwt"), "{peer}, {what}");
    }
}

/// The peer signs with the private JWK Keycard generated; Keycard verifies the access
/// token (typ, issuer, audience) with the public half, picked by kid past a decoy.
fn keycard_verifies_peer_tokens_signed_with_keycard_keys(peer: Peer) {
    if !peer_available(peer) {
        return;
    }
    let mut keys = Vec::new();
    let mut requests = Vec::new();
    for alg in peer.algorithms() {
        let key = Key::generate(alg).unwrap();
        // An audience list, as a token for several resource servers carries.
        let claims = access_claims(alg, json!(["https://other.keycard.test", AUDIENCE]));
        requests.push(json!({
            "alg": alg.name(),
            "typ": "at+jwt",
            "claims": claims,
            "jwk": json_of(&key.private_jwk().unwrap()),
        }));
        keys.push((key, claims));
    }
    let answers = peer.batch("sign", &requests);
    let rules = Validation::access_token(ISSUER, AUDIENCE);
    for ((key, claims), answer) in keys.iter().zip(&answers) {
        let alg = key.alg();
        let answer = expect_ok(peer, &format!("signing {alg} with a Keycard JWK"), answer);
        let token = answer["token"].as_str().unwrap();
        let set = verify_set(key, [Key::generate(alg).unwrap()]);
        let verified = rules.verify(&set, token, now()).unwrap_or_else(|e| {
            panic!(
                "Keycard refused a {peer} {alg} token signed with its own JWK: {e} \
                     (rule {})\ntoken: {token}",
                e.rule()
            )
        });
        assert_eq!(
            &Value::Object(verified.claims_json()),
            claims,
            "{peer} {alg}"
        );
        assert_eq!(verified.header.alg, alg);
        assert_eq!(
            verified.header.kid.as_deref(),
            Some(key.kid()),
            "{peer} {alg}"
        );
        assert_eq!(verified.claims.iss(), Some(ISSUER));
        assert!(verified.claims.aud().any(|aud| aud == AUDIENCE));
        assert_eq!(verified.claims.sid(), claims["sid"].as_str());
        assert_eq!(verified.claims.jti(), claims["jti"].as_str());
    }
}

/// The peer generates its own key and exports only its public JWK (HMAC: the secret),
/// without kid or alg. Keycard imports it bound to the algorithm; the kid it derives (the
/// RFC 7638 thumbprint) must be the one the peer put in the header.
fn keycard_verifies_tokens_from_keys_the_peer_generated(peer: Peer) {
    if !peer_available(peer) {
        return;
    }
    let algorithms = peer.algorithms();
    let claims: Vec<Value> = algorithms
        .iter()
        .map(|&alg| access_claims(alg, json!(AUDIENCE)))
        .collect();
    let requests: Vec<Value> = algorithms
        .iter()
        .zip(&claims)
        .map(|(alg, claims)| json!({"alg": alg.name(), "claims": claims}))
        .collect();
    let answers = peer.batch("sign", &requests);
    let rules = Validation::new()
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE);
    for ((&alg, claims), answer) in algorithms.iter().zip(&claims).zip(&answers) {
        let answer = expect_ok(peer, &format!("signing {alg} with its own key"), answer);
        let token = answer["token"].as_str().unwrap();
        let jwk = answer["jwk"].to_string();
        let key = Key::from_jwk_json(&jwk, Some(alg))
            .unwrap_or_else(|e| panic!("Keycard cannot import {peer}'s {alg} JWK {jwk}: {e}"));
        assert_eq!(key.can_sign(), key.is_symmetric(), "{peer} {alg}: {jwk}");
        assert_eq!(
            token_kid(token).as_deref(),
            Some(key.kid()),
            "{peer} {alg}: the peer's RFC 7638 thumbprint differs from Keycard's for {jwk}"
        );
        let set = KeySet::verify_only([Key::generate(alg).unwrap(), key]).unwrap();
        let verified = rules.verify(&set, token, now()).unwrap_or_else(|e| {
            panic!(
                "Keycard refused a {peer} {alg} token from a {peer} key: {e} (rule {})\n\
                 jwk: {jwk}\ntoken: {token}",
                e.rule()
            )
        });
        assert_eq!(
            &Value::Object(verified.claims_json()),
            claims,
            "{peer} {alg}"
        );
        assert_eq!(verified.header.typ, None);
    }
}

/// The peer signs with a key of its own: under the kid of a Keycard key the signature
/// fails (`bad_signature`); under a kid Keycard does not know, the key is not found
/// (`unknown_kid`). The same tokens verify with the peer's key, so the key is the cause.
fn keycard_rejects_peer_tokens_signed_with_other_keys(peer: Peer) {
    if !peer_available(peer) {
        return;
    }
    let mut cases = Vec::new();
    let mut requests = Vec::new();
    for alg in peer.algorithms() {
        let key = Key::generate(alg).unwrap();
        let claims = access_claims(alg, json!(AUDIENCE));
        let mut expectations = Vec::new();
        for (kid, rule) in [
            (key.kid().to_owned(), TokenError::BadSignature),
            (format!("not-a-keycard-kid-{alg}"), TokenError::UnknownKid),
        ] {
            requests.push(json!({
                "alg": alg.name(),
                "typ": "at+jwt",
                "claims": claims,
                "kid": kid,
            }));
            expectations.push((requests.len() - 1, kid, rule));
        }
        cases.push((key, expectations));
    }
    let answers = peer.batch("sign", &requests);
    let rules = Validation::access_token(ISSUER, AUDIENCE);
    for (key, expectations) in &cases {
        let alg = key.alg();
        let set = verify_set(key, []);
        for (index, kid, rule) in expectations {
            let what = format!("signing {alg} with its own key under kid {kid}");
            let answer = expect_ok(peer, &what, &answers[*index]);
            let token = answer["token"].as_str().unwrap();
            assert_eq!(
                token_kid(token).as_deref(),
                Some(kid.as_str()),
                "{peer}, {what}"
            );
            let err = rules.verify(&set, token, now()).expect_err(&what);
            assert_eq!(
                &err,
                rule,
                "{peer}, {what}: expected rule {}, got {} ({err})",
                rule.rule(),
                err.rule()
            );
            // Control: the peer's own key accepts the very same token.
            let theirs = Key::from_jwk_json(&answer["jwk"].to_string(), Some(alg))
                .unwrap()
                .with_kid(kid.clone());
            let theirs = KeySet::verify_only([theirs]).unwrap();
            rules.verify(&theirs, token, now()).unwrap_or_else(|e| {
                panic!("{peer}, {what}: control failed, the peer's own key refuses it: {e}")
            });
        }
    }
}

/// Keycard signs; the payload is swapped for one granting more (header and signature
/// kept). The peer must refuse it for its signature, while the untampered token passes.
fn peer_rejects_tampered_keycard_tokens(peer: Peer) {
    if !peer_available(peer) {
        return;
    }
    let mut requests = Vec::new();
    for alg in peer.algorithms() {
        let key = Key::generate(alg).unwrap();
        let claims = access_claims(alg, json!(AUDIENCE));
        let token = jwt::sign(&key, Some("at+jwt"), &claims).unwrap();
        let mut forged = claims.clone();
        forged["roles"] = json!(["reader", "writer", "admin"]);
        let tampered = with_payload(&token, &forged);
        assert_ne!(tampered, token);
        // The tampered token is well formed: only its signature is wrong.
        let set = verify_set(&key, []);
        let err = Validation::access_token(ISSUER, AUDIENCE)
            .verify(&set, &tampered, now())
            .unwrap_err();
        assert_eq!(err, TokenError::BadSignature, "Keycard itself, {alg}");
        for token in [token, tampered] {
            let mut request = verify_request(alg, &token, Some("at+jwt"));
            request["jwk"] = verification_jwk(&key);
            requests.push(request);
        }
    }
    let answers = peer.batch("verify", &requests);
    let signature_error = match peer {
        Peer::PyJwt => "InvalidSignatureError",
        Peer::Jose => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    };
    for (pair, request) in answers.chunks(2).zip(requests.chunks(2)) {
        let alg = request[0]["alg"].as_str().unwrap();
        expect_ok(
            peer,
            &format!("verifying an untampered Keycard {alg} token"),
            &pair[0],
        );
        assert_eq!(
            pair[1]["ok"],
            json!(false),
            "{peer} ACCEPTED a tampered Keycard {alg} token: {}",
            pair[1]
        );
        assert_eq!(
            pair[1]["error"]["type"],
            json!(signature_error),
            "{peer} refused a tampered {alg} token, but not for its signature: {}",
            pair[1]
        );
    }

    // Once outside a batch, as a command-line caller sees it: a non-zero exit and the error.
    let tampered = requests.last().unwrap();
    let (status, answer) = peer.call("verify", tampered);
    assert!(
        !status.success(),
        "{peer} exited 0 on a tampered token: {answer}"
    );
    assert_eq!(answer["ok"], json!(false), "{peer}: {answer}");
    assert_eq!(
        answer["error"]["type"],
        json!(signature_error),
        "{peer}: {answer}"
    );
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn pyjwt_verifies_keycard_tokens() {
    peer_verifies_keycard_tokens(Peer::PyJwt);
}

#[test]
fn jose_verifies_keycard_tokens() {
    peer_verifies_keycard_tokens(Peer::Jose);
}

#[test]
fn keycard_verifies_pyjwt_tokens_signed_with_keycard_keys() {
    keycard_verifies_peer_tokens_signed_with_keycard_keys(Peer::PyJwt);
}

#[test]
fn keycard_verifies_jose_tokens_signed_with_keycard_keys() {
    keycard_verifies_peer_tokens_signed_with_keycard_keys(Peer::Jose);
}

#[test]
fn keycard_verifies_tokens_from_keys_pyjwt_generated() {
    keycard_verifies_tokens_from_keys_the_peer_generated(Peer::PyJwt);
}

#[test]
fn keycard_verifies_tokens_from_keys_jose_generated() {
    keycard_verifies_tokens_from_keys_the_peer_generated(Peer::Jose);
}

#[test]
fn keycard_rejects_pyjwt_tokens_signed_with_other_keys() {
    keycard_rejects_peer_tokens_signed_with_other_keys(Peer::PyJwt);
}

#[test]
fn keycard_rejects_jose_tokens_signed_with_other_keys() {
    keycard_rejects_peer_tokens_signed_with_other_keys(Peer::Jose);
}

#[test]
fn pyjwt_rejects_tampered_keycard_tokens() {
    peer_rejects_tampered_keycard_tokens(Peer::PyJwt);
}

#[test]
fn jose_rejects_tampered_keycard_tokens() {
    peer_rejects_tampered_keycard_tokens(Peer::Jose);
}
