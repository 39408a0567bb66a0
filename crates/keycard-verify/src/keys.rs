//! The issuer's public keys as this verifier holds them: fetched from the JWKS URL, kept
//! for the document's `max-age` within the configured bounds, then fetched again in the
//! background; the last good set is kept whenever a fetch fails.
//!
//! A token naming a `kid` the set lacks (the issuer rotated since the last fetch) makes one
//! refetch, single-flight: concurrent requests wait for the same fetch rather than each
//! making one, and after it another refetch for an unknown kid is made only once the
//! cooldown has passed. So a rotation never fails a request, and a flood of tokens with
//! random kids costs the issuer at most one fetch per cooldown.
//!
//! A change of the key set starts a new generation of the verified-token cache, under the
//! set's write guard, so no token verified under a withdrawn key is served from memory.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use keycard_core::cache::tokens::TokenCache;
use keycard_core::{Algorithm, KeySet};
use reqwest::Url;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::cache_control;
use crate::error::FetchError;
use crate::fetch::Fetcher;
use crate::token::VerifiedToken;

/// The cache the key set's generation belongs to.
pub type Tokens = TokenCache<Arc<VerifiedToken>>;

/// The first wait before retrying a failed refresh; it doubles up to the lower bound of
/// the JWKS lifetime.
const RETRY_FIRST: Duration = Duration::from_secs(1);

/// The issuer's keys, refreshed.
#[derive(Debug)]
pub struct IssuerKeys {
    fetcher: Fetcher,
    url: Url,
    algorithms: Vec<Algorithm>,
    bounds: (Duration, Duration),
    cooldown: Duration,
    current: RwLock<Arc<KeySet>>,
    tokens: Arc<Tokens>,
    /// When the last refetch for an unknown kid was made; held across the fetch, which
    /// makes it single-flight.
    last_kid_refetch: Mutex<Option<Instant>>,
}

/// What the verifier needs to build its [`IssuerKeys`].
#[derive(Debug)]
pub struct KeysConfig {
    /// The JWKS URL.
    pub url: Url,
    /// The algorithms keys may be bound to.
    pub algorithms: Vec<Algorithm>,
    /// Bounds on the JWKS lifetime.
    pub bounds: (Duration, Duration),
    /// Between two refetches for an unknown kid.
    pub cooldown: Duration,
}

impl IssuerKeys {
    /// Fetches the keys once; returns them with how long to keep them.
    pub async fn load(
        fetcher: Fetcher,
        config: KeysConfig,
        tokens: Arc<Tokens>,
    ) -> Result<(Self, Duration), FetchError> {
        let keys = Self {
            fetcher,
            url: config.url,
            algorithms: config.algorithms,
            bounds: config.bounds,
            cooldown: config.cooldown,
            current: RwLock::new(Arc::new(KeySet::new())),
            tokens,
            last_kid_refetch: Mutex::new(None),
        };
        let lifetime = keys.fetch().await?;
        Ok((keys, lifetime))
    }

    /// The current set, and the token cache's generation read under the same guard, so it
    /// names the keys a verification with this set uses.
    pub fn current(&self) -> (Arc<KeySet>, u64) {
        let guard = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (guard.clone(), self.tokens.generation())
    }

    /// Refreshes the keys when they are due, forever; `wait` is the first wait.
    pub async fn refresh_forever(self: Arc<Self>, mut wait: Duration) {
        let mut retry = RETRY_FIRST;
        loop {
            tokio::time::sleep(wait).await;
            wait = match self.fetch().await {
                Ok(lifetime) => {
                    retry = RETRY_FIRST;
                    lifetime
                }
                Err(error) => {
                    tracing::warn!(rule = error.rule(), %error, "JWKS refresh failed; keeping the last good keys");
                    let now = retry;
                    retry = (retry * 2).min(self.bounds.0.max(RETRY_FIRST));
                    now
                }
            };
        }
    }

    /// One refetch for a token whose `kid` is unknown, unless one was made within the
    /// cooldown; returns whether the set now has that kid.
    pub async fn refetch_for_unknown_kid(&self, kid: &str) -> bool {
        let mut last = self.last_kid_refetch.lock().await;
        // Another request's refetch, which this one waited for, may have brought it.
        if self.current().0.find(Some(kid)).is_ok() {
            return true;
        }
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            return false;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(_) => self.current().0.find(Some(kid)).is_ok(),
            Err(error) => {
                tracing::warn!(rule = error.rule(), %error, "JWKS refetch for an unknown kid failed; keeping the last good keys");
                false
            }
        }
    }

    /// Fetches the JWKS and installs it if it differs; returns how long to keep it.
    async fn fetch(&self) -> Result<Duration, FetchError> {
        let document = self.fetcher.document(&self.url).await?;
        let (set, skipped) = KeySet::from_published_jwks(&document.text, &self.algorithms)?;
        for key in &skipped {
            tracing::debug!(kid = ?key.kid, rule = key.reason.rule(), reason = %key.reason, "JWKS member not used");
        }
        {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            if current.public_jwks() != set.public_jwks() {
                tracing::info!(keys = set.len(), url = %self.url, "issuer keys loaded");
                *current = Arc::new(set);
                self.tokens.keys_changed();
            }
        }
        Ok(cache_control::lifetime(document.max_age, self.bounds))
    }
}
