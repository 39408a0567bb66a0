//! What every handler can reach: the settings, the stores, the signing keys, the clock,
//! the password hasher (with its concurrency bound) and the in-memory revocation set.
//! Cheap to clone (every part is shared).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use keycard_core::revocation_set::RevocationSet;
use keycard_core::user::PasswordHasher;
use keycard_core::{Clock, KeyError, KeySet, UnixTime};
use keycard_store::open::Stores;
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::security::{LimitSettings, LoginLimiter};

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    settings: Arc<Settings>,
    stores: Stores,
    keys: Arc<RwLock<KeySet>>,
    clock: Arc<dyn Clock>,
    hasher: Arc<PasswordHasher>,
    hash_permits: Arc<Semaphore>,
    revocations: Arc<RwLock<RevocationSet>>,
    guards: Guards,
}

/// The brute-force limiter and the metrics registry: built from the settings by
/// [`AppState::new`], shared by every clone.
#[derive(Clone, Debug)]
struct Guards {
    login_limiter: Arc<LoginLimiter>,
    metrics: Arc<Metrics>,
}

impl Guards {
    fn new(settings: &Settings) -> Self {
        Self {
            login_limiter: Arc::new(LoginLimiter::new(LimitSettings::from_settings(settings))),
            metrics: Arc::new(Metrics::new()),
        }
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("keys", &self.keys().len())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over already opened stores and loaded keys, with an empty revocation set and
    /// an argon2id hasher at OWASP parameters (building it computes one dummy hash, for
    /// logins with an unknown email). Fails only if the random source does.
    pub fn new(
        settings: Settings,
        stores: Stores,
        keys: KeySet,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        // One argon2 computation per core at most: a login storm queues here instead of
        // occupying every blocking thread, and the async workers stay free for other routes.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self {
            guards: Guards::new(&settings),
            settings: Arc::new(settings),
            stores,
            keys: Arc::new(RwLock::new(keys)),
            clock,
            hasher: Arc::new(PasswordHasher::owasp()?),
            hash_permits: Arc::new(Semaphore::new(cores)),
            revocations: Arc::new(RwLock::new(RevocationSet::new())),
        })
    }

    /// The settings the server runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The stores, by role.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The clock every handler takes `now` from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The current time, from [`AppState::clock`].
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// The key set, for signing and verifying. Hold the guard briefly: rotation waits on it.
    /// A panic while the lock was held cannot leave a `KeySet` half-changed (its changes
    /// are single pushes and swaps), so a poisoned lock is still read.
    pub fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The password hasher, shared; run it only through [`AppState::hash_permits`].
    pub fn hasher(&self) -> &Arc<PasswordHasher> {
        &self.hasher
    }

    /// Permits for password hashing: one per core.
    pub fn hash_permits(&self) -> &Arc<Semaphore> {
        &self.hash_permits
    }

    /// The revocations this server enforces, for checking a token. A poisoned lock is still
    /// read: `apply` and `prune` leave the maps whole.
    pub fn revocations(&self) -> RwLockReadGuard<'_, RevocationSet> {
        self.revocations
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The revocation set, for applying a revocation.
    pub fn revocations_mut(&self) -> RwLockWriteGuard<'_, RevocationSet> {
        self.revocations
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The key set, for rotation.
    pub fn keys_mut(&self) -> RwLockWriteGuard<'_, KeySet> {
        self.keys.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The brute-force limits on login: `check` before verifying a password,
    /// `record_success` after a correct one (security/rate_limit.rs).
    pub fn login_limiter(&self) -> &LoginLimiter {
        &self.guards.login_limiter
    }

    /// The metrics registry behind `GET /metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.guards.metrics
    }
}
