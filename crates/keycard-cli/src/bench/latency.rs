//! The latencies of one run, and what the report shows of them.

use std::time::Duration;

use serde::Serialize;

/// Latencies in nanoseconds, one per measured request.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    /// Room for about `n` requests.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// Records one request.
    #[inline]
    pub fn record(&mut self, nanos: u64) {
        self.0.push(nanos);
    }

    /// Adds another connection's records.
    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// How many were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The percentiles, sorting the records once.
    pub fn summary(mut self) -> Summary {
        self.0.sort_unstable();
        let at = |p: f64| -> f64 {
            if self.0.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least p of the records at or below.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "a rank among at most a few million records"
            )]
            let rank = ((p * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
            micros(self.0[rank - 1])
        };
        Summary {
            p50_us: at(0.50),
            p90_us: at(0.90),
            p99_us: at(0.99),
            max_us: self.0.last().map_or(0.0, |&max| micros(max)),
        }
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "nanoseconds of a request fit an f64's mantissa"
)]
fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1_000.0
}

/// Percentiles of one run, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// The slowest request.
    pub max_us: f64,
}

/// Requests per second over `elapsed`.
#[allow(
    clippy::cast_precision_loss,
    reason = "a request count fits an f64's mantissa"
)]
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies = Latencies::default();
        for micros in 1..=100 {
            latencies.record(micros * 1_000);
        }
        let summary = latencies.summary();
        assert!((summary.p50_us - 50.0).abs() < f64::EPSILON);
        assert!((summary.p99_us - 99.0).abs() < f64::EPSILON);
        assert!((summary.max_us - 100.0).abs() < f64::EPSILON);
    }

    #[test]
    fn no_records_no_percentiles() {
        let summary = Latencies::default().summary();
        assert!(summary.p99_us.abs() < f64::EPSILON);
    }
}
