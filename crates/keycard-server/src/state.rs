//! What every handler can reach: the auth service, the server's settings and the metrics
//! registry. Cheap to clone (every part is shared). The auth service owns the stores, keys,
//! clock and revocations; handlers reach them only through its operations.

use std::sync::Arc;

use keycard_auth::Auth;

use crate::config::Settings;
use crate::metrics::Metrics;

/// The server's shared state.
#[derive(Clone, Debug)]
pub struct AppState {
    auth: Auth,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// State over a built service; the service's counters join the metrics registry.
    pub fn new(settings: Settings, auth: Auth) -> Self {
        let metrics = Arc::new(Metrics::new(auth.events()));
        Self {
            auth,
            settings: Arc::new(settings),
            metrics,
        }
    }

    /// The auth service.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The settings the server runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The metrics registry behind `GET /metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}
