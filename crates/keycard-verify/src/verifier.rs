//! The verifier: one token in, its verified claims out, or the rule it broke.
//!
//! A token is checked in this order: the size cap; the verified-token cache (the SHA-256
//! of its exact bytes, an entry verified under the current keys and not past `exp` plus
//! the leeway); otherwise the full verification of `keycard-core` (shape, header rules,
//! `kid`, `alg` equal to the key's, signature, `typ`, `exp`/`nbf`/`iat`, `iss`, `aud`),
//! with one refetch of the keys for an unknown `kid`; then, hit or miss, the revocations,
//! when the verifier follows Keycard's stream. A repeated token thus costs a hash, a lookup
//! and the revocation check.

use std::sync::Arc;
use std::time::Duration;

use keycard_core::cache::tokens::{TokenCache, token_hash};
use keycard_core::jose::jws;
use keycard_core::jwt::Validation;
use keycard_core::{Clock, TokenError, UnixTime};
use tokio::task::AbortHandle;

use crate::config::VerifierConfig;
use crate::discovery;
use crate::error::{FetchError, VerifyError};
use crate::fetch::Fetcher;
use crate::keys::{IssuerKeys, KeysConfig, Tokens};
use crate::revocations::Revocations;
use crate::revocations::follower::Follower;
use crate::token::VerifiedToken;

/// How long [`Verifier::start`] waits for the first revocation snapshot.
pub const FIRST_SNAPSHOT_WAIT: Duration = Duration::from_secs(5);

/// Verifies bearer tokens of one issuer. Cheap to clone (one `Arc`); its background tasks
/// (key refresh, revocation stream) stop when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Verifier(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    validation: Validation,
    max_token_bytes: usize,
    leeway_secs: i64,
    keys: Arc<IssuerKeys>,
    tokens: Arc<Tokens>,
    revocations: Option<Arc<Revocations>>,
    clock: ClockHandle,
    tasks: Vec<AbortHandle>,
}

struct ClockHandle(Arc<dyn Clock>);

impl std::fmt::Debug for ClockHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Verifier {
    /// Finds the issuer's keys (discovery or the JWKS URL) and fetches them, starts their
    /// refresh, and, with client credentials, starts following the revocation stream and
    /// waits (at most [`FIRST_SNAPSHOT_WAIT`]) for its first snapshot. Without credentials
    /// it says once, in the log, that it verifies statelessly. Must run inside a tokio
    /// runtime.
    pub async fn start(config: VerifierConfig) -> Result<Self, FetchError> {
        let fetcher = Fetcher::new(config.allow_http)?;
        let url = discovery::jwks_url(&fetcher, &config).await?;
        let tokens = Arc::new(TokenCache::new(config.token_cache_size));
        let keys_config = KeysConfig {
            url,
            algorithms: config.algorithms.clone(),
            bounds: config.jwks_max_age_bounds,
            cooldown: config.kid_cooldown,
        };
        let (keys, lifetime) =
            IssuerKeys::load(fetcher.clone(), keys_config, tokens.clone()).await?;
        let keys = Arc::new(keys);
        let mut tasks = vec![tokio::spawn(keys.clone().refresh_forever(lifetime)).abort_handle()];
        let revocations = match &config.credentials {
            Some(credentials) => {
                let url = match &config.revocations_url {
                    Some(url) => fetcher.checked_url(url)?,
                    None => {
                        fetcher.checked_url(&format!("{}/v1/revocations", config.issuer_base()))?
                    }
                };
                let revocations = Arc::new(Revocations::new(config.staleness));
                tracing::info!(%url, client = %credentials.id, "following the issuer's revocations");
                let follower = Follower {
                    fetcher,
                    url,
                    credentials: credentials.clone(),
                    revocations: revocations.clone(),
                    clock: config.clock.clone(),
                };
                tasks.push(tokio::spawn(follower.follow_forever()).abort_handle());
                if !revocations.wait_synced(FIRST_SNAPSHOT_WAIT).await {
                    tracing::warn!(
                        "no revocation snapshot yet; tokens are refused (503) until the stream answers"
                    );
                }
                Some(revocations)
            }
            None => {
                tracing::warn!(
                    issuer = %config.issuer,
                    "no client credentials: verifying statelessly; a logout at the issuer is not seen here until the token expires"
                );
                None
            }
        };
        let mut validation = Validation::new()
            .with_issuer(&config.issuer)
            .with_audiences(config.audiences())
            .with_leeway_secs(config.leeway_secs)
            .with_max_token_bytes(config.max_token_bytes);
        if let Some(typ) = &config.typ {
            validation = validation.with_typ(typ);
        }
        Ok(Self(Arc::new(Inner {
            validation,
            max_token_bytes: config.max_token_bytes,
            leeway_secs: config.leeway_secs,
            keys,
            tokens,
            revocations,
            clock: ClockHandle(config.clock.clone()),
            tasks,
        })))
    }

    /// Verifies a bearer token (the part after `Bearer `).
    pub async fn verify(&self, token: &str) -> Result<Arc<VerifiedToken>, VerifyError> {
        let now = self.0.clock.0.now();
        let verified = self.verified(token, now).await?;
        if let Some(revocations) = &self.0.revocations {
            revocations.check(&verified)?;
        }
        Ok(verified)
    }

    /// Whether tokens can be accepted now: always when verifying statelessly; while the
    /// revocation stream is fresh otherwise. For a readiness probe.
    pub fn is_ready(&self) -> bool {
        self.0.revocations.as_ref().is_none_or(|r| r.is_fresh())
    }

    /// Whether the verifier follows the issuer's revocations.
    pub fn follows_revocations(&self) -> bool {
        self.0.revocations.is_some()
    }

    /// How many revocations are held (0 when not following).
    pub fn revocations_held(&self) -> usize {
        self.0.revocations.as_ref().map_or(0, |r| r.len())
    }

    /// How many verified tokens are remembered.
    pub fn cached_tokens(&self) -> usize {
        self.0.tokens.len()
    }

    /// The signature and claims, from the cache or a full verification.
    async fn verified(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Arc<VerifiedToken>, VerifyError> {
        let inner = &self.0;
        // Larger tokens are refused by the full verification before any work; not hashed.
        let hash = (token.len() <= inner.max_token_bytes).then(|| token_hash(token));
        if let Some(hit) = hash.as_ref().and_then(|hash| inner.tokens.get(hash, now)) {
            return Ok(hit);
        }
        let (keys, mut generation) = inner.keys.current();
        let mut result = inner.validation.verify(&keys, token, now);
        if result == Err(TokenError::UnknownKid)
            && let Some(kid) = kid_of(token, inner.max_token_bytes)
            && inner.keys.refetch_for_unknown_kid(&kid).await
        {
            let (keys, refreshed) = inner.keys.current();
            generation = refreshed;
            result = inner.validation.verify(&keys, token, now);
        }
        let verified = Arc::new(VerifiedToken::new(result?));
        if let Some(hash) = hash {
            let expires_at = verified.expires_at();
            inner.tokens.insert(
                hash,
                verified.clone(),
                expires_at,
                inner.leeway_secs,
                generation,
                now,
            );
        }
        Ok(verified)
    }
}

/// The `kid` a token's header names, read without trusting anything else of it.
fn kid_of(token: &str, max_bytes: usize) -> Option<String> {
    let unverified = jws::decode_unverified(token, max_bytes).ok()?;
    unverified.header.get("kid")?.as_str().map(str::to_owned)
}
