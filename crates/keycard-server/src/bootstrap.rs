//! Start-up: everything between resolved settings and a server ready to answer.
//!
//! 1. Create the data directory (0700) if it is missing.
//! 2. Open the stores the settings name (migrations run there).
//! 3. Load the signing keys; with no active key (first start), generate an active and a
//!    next key for the configured algorithm and save them, so verifiers can cache the next
//!    key long before it signs.
//! 4. Build the auth service over them, and load the live revocations into the in-memory
//!    set every token check consults.
//! 5. Start the background tasks (the session sweeper), stopped when [`Background`] drops.

use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::sync::Arc;
use std::time::Duration;

use keycard_core::jose::KeyRole;
use keycard_core::{Clock, Key, KeyError, KeySet};
use keycard_store::key_vault::{KeyVault, VaultError};
use keycard_store::open::OpenError;

use keycard_auth::Auth;

use crate::config::{ConfigError, Revocation, Settings};
use crate::state::AppState;

/// How often expired sessions are swept from SQL stores.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootError {
    /// The settings are not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory could not be created, or other users can read it.
    #[error("data dir {path}: {message}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A store could not be opened.
    #[error("opening the stores: {0}")]
    Open(#[from] OpenError),
    /// The signing keys could not be loaded or saved.
    #[error("signing keys: {0}")]
    Keys(#[from] VaultError),
    /// The live revocations could not be loaded.
    #[error("loading revocations: {0}")]
    Revocations(#[source] keycard_core::store::StoreError),
    /// A signing key could not be generated.
    #[error("generating a signing key: {0}")]
    KeyGen(#[from] KeyError),
}

/// Background tasks of a running server; dropping this stops them.
#[derive(Debug)]
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Prepares the data directory, stores, keys and background tasks for `settings`.
pub async fn bootstrap(
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<(AppState, Background), BootError> {
    create_data_dir(&settings.data_dir)?;
    let stores = keycard_store::open::open(
        &settings.stores.user_store,
        Some(&settings.stores.session_store),
        &settings.stores.redis_prefix,
    )
    .await?;
    let vault = KeyVault::new(
        stores.keys.clone(),
        settings.master_key()?,
        &settings.data_dir,
    );
    let keys = load_or_create_keys(&vault, &settings, clock.as_ref()).await?;
    if let Some(active) = keys.active() {
        tracing::info!(kid = active.kid(), alg = %active.alg(), keys = keys.len(), "signing keys loaded");
        if active.alg() != settings.auth.tokens.signing_algorithm {
            tracing::warn!(
                active = %active.alg(),
                configured = %settings.auth.tokens.signing_algorithm,
                "the active key's algorithm differs from signing_algorithm; it applies to keys generated from now on"
            );
        }
    }
    let sweeper = keycard_store::sweeper::spawn_sweeper(
        stores.sessions.clone(),
        clock.clone(),
        SWEEP_EVERY,
        |outcome| match outcome {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired sessions swept"),
            Err(error) => tracing::warn!(%error, "session sweep failed; retrying next tick"),
        },
    );
    let live = stores
        .revocations
        .live_revocations(clock.now())
        .await
        .map_err(BootError::Revocations)?;
    let auth = Auth::new(settings.auth.clone(), stores, keys, clock)?;
    auth.apply_revocations(&live);
    let state = AppState::new(settings, auth);
    match state.settings().auth.tokens.revocation {
        Revocation::On => tracing::info!(live = live.len(), "revocations loaded"),
        Revocation::Off => tracing::warn!(
            "revocation = off: pure stateless tokens; logout does not stop an access token before it expires"
        ),
    }
    let mut tasks = vec![sweeper];
    tasks.extend(spawn_feed_tasks(state.auth()));
    Ok((state, Background { tasks }))
}

/// Starts following the revocation feed and sending heartbeats through it, so this
/// instance applies every other instance's revocations (and knows when it cannot). For
/// servers assembled without [`bootstrap`] (tests over hand-built stores) too.
pub fn spawn_feed_tasks(auth: &Auth) -> Vec<tokio::task::JoinHandle<()>> {
    let follower = {
        let auth = auth.clone();
        tokio::spawn(async move { auth.follow_revocations().await })
    };
    let heartbeats = {
        let auth = auth.clone();
        tokio::spawn(async move { auth.send_heartbeats().await })
    };
    vec![follower, heartbeats]
}

/// Wraps tasks so they stop when the returned value drops.
pub fn background(tasks: Vec<tokio::task::JoinHandle<()>>) -> Background {
    Background { tasks }
}

/// Creates the data directory 0700. An existing one that other users can enter is
/// refused: it holds the SQLite file and, without a master key, the private keys.
fn create_data_dir(path: &std::path::Path) -> Result<(), BootError> {
    let fail = |error: std::io::Error| BootError::DataDir {
        path: path.to_owned(),
        message: error.to_string(),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(fail)?;
    let mode = std::fs::metadata(path).map_err(fail)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(BootError::DataDir {
            path: path.to_owned(),
            message: format!(
                "other users can read or enter it (mode {:o}); it holds the database and keys: chmod 700 it",
                mode & 0o777
            ),
        });
    }
    Ok(())
}

/// Loads the keys; on first start (no active key) makes the active key, and whenever no
/// next key is published, makes one. A next key left without an active one (an interrupted
/// rotation) is promoted rather than discarded, since verifiers may already hold it.
async fn load_or_create_keys(
    vault: &KeyVault,
    settings: &Settings,
    clock: &dyn Clock,
) -> Result<KeySet, BootError> {
    let mut keys = vault.load().await?;
    let now = clock.now();
    if keys.active().is_none() {
        match keys.next() {
            Some(next) => {
                vault.set_role(next.kid(), KeyRole::Active, None).await?;
                tracing::warn!(kid = next.kid(), "no active key: promoted the next key");
            }
            None => {
                let active = Key::generate(settings.auth.tokens.signing_algorithm)?;
                vault.save(&active, KeyRole::Active, now).await?;
                tracing::info!(kid = active.kid(), alg = %active.alg(), "generated the active signing key");
            }
        }
        keys = vault.load().await?;
    }
    if keys.next().is_none() {
        let next = Key::generate(settings.auth.tokens.signing_algorithm)?;
        vault.save(&next, KeyRole::Next, now).await?;
        tracing::info!(kid = next.kid(), alg = %next.alg(), "generated the next signing key");
        keys = vault.load().await?;
    }
    Ok(keys)
}
