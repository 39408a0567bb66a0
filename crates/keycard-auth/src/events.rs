//! What the auth service counts, as Prometheus metrics. The counters live here, beside
//! the flows that move them; the server registers them in its registry
//! ([`AuthEvents::register`]) and serves them at `/metrics`. Each costs an atomic add.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

type Outcome = [(&'static str, &'static str); 1];

/// The auth service's counters.
#[derive(Debug, Default)]
pub struct AuthEvents {
    logins: Family<Outcome, Counter>,
    refreshes: Counter,
    replays: Counter,
    reuse: Counter,
    revocations: Counter,
    sessions_capped: Counter,
    registrations_throttled: Counter,
}

impl AuthEvents {
    /// Registers every counter under its `keycard_` name (the `_total` suffix is added by
    /// the exposition format).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "keycard_logins",
            "Login attempts, by outcome: ok, failed (bad credentials), throttled (429).",
            self.logins.clone(),
        );
        for outcome in ["ok", "failed", "throttled"] {
            // Present from the start, so a dashboard sees zeros rather than nothing.
            let _ = self.logins.get_or_create(&[("outcome", outcome)]);
        }
        registry.register(
            "keycard_token_refreshes",
            "Refresh tokens rotated.",
            self.refreshes.clone(),
        );
        registry.register(
            "keycard_refresh_replays",
            "Previous refresh tokens presented within the grace window and answered with the same successor.",
            self.replays.clone(),
        );
        registry.register(
            "keycard_refresh_reuse_detected",
            "Refresh tokens reused after their grace window or replay bound; each revoked its family.",
            self.reuse.clone(),
        );
        registry.register(
            "keycard_revocations",
            "Sessions revoked (logout, logout everywhere, password change, admin, reuse, session cap).",
            self.revocations.clone(),
        );
        registry.register(
            "keycard_sessions_capped",
            "Sessions ended because their user reached the live-session cap.",
            self.sessions_capped.clone(),
        );
        registry.register(
            "keycard_registrations_throttled",
            "Registrations refused by the per-address limit (429).",
            self.registrations_throttled.clone(),
        );
    }

    pub(crate) fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&[("outcome", outcome)]).inc();
    }

    pub(crate) fn refreshed(&self) {
        self.refreshes.inc();
    }

    pub(crate) fn replayed(&self) {
        self.replays.inc();
    }

    pub(crate) fn reuse_detected(&self) {
        self.reuse.inc();
    }

    pub(crate) fn revoked(&self, sessions: usize) {
        self.revocations
            .inc_by(u64::try_from(sessions).unwrap_or(u64::MAX));
    }

    pub(crate) fn capped(&self) {
        self.sessions_capped.inc();
    }

    pub(crate) fn registration_throttled(&self) {
        self.registrations_throttled.inc();
    }
}
