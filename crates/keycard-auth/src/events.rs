//! What the auth service counts, as Prometheus metrics. The counters live here, beside
//! the flows that move them; the server registers them in its registry
//! ([`AuthEvents::register`]) and serves them at `/metrics`. Each costs an atomic add.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Outcome = [(&'static str, &'static str); 1];
type Lookup = [(&'static str, &'static str); 2];

/// One of the hot path's caches, for its hit and miss counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheName {
    /// Verified access tokens.
    Tokens = 0,
    /// Sessions.
    Sessions = 1,
    /// Users.
    Users = 2,
}

const CACHE_NAMES: [&str; 3] = ["tokens", "sessions", "users"];

/// The auth service's counters.
#[derive(Debug)]
pub struct AuthEvents {
    logins: Family<Outcome, Counter>,
    refreshes: Counter,
    replays: Counter,
    reuse: Counter,
    revocations: Counter,
    sessions_capped: Counter,
    registrations_throttled: Counter,
    feed_lag: Histogram,
    heartbeat_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    stale_periods: Counter,
    resyncs: Counter,
    signature_checks: Counter,
    cache_lookups: Family<Lookup, Counter>,
    /// Per cache (by [`CacheName`]): hits, then misses; clones of the family's counters.
    cache_outcomes: [[Counter; 2]; 3],
}

/// Upper bounds of the feed lag histogram, in seconds: 1 ms to 5 s.
const FEED_LAG_BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

impl Default for AuthEvents {
    fn default() -> Self {
        let cache_lookups = Family::<Lookup, Counter>::default();
        Self {
            logins: Family::default(),
            refreshes: Counter::default(),
            replays: Counter::default(),
            reuse: Counter::default(),
            revocations: Counter::default(),
            sessions_capped: Counter::default(),
            registrations_throttled: Counter::default(),
            feed_lag: Histogram::new(FEED_LAG_BUCKETS),
            heartbeat_age: Gauge::default(),
            stale_periods: Counter::default(),
            resyncs: Counter::default(),
            signature_checks: Counter::default(),
            cache_outcomes: std::array::from_fn(|cache| {
                ["hit", "miss"].map(|outcome| {
                    cache_lookups
                        .get_or_create(&[("cache", CACHE_NAMES[cache]), ("outcome", outcome)])
                        .clone()
                })
            }),
            cache_lookups,
        }
    }
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
        registry.register(
            "keycard_revocation_feed_lag_seconds",
            "From a revocation's publication on one instance to its application here.",
            self.feed_lag.clone(),
        );
        registry.register(
            "keycard_revocation_feed_heartbeat_age_seconds",
            "Seconds since the revocation feed was last heard from (-1: not since it was lost).",
            self.heartbeat_age.clone(),
        );
        registry.register(
            "keycard_revocation_feed_stale_periods",
            "Times the feed went silent past the staleness bound (credentials then checked against the store).",
            self.stale_periods.clone(),
        );
        registry.register(
            "keycard_revocation_feed_resyncs",
            "Times this instance (re)subscribed to the feed and reloaded the live revocations.",
            self.resyncs.clone(),
        );
        registry.register(
            "keycard_access_token_signature_checks",
            "Access-token signatures checked (a verified-token cache hit checks none).",
            self.signature_checks.clone(),
        );
        registry.register(
            "keycard_cache_lookups",
            "Hot-path cache lookups, by cache (tokens, sessions, users) and outcome (hit, miss).",
            self.cache_lookups.clone(),
        );
    }

    /// Sets the gauges that are read at scrape time: the feed's heartbeat age.
    pub fn observe_feed(&self, age: Option<std::time::Duration>) {
        self.heartbeat_age
            .set(age.map_or(-1.0, |age| age.as_secs_f64()));
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

impl AuthEvents {
    /// Access-token signatures checked so far.
    pub fn signature_checks(&self) -> u64 {
        self.signature_checks.get()
    }

    /// Hits and misses of `cache` so far.
    pub fn cache_lookups(&self, cache: CacheName) -> (u64, u64) {
        let [hits, misses] = &self.cache_outcomes[cache as usize];
        (hits.get(), misses.get())
    }

    pub(crate) fn signature_checked(&self) {
        self.signature_checks.inc();
    }

    pub(crate) fn cache_lookup(&self, cache: CacheName, hit: bool) {
        self.cache_outcomes[cache as usize][usize::from(!hit)].inc();
    }

    pub(crate) fn feed_lag(&self, seconds: f64) {
        self.feed_lag.observe(seconds);
    }

    pub(crate) fn stale_period(&self) {
        self.stale_periods.inc();
    }

    pub(crate) fn resynced(&self) {
        self.resyncs.inc();
    }
}
