//! `GET /metrics` over real HTTP: the OpenMetrics text format (which Prometheus reads), and
//! the request counter keyed by the matched route pattern and the status class, never the
//! raw path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, args, client, scratch};
use reqwest::StatusCode;

async fn scrape(server: &TestServer) -> String {
    let response = client().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[tokio::test]
async fn requests_are_counted_by_route_and_status_class() {
    let dir = scratch("metrics");
    let server = TestServer::start(args(dir.path())).await;
    let http = client();
    for _ in 0..3 {
        let response = http.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    for path in ["/no/such/path", "/no/such/other-path?x=1"] {
        let response = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    let text = scrape(&server).await;
    for line in [
        "# TYPE keycard_http_requests counter",
        "keycard_http_requests_total{route=\"/healthz\",status=\"2xx\"} 3",
        "keycard_http_requests_total{route=\"unmatched\",status=\"4xx\"} 2",
        "keycard_logins_total{outcome=\"ok\"} 0",
        "# TYPE keycard_auth_check_duration_seconds histogram",
        "keycard_auth_check_duration_seconds_bucket{le=\"+Inf\"} 0",
    ] {
        assert!(has_line(&text, line), "{line} missing from\n{text}");
    }
    assert!(!text.contains("/no/such"), "raw paths never become labels");

    // The first scrape was counted once its answer was sent.
    let text = scrape(&server).await;
    assert!(
        has_line(
            &text,
            "keycard_http_requests_total{route=\"/metrics\",status=\"2xx\"} 1"
        ),
        "{text}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn each_server_has_its_own_registry() {
    let dir = scratch("metrics-own");
    let server = TestServer::start(args(dir.path())).await;
    let text = scrape(&server).await;
    assert!(!text.contains("route=\"/healthz\""), "{text}");
    server.stop().await.unwrap();
}
