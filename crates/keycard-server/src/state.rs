//! What every handler can reach: the auth service, the server's settings, the metrics
//! registry, and whether the server is draining. Cheap to clone (every part is shared). The auth service owns the stores, keys,
//! clock and revocations; handlers reach them only through its operations.

use std::sync::Arc;

use keycard_auth::Auth;
use tokio::sync::watch;

use crate::config::Settings;
use crate::metrics::Metrics;

/// The server's shared state.
#[derive(Clone, Debug)]
pub struct AppState {
    auth: Auth,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    draining: Arc<watch::Sender<bool>>,
}

impl AppState {
    /// State over a built service; the service's counters join the metrics registry.
    pub fn new(settings: Settings, auth: Auth) -> Self {
        let metrics = Arc::new(Metrics::new(auth.events()));
        Self {
            auth,
            settings: Arc::new(settings),
            metrics,
            draining: Arc::new(watch::Sender::new(false)),
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

    /// Says that shutdown has begun: responses that would otherwise never end (the
    /// revocation stream) end now, so the drain does not wait for their clients.
    pub fn start_draining(&self) {
        self.draining.send_replace(true);
    }

    /// Completes once shutdown has begun.
    pub fn drained(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut draining = self.draining.subscribe();
        async move {
            // An error means the sender is gone, which only happens with the server.
            let _ = draining.wait_for(|draining| *draining).await;
        }
    }
}
