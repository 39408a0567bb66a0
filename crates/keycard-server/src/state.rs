//! What every handler can reach: the settings, the stores, the signing keys and the clock.
//! Cheap to clone (every part is shared).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use keycard_core::{Clock, KeySet, UnixTime};
use keycard_store::open::Stores;

use crate::config::Settings;

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    settings: Arc<Settings>,
    stores: Stores,
    keys: Arc<RwLock<KeySet>>,
    clock: Arc<dyn Clock>,
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
    /// State over already opened stores and loaded keys.
    pub fn new(settings: Settings, stores: Stores, keys: KeySet, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings: Arc::new(settings),
            stores,
            keys: Arc::new(RwLock::new(keys)),
            clock,
        }
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

    /// The key set, for rotation.
    pub fn keys_mut(&self) -> RwLockWriteGuard<'_, KeySet> {
        self.keys.write().unwrap_or_else(PoisonError::into_inner)
    }
}
