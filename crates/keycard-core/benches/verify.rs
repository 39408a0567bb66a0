//! Token verification, side by side: Keycard's full verify, the bare aws-lc-rs primitive
//! over the same bytes, and the `jsonwebtoken` crate checking the same token.
//!
//! Run by hand, never by CI: `cargo bench -p keycard-core --bench verify`. See
//! `docs/BENCHMARKS.md` for what each group measures and the targets.
//!
//! After criterion's groups, the bench prints its own ratio table from a quick interleaved
//! timing loop (`KEYCARD_BENCH_SUMMARY=0` skips it; `KEYCARD_BENCH_SUMMARY=only` prints
//! only it). The table also breaks HS256's and RS256's full verify into their steps.

// A bench may panic on a broken setup and read the monotonic clock for its own table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use aws_lc_rs::{hmac, rsa};
use criterion::{Criterion, criterion_group};
use keycard_core::jose::base64url;
use keycard_core::jwt::{self, Claims, Validation};
use keycard_core::{Algorithm, Header, Key, KeySet, UnixTime};
use serde::Deserialize;
use serde_json::json;

const ISS: &str = "https://auth.example.com";
const AUD: &str = "https://api.example.com";
const KID: &str = "k1";
/// 2025-06-15: the instant Keycard verifies at.
const IAT: i64 = 1_750_000_000;
/// 2100-01-01: far in the future, because `jsonwebtoken` checks `exp` against the system
/// clock.
const EXP: i64 = 4_102_444_800;

/// Every algorithm, in report order.
const ALGS: [Algorithm; 13] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
];

/// The claims of the access token, as `jsonwebtoken` decodes them (same members as signed).
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Decoded to be paid for, never read.
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    sid: String,
    roles: Vec<String>,
}

/// The bare aws-lc-rs primitive Keycard's verify ends in.
#[allow(clippy::large_enum_variant)] // Inline, as in Keycard's own `Key`.
enum Primitive {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

impl Primitive {
    #[inline]
    fn run(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        match self {
            // One HMAC of the signing input; Keycard's `hmac::verify` is this plus a
            // constant-time compare.
            Primitive::Hmac(key) => {
                hmac::sign(key, signing_input).as_ref().len() == signature.len()
            }
            Primitive::Public(key) => key.verify_sig(signing_input, signature).is_ok(),
        }
    }
}

/// Everything one algorithm's three contenders need, built once outside the loops.
struct Fixture {
    alg: Algorithm,
    token: String,
    keys: KeySet,
    validation: Validation,
    now: UnixTime,
    primitive: Primitive,
    signing_input_len: usize,
    signature: Vec<u8>,
    jwt: Option<(jsonwebtoken::DecodingKey, jsonwebtoken::Validation)>,
}

impl Fixture {
    fn new(alg: Algorithm) -> Self {
        let (signer, verifier, primitive, jwt_key) = keys_for(alg);
        let claims = json!({
            "iss": ISS,
            "sub": "user_8412",
            "aud": AUD,
            "exp": EXP,
            "iat": IAT,
            "jti": "3f9c1a7e5b2d",
            "sid": "s_4c2e8b",
            "roles": ["reader", "billing"],
        });
        let token = jwt::sign(&signer, Some("at+jwt"), &claims).unwrap();
        let keys = KeySet::verify_only([verifier]).unwrap();
        let validation = Validation::access_token(ISS, AUD);
        let now = UnixTime::from_secs(IAT + 60);
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let signature = base64url::decode(signature).unwrap();
        let signing_input = signing_input.to_owned();
        let jwt = jwt_alg(alg).map(|jwt_alg| {
            let mut rules = jsonwebtoken::Validation::new(jwt_alg);
            rules.leeway = 30;
            rules.validate_exp = true;
            rules.set_issuer(&[ISS]);
            rules.set_audience(&[AUD]);
            rules.set_required_spec_claims(&["exp", "iss", "aud"]);
            (jwt_key.unwrap(), rules)
        });
        let fixture = Self {
            alg,
            token,
            keys,
            validation,
            now,
            primitive,
            signing_input_len: signing_input.len(),
            signature,
            jwt,
        };
        fixture.check(&signing_input);
        fixture
    }

    /// Every contender accepts the token, and Keycard and `jsonwebtoken` refuse it with one
    /// signature byte changed: nothing below measures a shortcut.
    fn check(&self, signing_input: &str) {
        let alg = self.alg;
        assert!(self.keycard(&self.token), "{alg}: keycard refused");
        assert!(
            self.primitive
                .run(signing_input.as_bytes(), &self.signature),
            "{alg}: primitive refused"
        );
        let mut forged = self.signature.clone();
        forged[0] ^= 1;
        let forged = format!("{signing_input}.{}", base64url::encode(&forged));
        assert!(!self.keycard(&forged), "{alg}: keycard accepted a forgery");
        if self.jwt.is_some() {
            assert!(
                self.jsonwebtoken(&self.token),
                "{alg}: jsonwebtoken refused"
            );
            assert!(
                !self.jsonwebtoken(&forged),
                "{alg}: jsonwebtoken accepted a forgery"
            );
        }
    }

    #[inline]
    fn keycard(&self, token: &str) -> bool {
        self.validation
            .verify(black_box(&self.keys), black_box(token), black_box(self.now))
            .is_ok()
    }

    #[inline]
    fn primitive(&self) -> bool {
        let signing_input = &self.token[..self.signing_input_len];
        self.primitive.run(
            black_box(signing_input.as_bytes()),
            black_box(&self.signature),
        )
    }

    #[inline]
    fn jsonwebtoken(&self, token: &str) -> bool {
        let Some((key, rules)) = &self.jwt else {
            return false;
        };
        jsonwebtoken::decode::<AccessClaims>(black_box(token), black_box(key), black_box(rules))
            .is_ok()
    }
}

/// The signing key, Keycard's verifying key, the bare primitive and `jsonwebtoken`'s
/// decoding key for `alg`, all from one key pair or secret.
fn keys_for(alg: Algorithm) -> (Key, Key, Primitive, Option<jsonwebtoken::DecodingKey>) {
    if let Some(hmac_alg) = hmac_alg(alg) {
        let secret: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(151).wrapping_add(7))
            .collect();
        let signer = Key::hmac(alg, &secret, Some(KID.into())).unwrap();
        let verifier = Key::hmac(alg, &secret, Some(KID.into())).unwrap();
        let primitive = Primitive::Hmac(hmac::Key::new(hmac_alg, &secret));
        let jwt_key = jsonwebtoken::DecodingKey::from_secret(&secret);
        return (signer, verifier, primitive, Some(jwt_key));
    }
    let signer = Key::generate(alg).unwrap().with_kid(KID);
    let verifier = signer.to_public_only().unwrap();
    let jwk = signer.public_jwk().unwrap();
    let member = |name: &str| jwk[name].as_str().unwrap().to_owned();
    let bytes = |name: &str| base64url::decode(member(name)).unwrap();
    let (public, jwt_key) = match alg {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => {
            let params: &'static sig::RsaParameters = match alg {
                Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                _ => &sig::RSA_PSS_2048_8192_SHA512,
            };
            let (n, e) = (bytes("n"), bytes("e"));
            let public = rsa::PublicKeyComponents {
                n: &n[..],
                e: &e[..],
            }
            .to_parsed_public_key(params)
            .unwrap();
            let jwt_key =
                jsonwebtoken::DecodingKey::from_rsa_components(&member("n"), &member("e"));
            (public, jwt_key.ok())
        }
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
            let verify: &'static sig::EcdsaVerificationAlgorithm = match alg {
                Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
                Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
                _ => &sig::ECDSA_P521_SHA512_FIXED,
            };
            let mut point = vec![0x04];
            point.extend(bytes("x"));
            point.extend(bytes("y"));
            let public = ParsedPublicKey::new(verify, &point).unwrap();
            let jwt_key = jwt_alg(alg).map(|_| {
                jsonwebtoken::DecodingKey::from_ec_components(&member("x"), &member("y")).unwrap()
            });
            (public, jwt_key)
        }
        _ => {
            let public = ParsedPublicKey::new(&sig::ED25519, bytes("x")).unwrap();
            let jwt_key = jsonwebtoken::DecodingKey::from_ed_components(&member("x"));
            (public, jwt_key.ok())
        }
    };
    (signer, verifier, Primitive::Public(public), jwt_key)
}

fn hmac_alg(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// `jsonwebtoken`'s name for `alg`; it has no ES512.
fn jwt_alg(alg: Algorithm) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm as J;
    Some(match alg {
        Algorithm::HS256 => J::HS256,
        Algorithm::HS384 => J::HS384,
        Algorithm::HS512 => J::HS512,
        Algorithm::RS256 => J::RS256,
        Algorithm::RS384 => J::RS384,
        Algorithm::RS512 => J::RS512,
        Algorithm::PS256 => J::PS256,
        Algorithm::PS384 => J::PS384,
        Algorithm::PS512 => J::PS512,
        Algorithm::ES256 => J::ES256,
        Algorithm::ES384 => J::ES384,
        Algorithm::EdDSA => J::EdDSA,
        _ => return None,
    })
}

fn fixtures() -> Vec<Fixture> {
    ALGS.into_iter().map(Fixture::new).collect()
}

// ---------------------------------------------------------------------------------------
// The steps of `Validation::verify`, one by one, through the crate's public API. Each
// returns (and so drops) what the real step builds, so allocations and frees are counted.
// ---------------------------------------------------------------------------------------

/// The three parts and the signing input, as `jws::split` finds them (size cap included).
#[inline]
fn split(token: &str) -> Option<(&str, &str, &str, &str)> {
    if token.len() > 8 * 1024 {
        return None;
    }
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    if payload.contains('.') {
        return None;
    }
    Some((header, payload, signature, signing_input))
}

/// One step of the breakdown: its name, and a function of the fixture.
type Step = (&'static str, fn(&Fixture) -> bool);

const STEPS: [Step; 14] = [
    ("split", |f| split(black_box(&f.token)).is_some()),
    ("b64 header", |f| {
        let (header, ..) = split(&f.token).unwrap_or_default();
        base64url::decode(black_box(header)).is_some()
    }),
    ("Header::parse", |f| {
        let (header, ..) = split(&f.token).unwrap_or_default();
        let bytes = base64url::decode(header).unwrap_or_default();
        Header::parse(black_box(&bytes)).is_ok()
    }),
    ("KeySet::find", |f| {
        black_box(&f.keys).find(black_box(Some(KID))).is_ok()
    }),
    ("b64 signature", |f| {
        let (_, _, signature, _) = split(&f.token).unwrap_or_default();
        let mut out = [0u8; 512];
        base64url::decode_to_slice(black_box(signature), &mut out).is_some()
    }),
    ("Key::verify", |f| {
        let key = f.keys.find(Some(KID)).unwrap();
        let (_, _, _, signing_input) = split(&f.token).unwrap_or_default();
        black_box(key).verify(black_box(signing_input.as_bytes()), black_box(&f.signature))
    }),
    ("typ check", |_| {
        black_box(&TYPED_HEADER).typ_is(black_box("at+jwt"))
    }),
    ("b64 payload", |f| {
        let (_, payload, ..) = split(&f.token).unwrap_or_default();
        base64url::decode(black_box(payload)).is_some()
    }),
    ("Claims::parse", |f| {
        let (_, payload, ..) = split(&f.token).unwrap_or_default();
        let bytes = base64url::decode(payload).unwrap_or_default();
        Claims::parse(black_box(&bytes)).is_ok()
    }),
    ("check_claims", |f| {
        f.validation
            .check_claims(black_box(&CLAIMS), black_box(f.now))
            .is_ok()
    }),
    // References, not steps: one small heap allocation and its free, as each owned
    // String or Vec of the verify costs; plain serde_json (no duplicate check) over the
    // same bytes, into owned and into borrowed strings, to show what the strict parsers
    // cost.
    ("ref: String alloc+free", |_| {
        black_box(String::from(black_box("s_4c2e8b"))).len() == 8
    }),
    ("ref: serde hdr &str", |f| {
        let (header, ..) = split(&f.token).unwrap_or_default();
        let bytes = base64url::decode(header).unwrap_or_default();
        serde_json::from_slice::<BorrowedHeader<'_>>(black_box(&bytes)).is_ok()
    }),
    ("ref: serde claims String", |f| {
        let (_, payload, ..) = split(&f.token).unwrap_or_default();
        let bytes = base64url::decode(payload).unwrap_or_default();
        serde_json::from_slice::<OwnedClaims>(black_box(&bytes)).is_ok()
    }),
    ("ref: serde claims &str", |f| {
        let (_, payload, ..) = split(&f.token).unwrap_or_default();
        let bytes = base64url::decode(payload).unwrap_or_default();
        serde_json::from_slice::<BorrowedClaims<'_>>(black_box(&bytes)).is_ok()
    }),
];

/// The header members Keycard keeps, borrowed.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BorrowedHeader<'a> {
    alg: &'a str,
    kid: Option<&'a str>,
    typ: Option<&'a str>,
}

/// The registered claims Keycard keeps, owned; `roles` walked and dropped as Keycard does.
#[derive(Deserialize)]
#[allow(dead_code)]
struct OwnedClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
    sid: Option<String>,
    roles: serde::de::IgnoredAny,
}

/// The same, borrowed from the decoded payload.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BorrowedClaims<'a> {
    iss: Option<&'a str>,
    sub: Option<&'a str>,
    aud: Option<&'a str>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<&'a str>,
    sid: Option<&'a str>,
    roles: serde::de::IgnoredAny,
}

/// A parsed header and claims for the two steps that take one, so they time only themselves.
static TYPED_HEADER: std::sync::LazyLock<Header> = std::sync::LazyLock::new(|| {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.into());
    header.typ = Some("at+jwt".into());
    header
});
static CLAIMS: std::sync::LazyLock<Claims> = std::sync::LazyLock::new(|| {
    let json = serde_json::json!({
        "iss": ISS, "sub": "user_8412", "aud": AUD, "exp": EXP, "iat": IAT,
        "jti": "3f9c1a7e5b2d", "sid": "s_4c2e8b",
    });
    Claims::parse(json.to_string().as_bytes()).expect("claims parse")
});

/// A step alone: its time less that of the setup (splitting, decoding) it repeats, which is
/// itself timed as an earlier step.
fn step_cost(name: &str, ns: &dyn Fn(&str) -> f64) -> f64 {
    let own = ns(name);
    let minus = match name {
        "b64 header" | "b64 signature" | "b64 payload" | "Key::verify" => ns("split"),
        "Header::parse" | "ref: serde hdr &str" => ns("b64 header"),
        "Claims::parse" | "ref: serde claims String" | "ref: serde claims &str" => {
            ns("b64 payload")
        }
        _ => 0.0,
    };
    (own - minus).max(0.0)
}

// ---------------------------------------------------------------------------------------
// Criterion groups.
// ---------------------------------------------------------------------------------------

fn verify_groups(c: &mut Criterion) {
    let fixtures = fixtures();
    for f in &fixtures {
        eprintln!(
            "{}: token {} bytes, signing input {} bytes",
            f.alg,
            f.token.len(),
            f.signing_input_len
        );
    }

    // One algorithm's three contenders run back to back, so that load from other processes,
    // which drifts over minutes, falls on them alike; the ids still read
    // `keycard/<ALG>`, `primitive/<ALG>`, `jsonwebtoken/<ALG>`.
    for f in &fixtures {
        let contenders: [(&str, &dyn Fn() -> bool); 3] = [
            ("keycard", &|| f.keycard(&f.token)),
            ("primitive", &|| f.primitive()),
            ("jsonwebtoken", &|| f.jsonwebtoken(&f.token)),
        ];
        for (name, run) in contenders {
            if name == "jsonwebtoken" && f.jwt.is_none() {
                continue;
            }
            let mut group = c.benchmark_group(name);
            if matches!(f.alg, Algorithm::ES384 | Algorithm::ES512) {
                // Over 100 µs a verify: fewer samples fit the 2 s.
                group.sample_size(50);
            }
            group.bench_function(f.alg.name(), |b| b.iter(run));
            group.finish();
        }
    }

    let hs256 = &fixtures[0];
    let mut group = c.benchmark_group("breakdown/HS256");
    for (name, step) in STEPS {
        group.bench_function(name, |b| b.iter(|| step(hs256)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1))
        .without_plots();
    targets = verify_groups
}

// ---------------------------------------------------------------------------------------
// The ratio table: a quick loop of its own, every contender timed in interleaved rounds so
// that load from other processes falls on all of them alike.
// ---------------------------------------------------------------------------------------

const ROUNDS: usize = 9;
const ROUND_TIME: Duration = Duration::from_millis(25);

/// Nanoseconds per call of `f`: (median, min) over interleaved rounds.
struct Timing {
    median: f64,
    min: f64,
}

/// Times several functions in interleaved rounds of about [`ROUND_TIME`] each.
fn time_all(cases: &[&dyn Fn() -> bool]) -> Vec<Timing> {
    let batches: Vec<u64> = cases.iter().map(|f| calibrate(*f)).collect();
    let mut samples = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for _ in 0..ROUNDS {
        for ((f, &n), out) in cases.iter().zip(&batches).zip(&mut samples) {
            out.push(run_batch(*f, n));
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            Timing {
                median: s[s.len() / 2],
                min: s[0],
            }
        })
        .collect()
}

/// The batch size that takes about [`ROUND_TIME`].
fn calibrate(f: &dyn Fn() -> bool) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        let elapsed = start.elapsed();
        if elapsed >= ROUND_TIME / 8 {
            let scale = ROUND_TIME.as_secs_f64() / elapsed.as_secs_f64();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return ((n as f64 * scale) as u64).max(1);
        }
        n *= 2;
    }
}

fn run_batch(f: &dyn Fn() -> bool, n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn summary() {
    let fixtures = fixtures();
    println!();
    println!(
        "Ratio table: ns per verify, median (min) of {ROUNDS} interleaved rounds of ~{} ms each",
        ROUND_TIME.as_millis()
    );
    println!(
        "{:<6} {:>5} {:>17} {:>17} {:>17}  {:>13}  {:>13}  target",
        "alg", "input", "keycard", "primitive", "jsonwebtoken", "kc/primitive", "jwt/kc"
    );
    // (fixture index, its full verify) for the algorithms broken down after the table.
    let mut breakdown_for = Vec::new();
    for (i, f) in fixtures.iter().enumerate() {
        let keycard = || f.keycard(&f.token);
        let primitive = || f.primitive();
        let jwt = || f.jsonwebtoken(&f.token);
        let mut cases: Vec<&dyn Fn() -> bool> = vec![&keycard, &primitive];
        if f.jwt.is_some() {
            cases.push(&jwt);
        }
        let t = time_all(&cases);
        let cell = |t: Option<&Timing>| match t {
            Some(t) => format!("{:.0} ({:.0})", t.median, t.min),
            None => "n/a".to_owned(),
        };
        let ratio = |a: f64, b: f64| a / b;
        let kc_prim = ratio(t[0].median, t[1].median);
        let kc_prim_min = ratio(t[0].min, t[1].min);
        let jwt_kc = t.get(2).map(|j| ratio(j.median, t[0].median));
        let jwt_kc_min = t.get(2).map(|j| ratio(j.min, t[0].min));
        if matches!(f.alg, Algorithm::HS256 | Algorithm::RS256) {
            breakdown_for.push((i, t[0].median));
        }
        let target = match f.alg {
            Algorithm::HS256 => {
                let ok = kc_prim <= 3.0 && jwt_kc.is_some_and(|r| r >= 2.5);
                format!(
                    "kc/prim <= 3.0 and jwt/kc >= 2.5: {}",
                    if ok { "MET" } else { "MISSED" }
                )
            }
            Algorithm::HS384 | Algorithm::HS512 => "-".to_owned(),
            _ => format!(
                "kc/prim <= 1.10: {}",
                if kc_prim <= 1.10 { "MET" } else { "MISSED" }
            ),
        };
        println!(
            "{:<6} {:>5} {:>17} {:>17} {:>17}  {:>13}  {:>13}  {target}",
            f.alg.name(),
            f.signing_input_len,
            cell(Some(&t[0])),
            cell(Some(&t[1])),
            cell(t.get(2)),
            format!("{kc_prim:.3} ({kc_prim_min:.3})"),
            match (jwt_kc, jwt_kc_min) {
                (Some(a), Some(b)) => format!("{a:.2} ({b:.2})"),
                _ => "n/a".to_owned(),
            },
        );
    }

    for (i, full) in breakdown_for {
        breakdown(&fixtures[i], full);
    }
}

/// Prints each step of one fixture's full verify, timed alone, against the full verify.
fn breakdown(f: &Fixture, full: f64) {
    let cases: Vec<Box<dyn Fn() -> bool + '_>> = STEPS
        .iter()
        .map(|&(_, step)| Box::new(move || step(f)) as Box<dyn Fn() -> bool>)
        .collect();
    let refs: Vec<&dyn Fn() -> bool> = cases.iter().map(|b| &**b).collect();
    let t = time_all(&refs);
    let ns = |name: &str| {
        STEPS
            .iter()
            .position(|(n, _)| *n == name)
            .map_or(0.0, |i| t[i].median)
    };
    println!();
    println!(
        "{} breakdown: each step alone (setup it repeats subtracted), median ns",
        f.alg
    );
    let mut total = 0.0;
    for (name, _) in STEPS {
        let cost = step_cost(name, &ns);
        if !name.starts_with("ref:") {
            total += cost;
        }
        println!(
            "  {name:<24} {cost:>7.0} ns  {:>5.1}% of full verify",
            100.0 * cost / full
        );
    }
    println!(
        "  {:<24} {total:>7.0} ns  (full verify in the table: {full:.0} ns; {:+.0} ns of glue, \
         moves and drops, or of noise)",
        "sum of steps",
        full - total
    );
}

fn main() {
    let mode = std::env::var("KEYCARD_BENCH_SUMMARY").unwrap_or_default();
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    // As criterion decides: without `--bench` (so under `cargo test --benches`), or with
    // `--test`, `--list` or `--profile-time`, nothing is measured and no table printed.
    let measuring = has("--bench") && !has("--test") && !has("--list") && !has("--profile-time");
    if mode != "only" {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if mode != "0" && measuring {
        summary();
    }
}
