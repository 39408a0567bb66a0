//! The report's routes as a horizontal bar chart in SVG: one bar per mode, backend and
//! route, its length the requests per second, the number and p99 written beside it. Hand
//! written (a few dozen elements) rather than a plotting dependency.

use std::fmt::Write as _;
use std::path::Path;

use super::report::Report;
use super::table::thousands;
use crate::failure::Failure;

const WIDTH: f64 = 1010.0;
const LABEL: f64 = 330.0;
const BAR_SPACE: f64 = 470.0;
const ROW: f64 = 20.0;
const GROUP_GAP: f64 = 14.0;
const TOP: f64 = 56.0;

/// The colour of a route's bars.
fn colour(route: &str) -> &'static str {
    match route {
        "healthz" => "#9aa5b1",
        "auth-check" => "#4c9f70",
        "me" => "#2f6db5",
        "me-during-logins" => "#7aa6dd",
        "login" => "#c4523f",
        "refresh" => "#d99a2b",
        _ => "#6b5ca5",
    }
}

/// Writes the chart of `report` to `path`.
pub fn write(report: &Report, path: &Path) -> Result<(), Failure> {
    std::fs::write(path, render(report))
        .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))
}

/// The chart as SVG text.
pub fn render(report: &Report) -> String {
    let max = report
        .routes
        .iter()
        .map(|route| route.req_per_sec)
        .fold(1.0_f64, f64::max);
    let mut rows = String::new();
    let mut y = TOP;
    let mut group: Option<(Option<&str>, Option<&str>, &str)> = None;
    for route in &report.routes {
        let this = (
            route.mode.as_deref(),
            route.backend.as_deref(),
            route.target.as_str(),
        );
        if group != Some(this) {
            if group.is_some() {
                y += GROUP_GAP;
            }
            group = Some(this);
            let heading = match (this.0, this.1) {
                (Some(mode), Some(backend)) => format!("{mode} mode, {backend}"),
                (Some(mode), None) => format!("{mode} mode, {}", this.2),
                _ => this.2.to_owned(),
            };
            let _ = writeln!(
                rows,
                r#"<text x="8" y="{:.1}" font-weight="bold">{}</text>"#,
                y + 14.0,
                escape(&heading)
            );
            y += ROW;
        }
        let length = (route.req_per_sec / max * BAR_SPACE).max(1.0);
        let failed = if route.failures > 0 {
            format!(", {} failed", route.failures)
        } else {
            String::new()
        };
        let _ = writeln!(
            rows,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + 14.0,
            escape(&route.request)
        );
        let _ = writeln!(
            rows,
            r#"<rect x="{LABEL:.1}" y="{:.1}" width="{length:.1}" height="{:.1}" fill="{}"/>"#,
            y + 3.0,
            ROW - 6.0,
            colour(&route.route)
        );
        let _ = writeln!(
            rows,
            r#"<text x="{:.1}" y="{:.1}">{} req/s, p99 {:.2} ms{}</text>"#,
            LABEL + length + 6.0,
            y + 14.0,
            thousands(route.req_per_sec),
            route.latency.p99_us / 1_000.0,
            escape(&failed)
        );
        y += ROW;
    }
    let height = y + 16.0;
    let load = &report.load;
    let subtitle = format!(
        "{}; {} CPUs; {} connections, {} ms per route after {} ms warm-up; keycard {}",
        report.date,
        report.machine.cpus,
        load.connections,
        load.duration_ms,
        load.warmup_ms,
        report.keycard_version
    );
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="20" font-size="15" font-weight="bold">keycard bench: requests per second (longer is better)</text>
<text x="8" y="38" fill="#555555">{}</text>
{rows}</svg>
"##,
        escape(&subtitle)
    )
}

/// Text as SVG character data.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & c>"), "a&lt;b &amp; c&gt;");
    }
}
