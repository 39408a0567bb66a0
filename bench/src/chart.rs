//! A line chart in SVG: series of (x, y) points over a shared x axis, for the soak's
//! latency and memory over time. Hand written (a few dozen elements) rather than a
//! plotting dependency, like `keycard bench`'s bar chart.

use std::fmt::Write as _;

/// One line: its name in the legend, its colour, its points.
#[derive(Debug)]
pub struct Series {
    /// The legend's text.
    pub name: String,
    /// A CSS colour.
    pub colour: &'static str,
    /// (x, y) points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// One panel: a title, the y axis's unit, its lines.
#[derive(Debug)]
pub struct Panel {
    /// Above the panel.
    pub title: String,
    /// The y axis's unit, after each tick's number.
    pub unit: String,
    /// The lines.
    pub series: Vec<Series>,
}

const WIDTH: f64 = 900.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const PANEL_HEIGHT: f64 = 220.0;
const PANEL_GAP: f64 = 70.0;
const TOP: f64 = 50.0;

/// The panels stacked, sharing an x axis labelled `x_label`, under `title`.
pub fn render(title: &str, x_label: &str, panels: &[Panel]) -> String {
    let plot_width = WIDTH - LEFT - RIGHT;
    let x_max = panels
        .iter()
        .flat_map(|p| &p.series)
        .flat_map(|s| s.points.iter().map(|(x, _)| *x))
        .fold(1.0_f64, f64::max);
    let height = TOP + panels.len() as f64 * (PANEL_HEIGHT + PANEL_GAP);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (index, panel) in panels.iter().enumerate() {
        let top = TOP + index as f64 * (PANEL_HEIGHT + PANEL_GAP);
        let bottom = top + PANEL_HEIGHT;
        let y_max = nice_ceiling(
            panel
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|(_, y)| *y))
                .fold(0.0_f64, f64::max),
        );
        let x_at = |x: f64| LEFT + x / x_max * plot_width;
        let y_at = |y: f64| bottom - y / y_max * PANEL_HEIGHT;
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#,
            top - 8.0,
            escape(&panel.title)
        );
        for tick in 0..=4 {
            let value = y_max * f64::from(tick) / 4.0;
            let y = y_at(value);
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{}" y="{:.1}" text-anchor="end">{} {}</text>"##,
                LEFT + plot_width,
                LEFT - 6.0,
                y + 4.0,
                format_number(value),
                escape(&panel.unit)
            );
        }
        for tick in 0..=5 {
            let value = x_max * f64::from(tick) / 5.0;
            let x = x_at(value);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{bottom}" y2="{}" stroke="#999"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
                bottom + 5.0,
                bottom + 18.0,
                format_number(value)
            );
        }
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{bottom}" y2="{bottom}" stroke="#999"/><text x="{}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            LEFT + plot_width,
            LEFT + plot_width / 2.0,
            bottom + 34.0,
            escape(x_label)
        );
        for (line, series) in panel.series.iter().enumerate() {
            let points: Vec<String> = series
                .points
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", x_at(*x), y_at(*y)))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"/>"#,
                series.colour,
                points.join(" ")
            );
            let legend_y = top + 14.0 + line as f64 * 18.0;
            let legend_x = LEFT + plot_width + 14.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{legend_x}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3"/><text x="{}" y="{legend_y}">{}</text>"#,
                legend_x + 18.0,
                legend_y - 4.0,
                legend_y - 4.0,
                series.colour,
                legend_x + 24.0,
                escape(&series.name)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// The smallest of 1, 2 or 5 times a power of ten at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let power = 10_f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * power)
}

fn format_number(value: f64) -> String {
    if value >= 10.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_at_a_round_number_above_the_data() {
        assert!((nice_ceiling(3.2) - 5.0).abs() < 1e-9);
        assert!((nice_ceiling(120.0) - 200.0).abs() < 1e-9);
        assert!((nice_ceiling(0.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn every_series_is_drawn_and_named() {
        let svg = render(
            "t <1>",
            "minutes",
            &[Panel {
                title: "p99".into(),
                unit: "ms".into(),
                series: vec![Series {
                    name: "me".into(),
                    colour: "#000",
                    points: vec![(0.0, 1.0), (1.0, 2.0)],
                }],
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains(">me</text>") && svg.contains("t &lt;1&gt;"));
    }
}
