//! Metrics: `GET /metrics` in the OpenMetrics text format (which Prometheus reads),
//! through the `prometheus-client` crate. Each server has its own registry (no global), so
//! tests can run many servers in one process.
//!
//! What is recorded, and where:
//! - `keycard_http_requests_total{route, status}`: by [`CountRequestsLayer`], a layer of every
//!   route; `route` is the matched route pattern (`/v1/sessions/{id}`), never the raw path,
//!   so the series stay few whatever clients send; requests no route matched count under
//!   `route="unmatched"`. `status` is the class: `2xx`, `4xx`...
//! - `keycard_connections_refused_total`: connections closed when accepted because their
//!   address held the most allowed (`max_connections_per_address`), by the serve loop
//!   ([`crate::connections`]) through [`Metrics::connections_refused`].
//! - `keycard_auth_check_duration_seconds`: a histogram of the time to decide whether a
//!   request is authenticated, from 5 µs (a JWT verified in memory) to 100 ms (a slow
//!   store), by [`Metrics::time_auth_check`].
//! - The auth service's counters (`keycard_logins_total{outcome}`,
//!   `keycard_token_refreshes_total`, `keycard_refresh_replays_total`,
//!   `keycard_refresh_reuse_detected_total`, `keycard_revocations_total`, ...), defined
//!   beside the flows that move them ([`keycard_auth::events`]) and registered here.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keycard_auth::events::AuthEvents;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::error::WebError;
use crate::state::AppState;

mod requests;

pub use requests::{CountRequests, CountRequestsLayer};

/// The path the metrics are served at.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `route` label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the auth check histogram, in seconds.
const AUTH_CHECK_BUCKETS: [f64; 14] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

type RequestLabels = [(&'static str, String); 2];

/// The server's registry and the series it records itself.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    by_route: RwLock<HashMap<String, [Counter; 5]>>,
    auth_check: Histogram,
    connections_refused: Counter,
}

impl Metrics {
    /// A registry holding the server's series and the auth service's counters.
    pub fn new(auth: &AuthEvents) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "keycard_http_requests",
            "HTTP requests answered, by matched route and status class.",
            requests.clone(),
        );
        let auth_check = Histogram::new(AUTH_CHECK_BUCKETS);
        registry.register(
            "keycard_auth_check_duration_seconds",
            "Time to decide whether a request is authenticated.",
            auth_check.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "keycard_connections_refused",
            "Connections closed when accepted: their client address held the most allowed.",
            connections_refused.clone(),
        );
        auth.register(&mut registry);
        Self {
            registry,
            requests,
            by_route: RwLock::default(),
            auth_check,
            connections_refused,
        }
    }

    /// The counter of connections the per-address limit closed, for the serve loop.
    pub fn connections_refused(&self) -> Counter {
        self.connections_refused.clone()
    }

    /// Starts timing an auth check; the time is recorded when the guard drops, so every
    /// return path of the check counts.
    pub fn time_auth_check(&self) -> AuthCheckTimer<'_> {
        // Measuring a latency is not reading the time of day: no rule depends on it, so
        // the service's clock (whole seconds) is not the tool here.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        AuthCheckTimer {
            metrics: self,
            started,
        }
    }

    /// Counts one answered request: `route` is the matched pattern, `None` if unmatched.
    ///
    /// On the path of every request: after the first request of a route, a read lock and
    /// a lookup by `&str`, no allocation (the family's key owns its strings, so its
    /// counters are kept here by route as well).
    pub fn count_request(&self, route: Option<&str>, status: StatusCode) {
        let route = route.unwrap_or(UNMATCHED);
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        {
            let by_route = self.by_route.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(counters) = by_route.get(route) {
                counters[class].inc();
                return;
            }
        }
        let counters: [Counter; 5] = std::array::from_fn(|class| {
            let labels = [
                ("route", route.to_owned()),
                ("status", format!("{}xx", class + 1)),
            ];
            self.requests.get_or_create(&labels).clone()
        });
        counters[class].inc();
        // A route's five status classes are exposed from its first request on, at zero
        // until they happen: five series per matched route, bounded as before.
        self.by_route
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.to_owned())
            .or_insert(counters);
    }

    /// The registry in the text format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        encode(&mut out, &self.registry)?;
        Ok(out)
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
        self.metrics
            .auth_check
            .observe(self.started.elapsed().as_secs_f64());
    }
}

/// `GET /metrics`: the registry in the text format.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (
            status = 200,
            description = "The Prometheus registry in the OpenMetrics text format.",
            content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8",
            body = String
        ),
        (status = 500, response = crate::routes::dto::problems::InternalError),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, WebError> {
    let auth = state.auth();
    auth.events().observe_feed(auth.feed_health().age());
    let text = state
        .metrics()
        .render()
        .map_err(|error| WebError::from(keycard_auth::AuthError::internal(error)))?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_line(text: &str, line: &str) -> bool {
        text.lines().any(|l| l == line)
    }

    #[test]
    fn requests_are_counted_by_route_and_status_class() {
        let metrics = Metrics::new(&AuthEvents::default());
        metrics.count_request(Some("/healthz"), StatusCode::OK);
        metrics.count_request(Some("/healthz"), StatusCode::NO_CONTENT);
        metrics.count_request(None, StatusCode::NOT_FOUND);
        metrics.count_request(Some("/v1/login"), StatusCode::SERVICE_UNAVAILABLE);
        let text = metrics.render().unwrap();
        for line in [
            "# TYPE keycard_http_requests counter",
            "keycard_http_requests_total{route=\"/healthz\",status=\"2xx\"} 2",
            "keycard_http_requests_total{route=\"unmatched\",status=\"4xx\"} 1",
            "keycard_http_requests_total{route=\"/v1/login\",status=\"5xx\"} 1",
            "keycard_logins_total{outcome=\"ok\"} 0",
            "keycard_logins_total{outcome=\"throttled\"} 0",
            "# EOF",
        ] {
            assert!(has_line(&text, line), "{line} missing from\n{text}");
        }
    }

    #[test]
    fn the_timer_records_once_when_dropped() {
        let metrics = Metrics::new(&AuthEvents::default());
        drop(metrics.time_auth_check());
        let text = metrics.render().unwrap();
        assert!(
            has_line(&text, "keycard_auth_check_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            has_line(
                &text,
                "keycard_auth_check_duration_seconds_bucket{le=\"+Inf\"} 1"
            ),
            "{text}"
        );
    }
}
