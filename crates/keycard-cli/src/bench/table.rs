//! The report as text tables, for stdout.

use std::fmt::Write as _;

use super::report::Report;

/// The routes, then the in-process costs, as aligned text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let load = &report.load;
    let _ = writeln!(
        out,
        "{} connections, {} load threads, {} ms per route after {} ms of warm-up; {} CPUs{}",
        load.connections,
        load.threads,
        load.duration_ms,
        load.warmup_ms,
        report.machine.cpus,
        report
            .machine
            .load_average
            .map(|load| format!(", load average {load:.2} at the start"))
            .unwrap_or_default()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<8} {:<16} {:<32} {:>10} {:>10} {:>10} {:>8} {:>9}",
        "mode", "backend", "request", "req/s", "p50", "p99", "vs /healthz", "failures"
    );
    for route in &report.routes {
        let mut ratio = route
            .vs_healthz
            .map(|ratio| format!("{ratio:.2}"))
            .unwrap_or_else(|| "-".into());
        if let Some(p99) = route.p99_vs_idle {
            ratio = format!("p99 {p99:.2}x");
        }
        let _ = writeln!(
            out,
            "{:<8} {:<16} {:<32} {:>10} {:>10} {:>10} {:>11} {:>9}",
            route.mode.as_deref().unwrap_or("-"),
            route.backend.as_deref().unwrap_or("-"),
            route.request,
            thousands(route.req_per_sec),
            millis(route.latency.p50_us),
            millis(route.latency.p99_us),
            ratio,
            route.failures,
        );
        if route.failures > 0 {
            let statuses: Vec<String> = route
                .failed_statuses
                .iter()
                .map(|(status, count)| format!("{status}: {count}"))
                .collect();
            let _ = writeln!(
                out,
                "         ^ failures by status: {}{}",
                statuses.join(", "),
                route
                    .first_error
                    .as_deref()
                    .map(|e| format!(" (first error: {e})"))
                    .unwrap_or_default()
            );
        }
        if let Some(logins) = route.logins_per_sec {
            let _ = writeln!(out, "         ^ beside {} logins/s", thousands(logins));
        }
    }
    if !report.verify.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<8} {:>12} {:>14}",
            "alg", "token bytes", "one verify"
        );
        for cost in &report.verify {
            let _ = writeln!(
                out,
                "{:<8} {:>12} {:>14}",
                cost.alg,
                cost.token_bytes,
                nanos(cost.ns)
            );
        }
    }
    if !report.store_lookup.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<16} {:<14} {:>12} {:>10} {:>10}",
            "backend", "session store", "lookups/s", "p50", "p99"
        );
        for cost in &report.store_lookup {
            let _ = writeln!(
                out,
                "{:<16} {:<14} {:>12} {:>10} {:>10}",
                cost.backend,
                cost.session_store,
                thousands(cost.loads_per_sec),
                millis(cost.latency.p50_us),
                millis(cost.latency.p99_us),
            );
        }
    }
    out
}

/// `12,345` for a rate.
pub fn thousands(value: f64) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rate, rounded for display"
    )]
    let whole = value.max(0.0).round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A latency in microseconds as `0.42 ms` or `35 µs`.
fn millis(micros: f64) -> String {
    if micros >= 1_000.0 {
        format!("{:.2} ms", micros / 1_000.0)
    } else {
        format!("{micros:.0} µs")
    }
}

/// A cost in nanoseconds as `812 ns` or `35.7 µs`.
fn nanos(ns: f64) -> String {
    if ns >= 1_000.0 {
        format!("{:.1} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_get_thousands_separators() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234.0), "1,234");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn latencies_pick_their_unit() {
        assert_eq!(millis(35.2), "35 µs");
        assert_eq!(millis(1_250.0), "1.25 ms");
        assert_eq!(nanos(812.4), "812 ns");
        assert_eq!(nanos(35_730.0), "35.7 µs");
    }
}
