//! `keycard bench` end to end, as a correctness check and not a stopwatch: a short run in
//! hybrid mode (the one mode with every route) on SQLite must drive every route with
//! requests and no failures, and write its JSON and its chart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

#[test]
fn a_short_run_drives_every_route_without_failures_and_writes_json_and_a_chart() {
    let scratch = tempfile::Builder::new()
        .prefix("keycard-bench-test-")
        .tempdir()
        .unwrap();
    let json = scratch.path().join("bench.json");
    let chart = scratch.path().join("bench.svg");
    let output = Command::new(env!("CARGO_BIN_EXE_keycard"))
        .args([
            "bench",
            "--modes",
            "hybrid",
            "--backends",
            "sqlite",
            "--duration",
            "1s",
            "--warmup",
            "200ms",
            "--connections",
            "4",
            "--storm-logins",
            "2",
            "--threads",
            "1",
            "--algorithms",
            "HS256,EdDSA",
            "--cost-time",
            "20ms",
        ])
        .arg("--json")
        .arg(&json)
        .arg("--chart")
        .arg(&chart)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "keycard bench failed: {}\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("GET /v1/me"), "{stdout}");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let routes = report["routes"].as_array().unwrap();
    let names: Vec<&str> = routes
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "healthz",
            "auth-check",
            "me",
            "login",
            "refresh",
            "me-during-logins"
        ]
    );
    for route in routes {
        assert_eq!(route["mode"], "hybrid");
        assert_eq!(route["backend"], "sqlite");
        assert!(route["requests"].as_u64().unwrap() > 0, "{route}");
        assert_eq!(route["failures"], 0, "{route}");
        assert!(
            route["latency"]["p99_us"].as_f64().unwrap() > 0.0,
            "{route}"
        );
    }
    let storm = &routes[5];
    assert!(storm["p99_vs_idle"].as_f64().unwrap() > 0.0, "{storm}");
    assert!(storm["logins_per_sec"].as_f64().unwrap() > 0.0, "{storm}");

    let verify: Vec<&str> = report["verify"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["alg"].as_str().unwrap())
        .collect();
    assert_eq!(verify, ["HS256", "EdDSA"]);
    let lookup = &report["store_lookup"][0];
    assert_eq!(lookup["session_store"], "sqlite");
    assert!(lookup["loads_per_sec"].as_f64().unwrap() > 0.0);

    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_eq!(
        svg.matches("<rect x=").count(),
        routes.len(),
        "one bar per route"
    );
}

#[test]
fn a_generic_target_is_driven_and_failures_are_reported_not_counted() {
    // A route that answers 404 is a run of failures, never throughput: exit status 1.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{BufRead as _, BufReader, Write as _};
        for stream in server.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut line = String::new();
                    // Read one request head; the generator sends no body with a GET.
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let answer = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
                    if writer.write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let output = Command::new(env!("CARGO_BIN_EXE_keycard"))
        .args([
            "bench",
            "--target",
            &format!("http://{addr}"),
            "--get",
            "/missing",
        ])
        .args([
            "--duration",
            "300ms",
            "--warmup",
            "100ms",
            "--connections",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("failures by status: 404"), "{stdout}");
}
