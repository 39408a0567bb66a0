//! [`Auth`], the service: it owns what the flows need (stores, signing keys and the vault
//! they are kept in, clock, revocation set, limiter, hashing pool, counters, settings) and
//! offers each flow as one
//! method, implemented in the file named for it. Cheap to clone: every clone shares one
//! inner state.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use keycard_core::freshness::{FeedHealth, Freshness};
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::revocation_set::RevocationSet;
use keycard_core::user::PasswordHasher;
use keycard_core::{Clock, KeyError, KeySet, UnixTime};
use keycard_store::key_vault::KeyVault;
use keycard_store::open::Stores;

use crate::cache::sessions::SessionCache;
use crate::cache::tokens::TokenCache;
use crate::cache::users::UserCache;
use crate::events::AuthEvents;
use crate::feed::log::RevocationLog;
use crate::hashing::HashPool;
use crate::limiter::Limiter;
use crate::settings::AuthSettings;
use crate::tokens::Bearer;

/// The auth service.
#[derive(Clone)]
pub struct Auth(Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) settings: AuthSettings,
    pub(crate) stores: Stores,
    pub(crate) keys: RwLock<KeySet>,
    pub(crate) key_vault: Option<KeyVault>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hashing: HashPool,
    pub(crate) revocations: RwLock<RevocationSet>,
    pub(crate) limiter: Limiter,
    pub(crate) events: AuthEvents,
    pub(crate) feed_health: FeedHealth,
    pub(crate) revocation_log: RevocationLog,
    pub(crate) caches: Caches,
}

/// The hot path's caches (see [`cache`](crate::cache)).
#[derive(Debug)]
pub struct Caches {
    /// Verified access tokens.
    pub tokens: TokenCache<Bearer>,
    /// Live sessions.
    pub sessions: SessionCache,
    /// Enabled users.
    pub users: UserCache,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("mode", &self.0.settings.mode)
            .field("issuer", &self.0.settings.issuer)
            .field("keys", &self.keys().len())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// A service over opened stores and loaded keys, with an empty revocation set (load
    /// the live ones with [`Auth::apply_revocations`]) and an argon2id hasher at OWASP
    /// parameters, one computation per core. Fails only if the random source does.
    ///
    /// The keys are held in memory only: without a [`KeyVault`] they cannot be rotated or
    /// reloaded (see [`Auth::with_key_vault`]).
    pub fn new(
        settings: AuthSettings,
        stores: Stores,
        keys: KeySet,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        Self::build(settings, stores, keys, None, clock)
    }

    /// As [`Auth::new`], with the vault the keys are kept in: the service can then follow
    /// the rotation schedule, reload keys another instance changed, and let an operator
    /// rotate or retire (see [`keys`](crate::keys)). `keys` may start empty and be loaded
    /// with [`Auth::rotate_keys_if_due`].
    pub fn with_key_vault(
        settings: AuthSettings,
        stores: Stores,
        keys: KeySet,
        vault: KeyVault,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        Self::build(settings, stores, keys, Some(vault), clock)
    }

    fn build(
        settings: AuthSettings,
        stores: Stores,
        keys: KeySet,
        key_vault: Option<KeyVault>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let limiter = match &stores.limits {
            Some(store) => {
                let master = key_vault.as_ref().and_then(KeyVault::master);
                let limiter = Limiter::shared(settings.limits, store.clone(), master);
                if !limiter.names_are_keyed() {
                    tracing::warn!(
                        "login limits are shared through the session store without a master_key: their bucket names are unkeyed digests of emails and addresses, which a reader of the store can test guesses against; set master_key"
                    );
                }
                limiter
            }
            None => Limiter::new(settings.limits),
        };
        let epoch = keycard_core::SessionId::generate()?.as_str().to_owned();
        let caches = Caches {
            tokens: TokenCache::new(settings.caches.tokens),
            sessions: SessionCache::new(settings.caches.sessions),
            users: UserCache::new(
                settings.caches.users,
                settings.caches.user_ttl.as_duration(),
            ),
        };
        Ok(Self(Arc::new(Inner {
            caches,
            feed_health: FeedHealth::new(settings.tokens.revocation_staleness.as_duration()),
            revocation_log: RevocationLog::new(epoch),
            hashing: HashPool::new(PasswordHasher::owasp()?, cores, settings.hashing),
            limiter,
            settings,
            stores,
            keys: RwLock::new(keys),
            key_vault,
            clock,
            revocations: RwLock::new(RevocationSet::new()),
            events: AuthEvents::default(),
        })))
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.0
    }

    /// The settings the service runs with.
    pub fn settings(&self) -> &AuthSettings {
        &self.0.settings
    }

    /// The stores, by role.
    pub fn stores(&self) -> &Stores {
        &self.0.stores
    }

    /// The current time, from the service's clock.
    pub fn now(&self) -> UnixTime {
        self.0.clock.now()
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }

    /// The signing keys, for the JWKS and verification. Hold the guard briefly: rotation
    /// waits on it. A `KeySet` cannot be left half-changed by a panic (its changes are
    /// single pushes and swaps), so a poisoned lock is still read.
    pub fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.0.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn keys_mut(&self) -> RwLockWriteGuard<'_, KeySet> {
        self.0.keys.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the signing keys. When the set of keys or their roles changed, the
    /// verified-token cache starts a new generation (under the write guard, so no
    /// verification under the old keys can be remembered as current).
    pub(crate) fn replace_keys(&self, set: KeySet) {
        let mut keys = self.keys_mut();
        let names = |set: &KeySet| {
            set.iter()
                .map(|(role, key)| (role, key.kid().to_owned()))
                .collect::<Vec<_>>()
        };
        if names(&keys) != names(&set) {
            self.0.caches.tokens.keys_changed();
        }
        *keys = set;
    }

    /// The hot path's caches.
    pub fn caches(&self) -> &Caches {
        &self.0.caches
    }

    /// Whether the session and user caches may be read now: only while the revocation feed
    /// that keeps them true was heard from within the staleness bound (whatever the
    /// `revocation` setting).
    pub(crate) fn caches_trusted(&self) -> bool {
        self.0.feed_health.is_fresh()
    }

    /// The revocations this instance enforces. A poisoned lock is still read: `apply`
    /// and `prune` leave the maps whole.
    pub fn revocations(&self) -> RwLockReadGuard<'_, RevocationSet> {
        self.0
            .revocations
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies revocations (made here, or learnt from the feed or a snapshot) to this
    /// instance's set, dropping the ones whose tokens have all expired; each one that
    /// changed the set goes to the [`revocation_log`](Self::revocation_log). Each also drops
    /// what it touches from the session and user caches.
    pub fn apply_revocations<'a>(&self, revocations: impl IntoIterator<Item = &'a Revocation>) {
        let caches = &self.0.caches;
        let mut set = self
            .0
            .revocations
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        set.prune(self.now());
        for revocation in revocations {
            match &revocation.what {
                Revoked::Session(id) => caches.sessions.revoked(id),
                Revoked::UserBefore { user, .. } => {
                    caches.users.revoked(user);
                    caches.sessions.user_revoked(user);
                }
            }
            if set.apply(revocation) {
                self.0.revocation_log.push(revocation.clone());
            }
        }
    }

    /// Whether this instance's revocation memory may be trusted now: it may while the
    /// feed was heard from within `revocation_staleness`, or when revocation is off
    /// (nothing is checked against memory then). A transition into staleness is counted.
    pub fn feed_freshness(&self) -> Freshness {
        if self.0.settings.tokens.revocation == crate::settings::Revocation::Off {
            return Freshness::Fresh;
        }
        self.0.feed_health.check(|| {
            self.0.events.stale_period();
            tracing::warn!(
                bound = ?self.0.feed_health.bound(),
                "revocation feed silent past the staleness bound: checking credentials against the store"
            );
        })
    }

    /// The revocation feed's health as this instance sees it.
    pub fn feed_health(&self) -> &FeedHealth {
        &self.0.feed_health
    }

    /// The revocations applied here, for the verifiers that follow this instance.
    pub fn revocation_log(&self) -> &RevocationLog {
        &self.0.revocation_log
    }

    /// The counters, for the server's metrics registry.
    pub fn events(&self) -> &AuthEvents {
        &self.0.events
    }

    /// The brute-force limiter: in this process, or shared through the session store.
    pub fn limiter(&self) -> &Limiter {
        &self.0.limiter
    }
}
