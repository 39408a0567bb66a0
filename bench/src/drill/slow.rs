//! The slow-headers drill: attackers that send a request's headers a byte at a time hold
//! every connection the server allows (and reconnect as soon as they are cut), while
//! normal clients send mixed load. The server's header read timeout cuts the attackers;
//! its connection limit keeps them from exhausting its sockets; the normal clients, each
//! request on a new connection that must wait its turn in the backlog like the
//! attackers', are all served, later than without the attack.

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
    /// The longest an attacking connection was held open, in milliseconds.
    pub longest_hold_ms: u64,
    /// Broken promises: the tally's violations, plus an attacker held far longer than its
    /// turn in the backlog and the header read timeout, plus nothing served under attack.
    pub violations: u64,
}

/// Runs one slow-headers drill (SQLite).
pub async fn slow_headers(spec: &SlowSpec) -> Result<SlowReport, DrillError> {
    let mut extra = generous_limits();
    extra.push(format!("--max-connections={}", spec.max_connections));
    extra.push(format!(
        "--header-read-timeout={}s",
        spec.header_read_timeout
    ));
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
    let port = server
        .base()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let attackers: Vec<_> = (0..spec.attackers)
        .map(|_| {
            let (stop, cut, longest, port) =
                (stop.clone(), cut.clone(), longest.clone(), port.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    if let Some(held) = dribble(&port, &stop).await {
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
        longest_hold_ms,
        violations,
    })
}

/// One attacking connection: the start of a request, then a header byte every 200 ms
/// until the server closes it. How long it was held once connected; `None` when it could
/// not connect or the drill ended first.
async fn dribble(port: &str, stop: &AtomicBool) -> Option<Duration> {
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .ok()?;
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
