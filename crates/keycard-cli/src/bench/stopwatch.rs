//! The benchmark's time: its clock, and the durations of the command line. Keycard takes
//! time from a `Clock` everywhere else (clippy bans `Instant::now`); a benchmark measures
//! wall time, so this file, and only this file, reads the monotonic clock.

use std::time::{Duration, Instant};

/// The monotonic clock, now.
#[allow(
    clippy::disallowed_methods,
    reason = "a benchmark measures elapsed wall time"
)]
#[inline]
pub fn now() -> Instant {
    Instant::now()
}

/// How long since `start`.
#[inline]
pub fn since(start: Instant) -> Duration {
    now().saturating_duration_since(start)
}

/// Nanoseconds as an integer that fits a latency record (saturating at ~584 years).
#[inline]
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// A duration from the command line: `3s`, `500ms`, `1m`, `0.5s`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 3s or 500ms"))?;
    let secs = match unit {
        "ms" => value / 1_000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("{text:?}: the unit is ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"))
}

/// Whole milliseconds, for the report.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_units() {
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
