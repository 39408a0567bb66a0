//! The progress bar of one measurement, on stderr. indicatif hides it when stderr is not a
//! terminal (CI, a pipe), so scripts see only the one-line summaries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::latency::rate;
use super::stopwatch::since;

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The bar of one measurement, named by what it measures.
#[derive(Debug)]
pub struct Progress {
    label: String,
}

impl Progress {
    /// A bar for the measurement `label`.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
        }
    }

    /// Shows the warm-up, then the measured time with the rate of 2xx answers so far, until
    /// `warmup + duration` from `started`.
    pub async fn follow(
        &self,
        started: Instant,
        warmup: Duration,
        duration: Duration,
        counters: &[Arc<AtomicU64>],
    ) {
        let total = warmup + duration;
        let bar = ProgressBar::new(millis(total));
        if let Ok(style) = ProgressStyle::with_template("{prefix:40} [{bar:30}] {elapsed:>3} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(self.label.clone());
        loop {
            let elapsed = since(started);
            bar.set_position(millis(elapsed.min(total)));
            if elapsed < warmup {
                bar.set_message("warming up");
            } else {
                let done: u64 = counters
                    .iter()
                    .map(|counter| counter.load(Ordering::Relaxed))
                    .sum();
                bar.set_message(format!("{:.0} req/s", rate(done, elapsed - warmup)));
            }
            if elapsed >= total {
                break;
            }
            tokio::time::sleep(TICK.min(total - elapsed)).await;
        }
        bar.finish_and_clear();
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
