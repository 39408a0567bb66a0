//! Passwords: the policy a new password must pass, and argon2id hashing.
//!
//! The policy is deliberately small (NIST SP 800-63B): a length between 8 and 1024 bytes of
//! UTF-8 and not the account's own email address. Composition rules are left out on purpose.
//!
//! Hashing is argon2id at OWASP's first recommended setting (19 MiB, two passes, one lane:
//! about 21 ms in a release build on a 2-core box). Verifying reads the parameters from the
//! stored PHC string, so old hashes keep working, and reports when a hash is weaker than the
//! current setting so the server can rehash it at the next successful login. A login for an
//! unknown email runs the same computation against a dummy hash, so response time does not
//! tell an attacker which addresses have accounts.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::phc;
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};

use super::{Email, PasswordHash};
use crate::KeyError;

/// The shortest password accepted, in bytes of UTF-8.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// The longest password accepted, in bytes of UTF-8.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// OWASP's argon2id memory cost, in KiB (19 MiB).
pub const OWASP_M_KIB: u32 = 19_456;
/// OWASP's argon2id time cost (passes over memory).
pub const OWASP_T: u32 = 2;
/// OWASP's argon2id parallelism (lanes).
pub const OWASP_P: u32 = 1;

const SALT_BYTES: usize = 16;

/// Working memories kept for reuse, at most: more than the hashes a server runs at once
/// (one per core), so a busy server never allocates one.
const KEPT_MEMORIES: usize = 16;

/// Stored hashes asking for more than this (or than the hasher's own setting, if higher) are
/// refused unread: a corrupt or planted PHC string must not make a login allocate gigabytes
/// or spin for minutes. Generous next to every published recommendation.
const CEILING_M_KIB: u32 = 1 << 20; // 1 GiB
const CEILING_T: u32 = 32;
const CEILING_P: u32 = 16;

/// Why a new password was refused. [`PasswordRejected::rule`] gives the stable rule name.
/// The password itself is never part of the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordRejected {
    /// Fewer than [`MIN_PASSWORD_BYTES`] bytes.
    #[error("password is shorter than {MIN_PASSWORD_BYTES} bytes")]
    TooShort,
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    #[error("password is longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// The password, normalised like an email address, is the account's email.
    #[error("password is the account's email address")]
    EqualsEmail,
}

impl PasswordRejected {
    /// The stable name of the rule that failed.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::EqualsEmail => "equals_email",
        }
    }
}

/// Checks a new password for the account `email`: 8 to 1024 bytes of UTF-8, and not the
/// email address however it is typed (case, white space round it, full-width forms).
pub fn check_password(password: &str, email: &Email) -> Result<(), PasswordRejected> {
    if password.len() < MIN_PASSWORD_BYTES {
        return Err(PasswordRejected::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordRejected::TooLong);
    }
    // Read as an address, normalised by the one rule (trim, NFKC, case fold, NFKC).
    if Email::parse(password).is_ok_and(|typed| typed == *email) {
        return Err(PasswordRejected::EqualsEmail);
    }
    Ok(())
}

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum PasswordCheck {
    /// The password is right. With `needs_rehash`, the stored hash is weaker than the
    /// hasher's setting: hash the password again and store the new hash.
    Match {
        /// The stored hash should be replaced.
        needs_rehash: bool,
    },
    /// Wrong password, unknown user, or a stored hash that is not usable argon2id.
    Mismatch,
}

/// Hashes and verifies passwords with argon2id. Build one at start-up and share it: building
/// computes a dummy hash for [`PasswordHasher::verify_unknown_user`].
///
/// Each hash needs its memory cost in working memory (19 MiB at OWASP's setting). The
/// hasher keeps the memories it used and hands them to the next hash instead of
/// allocating and freeing 19 MiB each time: freed blocks that size stay in the allocator's
/// per-thread arenas, so a server hashing on a few blocking threads held hundreds of MiB
/// that no hash was using (measured by the soak, docs/BENCHMARKS.md). Kept, the memory is
/// the memory cost times the hashes run at once. Clones share the kept memories.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: PasswordHash,
    memories: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl PasswordHasher {
    /// argon2id with OWASP's parameters: m = 19456 KiB, t = 2, p = 1.
    pub fn owasp() -> Result<Self, KeyError> {
        Self::with_params(OWASP_M_KIB, OWASP_T, OWASP_P)
    }

    /// argon2id with the given memory (KiB), passes and lanes: smaller for tests, larger for
    /// deployments that can afford it. Refuses what argon2 refuses (`m_kib < 8 * p`, zero).
    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Result<Self, KeyError> {
        let params = Params::new(m_kib, t, p, None)
            .map_err(|_| KeyError::Crypto("argon2 parameters out of range"))?;
        let mut hasher = Self {
            params,
            dummy: PasswordHash::new(String::new()),
            memories: Arc::default(),
        };
        hasher.dummy = hasher.hash("keycard: no such user")?;
        Ok(hasher)
    }

    /// Hashes `password` with a fresh random 16-byte salt, as a PHC string.
    pub fn hash(&self, password: &str) -> Result<PasswordHash, KeyError> {
        let mut salt = [0u8; SALT_BYTES];
        aws_lc_rs::rand::fill(&mut salt).map_err(|_| KeyError::Crypto("random source failed"))?;
        let failed = |_| KeyError::Crypto("argon2 hashing failed");
        let mut out = [0u8; phc::Output::MAX_LENGTH];
        let out = out
            .get_mut(
                ..self
                    .params
                    .output_len()
                    .unwrap_or(Params::DEFAULT_OUTPUT_LEN),
            )
            .ok_or(KeyError::Crypto("argon2 output length out of range"))?;
        self.compute(
            Version::V0x13,
            &self.params,
            password.as_bytes(),
            &salt,
            out,
        )
        .map_err(failed)?;
        let encoded = phc::PasswordHash {
            algorithm: ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: phc::ParamsString::try_from(&self.params)
                .map_err(|_| KeyError::Crypto("argon2 parameters out of range"))?,
            salt: Some(phc::Salt::new(&salt).map_err(|_| KeyError::Crypto("salt refused"))?),
            hash: Some(
                phc::Output::new(out).map_err(|_| KeyError::Crypto("argon2 output refused"))?,
            ),
        };
        Ok(PasswordHash::new(encoded.to_string()))
    }

    /// Checks `password` against a stored hash, with the parameters the hash names. Anything
    /// but a well-formed argon2id hash within sane bounds is a [`PasswordCheck::Mismatch`].
    pub fn verify(&self, password: &str, hash: &PasswordHash) -> PasswordCheck {
        let Ok(stored) = phc::PasswordHash::new(hash.as_str()) else {
            return PasswordCheck::Mismatch;
        };
        let Ok(params) = Params::try_from(&stored) else {
            return PasswordCheck::Mismatch;
        };
        if stored.algorithm != ARGON2ID_IDENT || self.beyond_ceiling(&params) {
            return PasswordCheck::Mismatch;
        }
        let version = stored.version.unwrap_or(u32::from(Version::V0x13));
        let (Ok(argon_version), Some(salt), Some(expected)) =
            (Version::try_from(version), stored.salt, stored.hash)
        else {
            return PasswordCheck::Mismatch;
        };
        // Runs with the stored hash's parameters; the output comparison is constant time.
        let mut out = [0u8; phc::Output::MAX_LENGTH];
        let Some(out) = out.get_mut(..expected.len()) else {
            return PasswordCheck::Mismatch;
        };
        let computed = self.compute(argon_version, &params, password.as_bytes(), &salt, out);
        if computed.is_err()
            || aws_lc_rs::constant_time::verify_slices_are_equal(out, expected.as_bytes()).is_err()
        {
            return PasswordCheck::Mismatch;
        }
        let output_len = |p: &Params| p.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let needs_rehash = version < u32::from(Version::V0x13)
            || params.m_cost() < self.params.m_cost()
            || params.t_cost() < self.params.t_cost()
            || params.p_cost() < self.params.p_cost()
            || output_len(&params) < output_len(&self.params);
        PasswordCheck::Match { needs_rehash }
    }

    /// The work of a [`verify`](Self::verify) against a hash with this hasher's parameters,
    /// for a login whose email has no account. Always [`PasswordCheck::Mismatch`].
    pub fn verify_unknown_user(&self, password: &str) -> PasswordCheck {
        let _ = std::hint::black_box(self.verify(password, &self.dummy));
        PasswordCheck::Mismatch
    }

    /// argon2id of `password` and `salt` with `params` into `out`, in a kept working memory
    /// when `params` ask for the hasher's own memory cost (a stored hash with other
    /// parameters gets a memory of its own, dropped after).
    fn compute(
        &self,
        version: Version,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let argon2 = Argon2::new(Algorithm::Argon2id, version, params.clone());
        let blocks = params.block_count();
        let ours = blocks == self.params.block_count();
        let kept = if ours {
            self.memories
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
        } else {
            None
        };
        // argon2 writes every block before it reads it, so a memory used before needs no
        // clearing: what it held cannot reach the output.
        let mut memory = kept.unwrap_or_else(|| vec![Block::default(); blocks]);
        let computed = argon2.hash_password_into_with_memory(password, salt, out, &mut memory);
        if ours {
            let mut memories = self.memories.lock().unwrap_or_else(PoisonError::into_inner);
            if memories.len() < KEPT_MEMORIES {
                memories.push(memory);
            }
        }
        computed
    }

    fn beyond_ceiling(&self, stored: &Params) -> bool {
        stored.m_cost() > CEILING_M_KIB.max(self.params.m_cost())
            || stored.t_cost() > CEILING_T.max(self.params.t_cost())
            || stored.p_cost() > CEILING_P.max(self.params.p_cost())
    }
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("algorithm", &"argon2id")
            .field("m_kib", &self.params.m_cost())
            .field("t", &self.params.t_cost())
            .field("p", &self.params.p_cost())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher as _;

    use super::*;

    const PW: &str = "correct horse battery";
    const MATCH: PasswordCheck = PasswordCheck::Match {
        needs_rehash: false,
    };
    const REHASH: PasswordCheck = PasswordCheck::Match { needs_rehash: true };

    fn fast() -> PasswordHasher {
        PasswordHasher::with_params(64, 1, 1).unwrap()
    }

    fn hash_with(m_kib: u32, t: u32, p: u32) -> PasswordHash {
        PasswordHasher::with_params(m_kib, t, p)
            .unwrap()
            .hash(PW)
            .unwrap()
    }

    /// A hash made by the argon2 crate directly, for variants Keycard never makes.
    fn raw(algorithm: Algorithm, version: Version, params: Params) -> PasswordHash {
        let phc = Argon2::new(algorithm, version, params)
            .hash_password_with_salt(PW.as_bytes(), &[7; SALT_BYTES])
            .unwrap();
        PasswordHash::new(phc.to_string())
    }

    #[test]
    fn owasp_phc_string_names_argon2id_and_its_parameters() {
        let hasher = PasswordHasher::owasp().unwrap();
        let hash = hasher.hash(PW).unwrap();
        let phc = hash.as_str();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(hasher.verify(PW, &hash), MATCH);
    }

    #[test]
    fn verifies_the_right_password_only() {
        let hasher = fast();
        let hash = hasher.hash(PW).unwrap();
        assert_eq!(hasher.verify(PW, &hash), MATCH);
        for wrong in ["correct horse batterY", "correct horse battery ", ""] {
            let check = hasher.verify(wrong, &hash);
            assert_eq!(check, PasswordCheck::Mismatch, "{wrong:?}");
        }
    }

    #[test]
    fn weaker_hashes_verify_and_ask_for_a_rehash() {
        let current = PasswordHasher::with_params(256, 2, 2).unwrap();
        let params = |output_len| Params::new(256, 2, 2, output_len).unwrap();
        let weaker = [
            hash_with(128, 2, 2),
            hash_with(256, 1, 2),
            hash_with(256, 2, 1),
            raw(Algorithm::Argon2id, Version::V0x10, params(None)),
            raw(Algorithm::Argon2id, Version::V0x13, params(Some(16))),
        ];
        for hash in &weaker {
            assert_eq!(current.verify(PW, hash), REHASH, "{hash:?}");
            let check = current.verify("wrong password", hash);
            assert_eq!(check, PasswordCheck::Mismatch, "{hash:?}");
        }
        // Equal or stronger parameters are kept: no rehash, and never a downgrade.
        for hash in [current.hash(PW).unwrap(), hash_with(512, 3, 2)] {
            assert_eq!(current.verify(PW, &hash), MATCH, "{hash:?}");
        }
    }

    #[test]
    fn other_algorithms_and_garbage_are_a_mismatch() {
        let hasher = fast();
        let good = hasher.hash(PW).unwrap().as_str().to_owned();
        let (head, output) = good.rsplit_once('$').unwrap();
        let flipped = if output.starts_with('A') { "B" } else { "A" };
        let params = || Params::new(64, 1, 1, None).unwrap();
        let mut hashes = vec![
            raw(Algorithm::Argon2i, Version::V0x13, params()),
            raw(Algorithm::Argon2d, Version::V0x13, params()),
        ];
        hashes.extend(
            [
                "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".to_owned(),
                format!("{head}${flipped}{}", &output[1..]),
                format!("{head}$"),
                head.to_owned(),
                good.replace("v=19", "v=99"),
                good.replace("m=64,t=1,p=1", "m=0,t=0,p=0"),
                good.replace("m=64", "m=4294967295"),
                good.replace("t=1", "t=4000000000"),
                good.replace("$argon2id$", "$argon2id$$"),
                String::new(),
                "$argon2id$".to_owned(),
                "$argon2id$v=19$m=19456,t=2,p=1$\u{fc}$\u{fc}".to_owned(),
                "garbage".repeat(1000),
                PW.to_owned(),
            ]
            .map(PasswordHash::new),
        );
        for hash in hashes {
            assert_eq!(
                hasher.verify(PW, &hash),
                PasswordCheck::Mismatch,
                "{hash:?}"
            );
        }
    }

    #[test]
    fn each_hash_has_its_own_salt() {
        let hasher = fast();
        let (a, b) = (hasher.hash(PW).unwrap(), hasher.hash(PW).unwrap());
        assert_ne!(a, b);
        assert_eq!(
            (hasher.verify(PW, &a), hasher.verify(PW, &b)),
            (MATCH, MATCH)
        );
    }

    #[test]
    fn unknown_user_is_always_a_mismatch() {
        let hasher = fast();
        for pw in ["keycard: no such user", "", PW] {
            assert_eq!(hasher.verify_unknown_user(pw), PasswordCheck::Mismatch);
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // measuring wall time is the point of this test
    fn unknown_user_costs_what_a_wrong_password_costs() {
        use std::time::{Duration, Instant};
        let started = Instant::now();
        let hasher = PasswordHasher::owasp().unwrap();
        let built = started.elapsed();
        let started = Instant::now();
        let hash = hasher.hash(PW).unwrap();
        let hashed = started.elapsed();
        // Interleaved, and the fastest of each side, so load from other processes on the
        // box inflates neither side alone.
        let (mut known, mut unknown) = (Duration::MAX, Duration::MAX);
        for _ in 0..3 {
            let started = Instant::now();
            let check = hasher.verify("wrong password", &hash);
            known = known.min(started.elapsed());
            assert_eq!(check, PasswordCheck::Mismatch);
            let started = Instant::now();
            let check = hasher.verify_unknown_user("wrong password");
            unknown = unknown.min(started.elapsed());
            assert_eq!(check, PasswordCheck::Mismatch);
        }
        let ratio = unknown.as_secs_f64() / known.as_secs_f64();
        println!(
            "owasp: build {built:?}, hash {hashed:?}, verify {known:?}, unknown user \
             {unknown:?}, ratio {ratio:.3}"
        );
        assert!((0.5..2.0).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn length_is_counted_in_bytes() {
        let email = Email::parse("alice@example.com").unwrap();
        let rule = |pw: &str| check_password(pw, &email).map_err(|e| e.rule());
        for short in ["", "1234567", "\u{e9}\u{e9}\u{e9}"] {
            assert_eq!(rule(short), Err("too_short"), "{short:?}");
        }
        assert_eq!(rule("12345678"), Ok(()));
        assert_eq!(rule(&"\u{e9}".repeat(4)), Ok(())); // 4 characters, 8 bytes
        assert_eq!(rule(&"a".repeat(MAX_PASSWORD_BYTES)), Ok(()));
        assert_eq!(rule(&"\u{e9}".repeat(512)), Ok(())); // 1024 bytes
        assert_eq!(rule(&"a".repeat(MAX_PASSWORD_BYTES + 1)), Err("too_long"));
        assert_eq!(rule(&format!("{}a", "\u{e9}".repeat(512))), Err("too_long"));
    }

    #[test]
    fn the_email_however_typed_is_refused() {
        let alice = Email::parse("Alice@Example.com").unwrap();
        for typed in [
            "alice@example.com",
            "ALICE@EXAMPLE.COM",
            "  alice@example.com\t",
            "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}\u{ff20}example\u{ff0e}com", // full-width
        ] {
            let err = check_password(typed, &alice).unwrap_err();
            assert_eq!(err, PasswordRejected::EqualsEmail, "{typed:?}");
            assert_eq!(err.rule(), "equals_email");
        }
        let kim = Email::parse("kim@example.com").unwrap();
        let err = check_password("\u{212a}IM@example.com", &kim).unwrap_err(); // Kelvin sign
        assert_eq!(err.rule(), "equals_email");
        for fine in ["alice@example.co", "alice@exampl.com", "alice example.com"] {
            assert_eq!(check_password(fine, &alice), Ok(()), "{fine:?}");
        }
    }

    #[test]
    fn debug_shows_parameters_only() {
        let shown = format!("{:?}", fast());
        assert!(shown.contains("m_kib: 64, t: 1, p: 1"), "{shown}");
        assert!(!shown.contains('$'), "{shown}");
        let err = PasswordRejected::TooShort;
        assert_eq!(err.to_string(), "password is shorter than 8 bytes");
    }

    #[test]
    fn our_phc_strings_verify_with_the_argon2_crate_and_its_with_ours() {
        use argon2::PasswordVerifier as _;
        let hasher = fast();
        let ours = hasher.hash(PW).unwrap();
        let parsed = phc::PasswordHash::new(ours.as_str()).unwrap();
        let theirs_verifier = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        assert!(
            theirs_verifier
                .verify_password(PW.as_bytes(), &parsed)
                .is_ok()
        );
        assert!(
            theirs_verifier
                .verify_password(b"wrong password", &parsed)
                .is_err()
        );
        let theirs = raw(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        assert_eq!(hasher.verify(PW, &theirs), MATCH);
    }

    #[test]
    fn a_reused_memory_changes_no_answer() {
        let hasher = fast();
        let right = hasher.hash(PW).unwrap();
        let other = hasher.hash("another password entirely").unwrap();
        for _ in 0..5 {
            assert_eq!(hasher.verify(PW, &right), MATCH);
            assert_eq!(
                hasher.verify("wrong password", &right),
                PasswordCheck::Mismatch
            );
            assert_eq!(hasher.verify("another password entirely", &other), MATCH);
            assert_eq!(hasher.verify(PW, &other), PasswordCheck::Mismatch);
        }
        // One hash at a time: one memory kept, shared by the clones.
        let clone = hasher.clone();
        assert_eq!(clone.verify(PW, &right), MATCH);
        assert_eq!(hasher.memories.lock().unwrap().len(), 1);
    }

    #[test]
    fn kept_memories_are_bounded_and_other_costs_are_not_kept() {
        let hasher = fast();
        let handles: Vec<_> = (0..3 * KEPT_MEMORIES)
            .map(|_| {
                let hasher = hasher.clone();
                std::thread::spawn(move || hasher.hash(PW).unwrap())
            })
            .collect();
        for handle in handles {
            let _ = handle.join().unwrap();
        }
        assert!(hasher.memories.lock().unwrap().len() <= KEPT_MEMORIES);
        let before = hasher.memories.lock().unwrap().len();
        let bigger = hash_with(128, 1, 1);
        assert_eq!(hasher.verify(PW, &bigger), MATCH);
        assert_eq!(hasher.memories.lock().unwrap().len(), before);
    }
}
