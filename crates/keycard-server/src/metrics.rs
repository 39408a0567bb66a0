//! Prometheus metrics: `GET /metrics` in the text exposition format (version 0.0.4).
//!
//! A small registry of atomics written by hand rather than the `prometheus` or `metrics`
//! crates: the server has a fixed, short list of series (requests by route and status
//! class, five auth counters, one histogram), recording one is a relaxed atomic add on the
//! request path, and the text format for counters and a histogram is forty lines. That
//! spares a dependency tree and a global registry, and each test server has its own.
//!
//! What is recorded, and where:
//! - `keycard_http_requests_total{route, status}`: by [`track_requests`], a layer of every
//!   route; `route` is the matched route pattern (`/v1/sessions/{id}`), never the raw path,
//!   so the series stay few whatever clients send; requests no route matched count under
//!   `route="unmatched"`. `status` is the class: `2xx`, `4xx`...
//! - `keycard_logins_total{outcome="ok"|"failed"|"throttled"}`,
//!   `keycard_token_refreshes_total`, `keycard_refresh_reuse_detected_total`,
//!   `keycard_revocations_total`: by the auth handlers, through [`Metrics`]' methods.
//! - `keycard_auth_check_duration_seconds`: a histogram of the time to decide whether a
//!   request is authenticated, from 5 µs (a JWT verified in memory) to 100 ms (a slow
//!   store), by [`Metrics::time_auth_check`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The path the metrics are served at.
pub const METRICS_PATH: &str = "/metrics";

/// The media type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `route` label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the auth check histogram, in nanoseconds and as printed (seconds).
const AUTH_CHECK_BUCKETS: [(u64, &str); 14] = [
    (5_000, "0.000005"),
    (10_000, "0.00001"),
    (25_000, "0.000025"),
    (50_000, "0.00005"),
    (100_000, "0.0001"),
    (250_000, "0.00025"),
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
];

/// The server's metrics. Every method takes `&self` and costs an atomic add or two.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per route pattern: requests answered, by status class 1xx to 5xx.
    requests: RwLock<HashMap<Box<str>, [AtomicU64; 5]>>,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    logins_throttled: AtomicU64,
    refreshes: AtomicU64,
    reuse_detections: AtomicU64,
    revocations: AtomicU64,
    auth_check: Histogram,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A login with correct credentials.
    pub fn login_ok(&self) {
        self.logins_ok.fetch_add(1, Ordering::Relaxed);
    }

    /// A login refused for bad credentials (unknown email included).
    pub fn login_failed(&self) {
        self.logins_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// A login refused by the brute-force limits (429) before any password was checked.
    pub fn login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// A refresh token rotated (grace-window replays included).
    pub fn refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    /// A refresh token presented again after its grace window: its family revoked.
    pub fn reuse_detected(&self) {
        self.reuse_detections.fetch_add(1, Ordering::Relaxed);
    }

    /// `sessions` sessions revoked at once (logout: 1; logout everywhere: all of them).
    pub fn revoked(&self, sessions: u64) {
        self.revocations.fetch_add(sessions, Ordering::Relaxed);
    }

    /// One auth check took `elapsed`.
    pub fn observe_auth_check(&self, elapsed: Duration) {
        self.auth_check.observe(elapsed);
    }

    /// Starts timing an auth check; the time is recorded when the guard drops, so every
    /// return path of the check counts.
    pub fn time_auth_check(&self) -> AuthCheckTimer<'_> {
        // Measuring a latency is not reading the time of day: no rule depends on it, so
        // the clock of the state (whole seconds) is not the tool here.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        AuthCheckTimer {
            metrics: self,
            started,
        }
    }

    /// Counts one answered request: `route` is the matched pattern, `None` if unmatched.
    pub fn count_request(&self, route: Option<&str>, status: StatusCode) {
        let route = route.unwrap_or(UNMATCHED);
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        {
            let requests = self.requests.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(counts) = requests.get(route) {
                counts[class].fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        // First request on this route: the only write, once per route pattern.
        let mut requests = self
            .requests
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        requests.entry(route.into()).or_default()[class].fetch_add(1, Ordering::Relaxed);
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);

        header(
            &mut out,
            "keycard_http_requests_total",
            "counter",
            "HTTP requests answered, by matched route and status class.",
        );
        {
            let requests = self.requests.read().unwrap_or_else(PoisonError::into_inner);
            let mut routes: Vec<_> = requests.iter().collect();
            routes.sort_by(|a, b| a.0.cmp(b.0));
            for (route, counts) in routes {
                for (class, count) in counts.iter().enumerate() {
                    let count = load(count);
                    if count > 0 {
                        let route = escape(route);
                        let _ = writeln!(
                            out,
                            "keycard_http_requests_total{{route=\"{route}\",status=\"{}xx\"}} {count}",
                            class + 1
                        );
                    }
                }
            }
        }

        header(
            &mut out,
            "keycard_logins_total",
            "counter",
            "Login attempts, by outcome: ok, failed (bad credentials), throttled (429).",
        );
        for (outcome, counter) in [
            ("ok", &self.logins_ok),
            ("failed", &self.logins_failed),
            ("throttled", &self.logins_throttled),
        ] {
            let _ = writeln!(
                out,
                "keycard_logins_total{{outcome=\"{outcome}\"}} {}",
                load(counter)
            );
        }
        for (name, help, counter) in [
            (
                "keycard_token_refreshes_total",
                "Refresh tokens rotated.",
                &self.refreshes,
            ),
            (
                "keycard_refresh_reuse_detected_total",
                "Refresh tokens reused after their grace window; each revoked its family.",
                &self.reuse_detections,
            ),
            (
                "keycard_revocations_total",
                "Sessions revoked (logout, logout everywhere, password change, admin, reuse).",
                &self.revocations,
            ),
        ] {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", load(counter));
        }

        let name = "keycard_auth_check_duration_seconds";
        header(
            &mut out,
            name,
            "histogram",
            "Time to decide whether a request is authenticated.",
        );
        self.auth_check.render(&mut out, name);
        out
    }
}

/// Records an auth check's latency when dropped (see [`Metrics::time_auth_check`]).
#[derive(Debug)]
pub struct AuthCheckTimer<'a> {
    metrics: &'a Metrics,
    started: Instant,
}

impl Drop for AuthCheckTimer<'_> {
    fn drop(&mut self) {
        self.metrics.observe_auth_check(self.started.elapsed());
    }
}

/// A histogram over [`AUTH_CHECK_BUCKETS`]: a count per bucket (not cumulative; summed
/// when rendered, so `_count` always equals the `+Inf` bucket) and the sum in nanoseconds.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; AUTH_CHECK_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = AUTH_CHECK_BUCKETS.partition_point(|&(bound, _)| bound < nanos);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str) {
        let mut cumulative = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = AUTH_CHECK_BUCKETS.get(i).map_or("+Inf", |&(_, text)| text);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        #[allow(clippy::cast_precision_loss)] // a sum of latencies; f64 is Prometheus' type
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// The layer that counts every answered request by route pattern and status class. Added
/// with `Router::layer`, so it runs after routing and sees [`MatchedPath`].
pub async fn track_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.count_request(route.as_ref().map(MatchedPath::as_str), response.status());
    response
}

/// `GET /metrics`: the registry in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics().render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_class() {
        let metrics = Metrics::new();
        for _ in 0..3 {
            metrics.count_request(Some("/healthz"), StatusCode::OK);
        }
        metrics.count_request(Some("/v1/sessions/{id}"), StatusCode::NOT_FOUND);
        metrics.count_request(None, StatusCode::NOT_FOUND);
        metrics.count_request(Some("/weird\"route"), StatusCode::INTERNAL_SERVER_ERROR);
        let text = metrics.render();
        for line in [
            "keycard_http_requests_total{route=\"/healthz\",status=\"2xx\"} 3",
            "keycard_http_requests_total{route=\"/v1/sessions/{id}\",status=\"4xx\"} 1",
            "keycard_http_requests_total{route=\"unmatched\",status=\"4xx\"} 1",
            "keycard_http_requests_total{route=\"/weird\\\"route\",status=\"5xx\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(
            !text.contains("route=\"/healthz\",status=\"4xx\""),
            "zero series are left out"
        );
    }

    #[test]
    fn auth_counters_render() {
        let metrics = Metrics::new();
        metrics.login_ok();
        metrics.login_failed();
        metrics.login_failed();
        metrics.login_throttled();
        metrics.refresh();
        metrics.reuse_detected();
        metrics.revoked(3);
        let text = metrics.render();
        for line in [
            "# TYPE keycard_logins_total counter",
            "keycard_logins_total{outcome=\"ok\"} 1",
            "keycard_logins_total{outcome=\"failed\"} 2",
            "keycard_logins_total{outcome=\"throttled\"} 1",
            "keycard_token_refreshes_total 1",
            "keycard_refresh_reuse_detected_total 1",
            "keycard_revocations_total 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }

    #[test]
    fn the_histogram_is_cumulative_with_bounds_in_seconds() {
        let metrics = Metrics::new();
        metrics.observe_auth_check(Duration::from_micros(3)); // <= 5 µs
        metrics.observe_auth_check(Duration::from_micros(5)); // the bound is inclusive
        metrics.observe_auth_check(Duration::from_micros(700)); // <= 1 ms
        metrics.observe_auth_check(Duration::from_secs(2)); // +Inf
        let text = metrics.render();
        let name = "keycard_auth_check_duration_seconds";
        for line in [
            format!("# TYPE {name} histogram"),
            format!("{name}_bucket{{le=\"0.000005\"}} 2"),
            format!("{name}_bucket{{le=\"0.0005\"}} 2"),
            format!("{name}_bucket{{le=\"0.001\"}} 3"),
            format!("{name}_bucket{{le=\"0.1\"}} 3"),
            format!("{name}_bucket{{le=\"+Inf\"}} 4"),
            format!("{name}_count 4"),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        let sum: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}_sum ")))
            .unwrap()
            .parse()
            .unwrap();
        assert!((2.000_707..2.000_709).contains(&sum), "{sum}");
        let bounds: Vec<f64> = AUTH_CHECK_BUCKETS
            .iter()
            .map(|(_, t)| t.parse().unwrap())
            .collect();
        for ((nanos, _), seconds) in AUTH_CHECK_BUCKETS.iter().zip(bounds) {
            assert!(
                (seconds * 1e9 - *nanos as f64).abs() < 1e-3,
                "{seconds} {nanos}"
            );
        }
    }

    #[test]
    fn the_timer_records_once_when_dropped() {
        let metrics = Metrics::new();
        let timer = metrics.time_auth_check();
        assert!(
            metrics
                .render()
                .contains("keycard_auth_check_duration_seconds_count 0")
        );
        drop(timer);
        assert!(
            metrics
                .render()
                .contains("keycard_auth_check_duration_seconds_count 1")
        );
    }
}
