//! The slow-headers drill: attackers on one host (127.0.0.2: Linux answers all of
//! 127.0.0.0/8 on loopback) send a request's headers a byte at a time on more connections
//! than the server allows (and reconnect as soon as they are cut), while normal clients at
//! 127.0.0.1 send mixed load, each request on a new connection. The server's header read
//! timeout cuts the attackers; its connection limit keeps them from exhausting its
//! sockets; its per-address limit keeps them to their share of the slots, so the clients
//! are served in milliseconds, not seconds. With the per-address limit off, the clients
//! are still all served, but each new connection waits its turn in the backlog behind the
//! attackers'.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keycard_server::config::Mode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::client::Client;
use super::load::{Control, Pace, Worker};
use super::server::{KeycardProcess, ServerSpec};
use super::tally::{Op, Tally};
use super::{DrillError, generous_limits, run_tag};

/// One slow-headers drill.
#[derive(Clone, Debug)]
pub struct SlowSpec {
    /// The `keycard` binary.
    pub binary: std::path::PathBuf,
    /// The server's mode.
    pub mode: Mode,
    /// The server's `max_connections`.
    pub max_connections: usize,
    /// The server's `header_read_timeout`, in seconds.
    pub header_read_timeout: u64,
    /// The server's `max_connections_per_address` (0: off); `None` leaves its default.
    pub per_address: Option<usize>,
    /// Attacking connections held at once (more than `max_connections`).
    pub attackers: usize,
    /// Normal clients.
    pub workers: usize,
    /// Load without the attack, then the same with it.
    pub each: Duration,
}

/// The phases of a slow-headers drill.
pub const PHASES: [&str; 2] = ["quiet", "under attack"];

/// What a slow-headers drill found.
#[derive(Debug)]
pub struct SlowReport {
    /// The normal clients' requests.
    pub tally: Arc<Tally>,
    /// Attacking connections the server closed.
    pub attackers_cut: u64,
    /// Attacking connections closed as soon as accepted (the per-address limit), as the
    /// server's `/metrics` counted them (some may be counted here and not in
    /// `attackers_cut`: those the drill stopped watching before it saw them closed).
    pub attackers_refused: u64,
    /// The longest an attacking connection was held open, in milliseconds.
    pub longest_hold_ms: u64,
    /// Broken promises: the tally's violations, plus an attacker held far longer than its
    /// turn in the backlog and the header read timeout, plus nothing served under attack.
    pub violations: u64,
}

/// The attacking host.
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Runs one slow-headers drill (SQLite).
pub async fn slow_headers(spec: &SlowSpec) -> Result<SlowReport, DrillError> {
    let mut extra = generous_limits();
    extra.push(format!("--max-connections={}", spec.max_connections));
    extra.push(format!(
        "--header-read-timeout={}s",
        spec.header_read_timeout
    ));
    if let Some(per_address) = spec.per_address {
        extra.push(format!("--max-connections-per-address={per_address}"));
    }
    let server = KeycardProcess::start(ServerSpec {
        binary: spec.binary.clone(),
        mode: spec.mode,
        user_store: None,
        session_store: None,
        extra,
    })
    .await?;
    let tally = Arc::new(Tally::new(PHASES.map(str::to_owned).to_vec()));
    let control = Control::new();
    let tag = run_tag();
    let mut workers = Vec::new();
    for id in 0..spec.workers {
        let client = Client::one_connection_per_request(&server.base(), spec.mode);
        let mut worker = Worker::new(id, client, tally.clone(), control.clone(), &tag, false);
        worker.prepare().await?;
        workers.push(tokio::spawn(worker.run(Pace::Flat)));
    }
    tokio::time::sleep(spec.each).await;

    control.set_phase(1);
    let stop = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicU64::new(0));
    let longest = Arc::new(AtomicU64::new(0));
    let target: SocketAddr = server
        .base()
        .trim_start_matches("http://")
        .parse()
        .map_err(|_| DrillError::new(format!("{} is not an address", server.base())))?;
    let attackers: Vec<_> = (0..spec.attackers)
        .map(|_| {
            let (stop, cut, longest) = (stop.clone(), cut.clone(), longest.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    if let Some(held) = dribble(target, &stop).await {
                        cut.fetch_add(1, Ordering::SeqCst);
                        longest.fetch_max(
                            held.as_millis().try_into().unwrap_or(u64::MAX),
                            Ordering::SeqCst,
                        );
                    } else {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(spec.each).await;
    control.stop();
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        let _ = worker.await;
    }
    for attacker in attackers {
        attacker.abort();
    }
    let longest_hold_ms = longest.load(Ordering::SeqCst);
    let mut violations = tally.violations();
    // An attacker waits in the listen backlog behind every other connection (the slots
    // go round in header-timeout steps), then is cut after the header timeout. Twice that,
    // and 5 s more, for a loaded machine: what this catches is a connection held without
    // bound.
    let waiting = (spec.attackers + spec.workers).div_ceil(spec.max_connections.max(1)) as u64;
    if longest_hold_ms > 2 * 1_000 * spec.header_read_timeout * (waiting + 1) + 5_000 {
        violations += 1;
    }
    if tally.latencies(1, Op::Me).is_empty() {
        violations += 1;
    }
    Ok(SlowReport {
        tally,
        attackers_cut: cut.load(Ordering::SeqCst),
        attackers_refused: refused_connections(&server.base()).await?,
        longest_hold_ms,
        violations,
    })
}

/// One attacking connection: the start of a request, then a header byte every 200 ms
/// until the server closes it. How long it was held once connected; `None` when it could
/// not connect or the drill ended first.
async fn dribble(target: SocketAddr, stop: &AtomicBool) -> Option<Duration> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(ATTACKER, 0)).ok()?;
    let mut stream = socket.connect(target).await.ok()?;
    let since = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .ok()?;
    let mut buffer = [0_u8; 512];
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        // The server answers 408 or just closes; either way the next read sees the end.
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => {
                if stream.write_all(b"a").await.is_err() {
                    return Some(since.elapsed());
                }
            }
        }
    }
}

/// The server's count of connections its per-address limit closed.
async fn refused_connections(base: &str) -> Result<u64, DrillError> {
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| DrillError::new(format!("reading {base}/metrics: {error}")))?
        .text()
        .await
        .map_err(|error| DrillError::new(format!("reading {base}/metrics: {error}")))?;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("keycard_connections_refused_total "))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| DrillError::new("no keycard_connections_refused_total in /metrics"))
}
