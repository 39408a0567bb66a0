//! The results of a `keycard bench` run as data: what the table prints, the JSON file
//! holds and the chart draws. The JSON is this struct serialised, so the three cannot
//! disagree.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::latency::Summary;
use crate::failure::Failure;

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The `keycard` version that measured.
    pub keycard_version: &'static str,
    /// When (UTC).
    pub date: String,
    /// Where.
    pub machine: Machine,
    /// The load generator's settings, the same for every route.
    pub load: LoadSettings,
    /// One entry per mode, backend and route.
    pub routes: Vec<RouteResult>,
    /// The in-process cost of one access-token verify, per algorithm.
    pub verify: Vec<VerifyCost>,
    /// The in-process cost of one session lookup, per backend.
    pub store_lookup: Vec<StoreCost>,
}

/// The machine, as far as the benchmark can tell.
#[derive(Debug, Serialize)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// The CPU's model name (Linux), if known.
    pub cpu_model: Option<String>,
    /// The 1-minute load average when the run began (Linux), if known.
    pub load_average: Option<f64>,
}

impl Machine {
    /// This machine, now.
    pub fn here() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            });
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse().ok());
        Self {
            cpus,
            cpu_model,
            load_average,
        }
    }
}

/// How every route was driven.
#[derive(Debug, Clone, Serialize)]
pub struct LoadSettings {
    /// Keep-alive connections per route.
    pub connections: usize,
    /// OS threads of the load generator.
    pub threads: usize,
    /// Unreported warm-up per route, in milliseconds.
    pub warmup_ms: u64,
    /// Measured time per route, in milliseconds.
    pub duration_ms: u64,
    /// Connections logging in during the login storm.
    pub storm_logins: usize,
}

/// One route of one server.
#[derive(Debug, Clone, Serialize)]
pub struct RouteResult {
    /// `in-process`, or the URL of the server driven.
    pub target: String,
    /// The server's mode (Keycard only).
    pub mode: Option<String>,
    /// The stores (in-process servers only).
    pub backend: Option<String>,
    /// The route's short name (`healthz`, `me`, …, or the path given with `--get`).
    pub route: String,
    /// Method and path, as the table shows them.
    pub request: String,
    /// Connections sending it.
    pub connections: usize,
    /// 2xx answers within the measured time.
    pub requests: u64,
    /// Answers that were not 2xx, and requests without an answer.
    pub failures: u64,
    /// The failures by status (`error` for no answer).
    pub failed_statuses: BTreeMap<String, u64>,
    /// The first connection error seen, if any.
    pub first_error: Option<String>,
    /// 2xx answers per second.
    pub req_per_sec: f64,
    /// Latency of the 2xx answers.
    pub latency: Summary,
    /// Requests per second over the same server's `/healthz`.
    pub vs_healthz: Option<f64>,
    /// During the login storm: this p99 over the same route's p99 without the storm.
    pub p99_vs_idle: Option<f64>,
    /// During the login storm: logins answered per second beside it.
    pub logins_per_sec: Option<f64>,
}

/// One verify of an access token, in process.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyCost {
    /// The JWS algorithm.
    pub alg: String,
    /// The token's length in bytes.
    pub token_bytes: usize,
    /// Median nanoseconds per full verify (signature and claims).
    pub ns: f64,
}

/// One session lookup by token digest, in process, from one client.
#[derive(Debug, Clone, Serialize)]
pub struct StoreCost {
    /// The backend name (as in `--backends`).
    pub backend: String,
    /// The session store that answered.
    pub session_store: String,
    /// Loads per second from one client.
    pub loads_per_sec: f64,
    /// Latency of one load.
    pub latency: Summary,
}

impl Report {
    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Failure::Input(format!("cannot serialise the report: {e}")))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))
    }

    /// Whether every route answered only 2xx, and each at least once.
    pub fn all_succeeded(&self) -> bool {
        self.routes
            .iter()
            .all(|route| route.failures == 0 && route.requests > 0)
    }
}
