//! What the benchmark binaries share: a percentile, a line chart ([`chart`]), and the
//! fault drills ([`drill`]).

pub mod chart;
pub mod drill;

use std::time::Duration;

/// The `p`-th quantile (0 to 1) of `sorted`, by the nearest rank. `sorted` is not empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}
