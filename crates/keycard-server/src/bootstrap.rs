//! Start-up: everything between resolved settings and a server ready to answer.
//!
//! 1. Create the data directory (0700) if it is missing.
//! 2. Open the stores the settings name (migrations run there).
//! 3. Build the auth service over them and the key vault, and run the key schedule once:
//!    on first start it generates an active and a next key for the configured algorithm,
//!    so verifiers can cache the next key long before it signs; otherwise it loads the
//!    keys, promoting or deleting what is due.
//! 4. Load the live revocations into the in-memory set every token check consults.
//! 5. Start the background tasks, stopped when [`Background`] drops: the session sweeper
//!    (and the sweeper of shared limit buckets, when the limits live in PostgreSQL or
//!    Redis), and the key schedule, which also reloads the keys so a rotation made by another
//!    instance or by `keycard keys` is picked up within [`KEY_CHECK_EVERY`].

use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::sync::Arc;
use std::time::Duration;

use keycard_auth::keys::KEY_CHECK_EVERY;
use keycard_auth::{Auth, AuthError};
use keycard_core::{Clock, KeyError, KeySet};
use keycard_store::key_vault::{KeyVault, VaultError};
use keycard_store::open::OpenError;

use crate::config::{ConfigError, Revocation, Settings};
use crate::state::AppState;

/// How often expired sessions, and full shared limit buckets, are swept from SQL stores.
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
    /// The key schedule could not run.
    #[error("signing keys: {}", causes(.0))]
    KeySchedule(#[source] AuthError),
}

/// An error and its causes, on one line: the auth layer keeps details in sources.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
    let auth = open_auth(&settings, clock.clone()).await?;
    auth.rotate_keys_if_due(clock.now())
        .await
        .map_err(BootError::KeySchedule)?;
    {
        let keys = auth.keys();
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
    }
    if auth.limiter().is_shared() {
        tracing::info!("login and registration limits are shared through the session store");
    } else {
        tracing::info!("login and registration limits are counted in this process only");
    }
    let stores = auth.stores().clone();
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
    let bucket_sweeper = stores.limits.clone().map(|limits| {
        keycard_store::sweeper::spawn_bucket_sweeper(
            limits,
            clock.clone(),
            SWEEP_EVERY,
            |outcome| match outcome {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "full limit buckets swept"),
                Err(error) => {
                    tracing::warn!(%error, "limit bucket sweep failed; retrying next tick");
                }
            },
        )
    });
    let live = stores
        .revocations
        .live_revocations(clock.now())
        .await
        .map_err(BootError::Revocations)?;
    auth.apply_revocations(&live);
    // Memory is as fresh as the store just now: ready at once. The follower, starting
    // next, subscribes and reloads the snapshot within milliseconds, well inside the bound.
    auth.feed_health().heard();
    let key_schedule = spawn_key_schedule(auth.clone());
    let state = AppState::new(settings, auth);
    match state.settings().auth.tokens.revocation {
        Revocation::On => tracing::info!(live = live.len(), "revocations loaded"),
        Revocation::Off => tracing::warn!(
            "revocation = off: pure stateless tokens; logout does not stop an access token before it expires"
        ),
    }
    let mut tasks = vec![sweeper, key_schedule];
    tasks.extend(bucket_sweeper);
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

/// The auth service over the stores `settings` name and their key vault, with the keys
/// as the vault holds them (none changed): what `keycard keys` works on. Creates the data
/// directory if it is missing, as `keycard serve` does.
pub async fn open_auth(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Auth, BootError> {
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
    let auth = Auth::with_key_vault(settings.auth.clone(), stores, KeySet::new(), vault, clock)?;
    auth.reload_keys(auth.now())
        .await
        .map_err(BootError::KeySchedule)?;
    Ok(auth)
}

/// Runs the key schedule every [`KEY_CHECK_EVERY`] until aborted: promotes and deletes what
/// is due and reloads the keys. A failed check keeps the keys loaded and is retried at the
/// next tick.
fn spawn_key_schedule(auth: Auth) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(KEY_CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once, and start-up has just run the schedule.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(error) = auth.rotate_keys_if_due(auth.now()).await {
                tracing::warn!(
                    error = causes(&error),
                    "key schedule check failed; retrying next tick"
                );
            }
        }
    })
}
