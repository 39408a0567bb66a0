//! A soak: `keycard serve` (the release binary beside this one) under mixed traffic at a
//! fixed rate for minutes: logins, refreshes (hybrid), `/v1/me`, `/v1/sessions`, logouts
//! and logged-out credentials tried again, from the fault drills' workers. Every window
//! (10 s) records each operation's latency percentiles, counted from when the request
//! was due (so a server that falls behind shows it), the server's resident memory, and
//! on SQLite the size of the write-ahead log (a suspect when writes slow down).
//!
//! ```text
//! cargo build --release -p keycard-cli -p keycard-bench
//! target/release/soak --minutes 10 --rate 100 --svg docs/bench/soak.svg --csv docs/bench/soak.csv
//! ```
//! Prints a per-minute table and whether latency and memory stayed flat; exits 1 if any
//! request broke a promise (a 5xx, a refused live credential, an accepted logged-out one).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use keycard_bench::chart::{Panel, Series, render};
use keycard_bench::drill::client::Client;
use keycard_bench::drill::load::{Control, Pace, Worker};
use keycard_bench::drill::server::{KeycardProcess, ServerSpec};
use keycard_bench::drill::services::{PrivatePostgres, PrivateRedis};
use keycard_bench::drill::tally::{Op, Tally};
use keycard_bench::drill::{generous_limits, run_tag};
use keycard_bench::percentile;
use keycard_server::config::Mode;

/// Keycard under a fixed rate of mixed traffic for minutes, latency and memory sampled.
#[derive(Debug, Parser)]
struct Args {
    /// The `keycard` binary [default: `keycard` beside this program].
    #[arg(long)]
    keycard: Option<PathBuf>,
    /// The server's mode.
    #[arg(long, default_value = "hybrid")]
    mode: Mode,
    /// Stores: sqlite, postgres, redis (users in PostgreSQL, sessions in Redis), the
    /// last two private servers on loopback.
    #[arg(long, default_value = "sqlite")]
    stores: String,
    /// Minutes of traffic.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Requests per second, in all (a logout's immediate retry of the logged-out
    /// credential comes on top).
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// Clients sending at that rate together.
    #[arg(long, default_value_t = 16)]
    workers: usize,
    /// Seconds per sample.
    #[arg(long, default_value_t = 10)]
    window: u64,
    /// Write the chart here.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Write one line per window here.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// What one window measured.
struct Sample {
    /// Seconds since the start, at the window's end.
    at: f64,
    /// Resident memory of the server at the window's end, MiB.
    rss_mib: f64,
    /// The SQLite write-ahead log's size at the window's end, MiB (0 without SQLite).
    wal_mib: f64,
    /// (operation, p50 ms, p99 ms, requests) for each operation with requests.
    ops: Vec<(Op, f64, f64, usize)>,
}

const PLOTTED: [(Op, &str); 4] = [
    (Op::Me, "#2f6db5"),
    (Op::Refresh, "#d99a2b"),
    (Op::Logout, "#6b5ca5"),
    (Op::Login, "#c4523f"),
];

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("soak: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(soak(&args)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(violations) => {
            println!("{violations} violations");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("soak: {error}");
            ExitCode::from(2)
        }
    }
}

async fn soak(args: &Args) -> Result<u64, Box<dyn std::error::Error>> {
    let binary = args.keycard.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|me| me.parent().map(|dir| dir.join("keycard")))
            .unwrap_or_else(|| PathBuf::from("keycard"))
    });
    let (postgres, redis) = match args.stores.as_str() {
        "sqlite" => (None, None),
        "postgres" => (Some(PrivatePostgres::start().await?), None),
        "redis" => (
            Some(PrivatePostgres::start().await?),
            Some(PrivateRedis::start().await?),
        ),
        other => return Err(format!("--stores {other}: sqlite, postgres or redis").into()),
    };
    if let Some(postgres) = &postgres {
        postgres.create_database("keycard").await?;
    }
    let server = KeycardProcess::start(ServerSpec {
        binary,
        mode: args.mode,
        user_store: postgres.as_ref().map(|pg| pg.url("keycard")),
        session_store: redis.as_ref().map(PrivateRedis::url),
        extra: generous_limits(),
    })
    .await?;
    let pid = server.pid().ok_or("the server is not running")?;

    let windows = (args.minutes * 60).div_ceil(args.window.max(1));
    let names = (0..windows).map(|w| format!("window {w}")).collect();
    let tally = Arc::new(Tally::new(names));
    let control = Control::new();
    let tag = run_tag();
    let period = Duration::from_secs_f64(args.workers as f64 / args.rate.max(1) as f64);
    let mut workers = Vec::new();
    for id in 0..args.workers {
        let client = Client::new(&server.base(), args.mode);
        let mut worker = Worker::new(id, client, tally.clone(), control.clone(), &tag, false);
        worker.prepare().await?;
        workers.push(worker);
    }
    let running: Vec<_> = workers
        .into_iter()
        .map(|worker| tokio::spawn(worker.run(Pace::Every(period))))
        .collect();
    println!(
        "soak: {} mode on {}, {} req/s from {} clients for {} min, pid {pid}",
        args.mode, args.stores, args.rate, args.workers, args.minutes
    );

    let start = Instant::now();
    let mut samples = Vec::new();
    for window in 0..windows {
        control.set_phase(usize::try_from(window)?);
        tokio::time::sleep_until((start + Duration::from_secs((window + 1) * args.window)).into())
            .await;
        let rss_mib = resident_mib(pid)?;
        let wal_mib = wal_mib(server.data_dir());
        // Requests still in flight land in the next window; this one is complete enough.
        let ops = [
            Op::Me,
            Op::Sessions,
            Op::Refresh,
            Op::Login,
            Op::Logout,
            Op::Revoked,
        ]
        .into_iter()
        .filter_map(|op| {
            let latencies = tally.latencies(usize::try_from(window).ok()?, op);
            (!latencies.is_empty()).then(|| {
                (
                    op,
                    ms(percentile(&latencies, 0.5)),
                    ms(percentile(&latencies, 0.99)),
                    latencies.len(),
                )
            })
        })
        .collect();
        samples.push(Sample {
            at: start.elapsed().as_secs_f64(),
            rss_mib,
            wal_mib,
            ops,
        });
    }
    control.stop();
    for worker in running {
        let _ = worker.await;
    }

    print_minutes(&samples, args.window);
    print_flatness(&samples);
    if let Some(path) = &args.csv {
        std::fs::write(path, csv(&samples))?;
    }
    if let Some(path) = &args.svg {
        let title = format!(
            "Soak: {} mode, {}, {} req/s for {} min",
            args.mode, args.stores, args.rate, args.minutes
        );
        std::fs::write(path, chart(&title, &samples))?;
    }
    let violations = tally.violations();
    if violations > 0 {
        println!("\n{tally}");
    }
    Ok(violations)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `VmRSS` of process `pid`, in MiB.
fn resident_mib(pid: u32) -> Result<f64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or("no VmRSS in /proc/<pid>/status")?
        .parse()?;
    Ok(kib / 1024.0)
}

/// The size of the SQLite write-ahead log in `data_dir`, in MiB; 0 if there is none.
fn wal_mib(data_dir: &std::path::Path) -> f64 {
    let wal = data_dir.join(format!(
        "{}-wal",
        keycard_server::config::defaults::SQLITE_FILE
    ));
    std::fs::metadata(wal).map_or(0.0, |meta| meta.len() as f64 / (1024.0 * 1024.0))
}

fn p99_of(sample: &Sample, op: Op) -> Option<f64> {
    sample
        .ops
        .iter()
        .find(|(o, ..)| *o == op)
        .map(|(_, _, p99, _)| *p99)
}

/// One row per minute: the worst window's p99 per operation, requests, memory.
fn print_minutes(samples: &[Sample], window: u64) {
    let per_minute = usize::try_from((60 / window.max(1)).max(1)).unwrap_or(1);
    println!(
        "\n| minute | requests | me p99 | sessions p99 | refresh p99 | login p99 | logout p99 | RSS | WAL (largest) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (minute, chunk) in samples.chunks(per_minute).enumerate() {
        let worst = |op: Op| {
            chunk
                .iter()
                .filter_map(|s| p99_of(s, op))
                .fold(None, |acc: Option<f64>, v| {
                    Some(acc.map_or(v, |a| a.max(v)))
                })
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.1} ms"))
        };
        let requests: usize = chunk.iter().flat_map(|s| s.ops.iter().map(|o| o.3)).sum();
        let rss = chunk.last().map_or(0.0, |s| s.rss_mib);
        let wal = chunk.iter().map(|s| s.wal_mib).fold(0.0, f64::max);
        println!(
            "| {} | {requests} | {} | {} | {} | {} | {} | {rss:.1} MiB | {wal:.1} MiB |",
            minute + 1,
            worst(Op::Me),
            worst(Op::Sessions),
            worst(Op::Refresh),
            worst(Op::Login),
            worst(Op::Logout),
        );
    }
}

/// Whether the second half looks like the first: the median of each half's window p99
/// (`/v1/me`) and the memory growth over the second half.
fn print_flatness(samples: &[Sample]) {
    let half = samples.len() / 2;
    let median = |part: &[Sample]| {
        let mut values: Vec<f64> = part.iter().filter_map(|s| p99_of(s, Op::Me)).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let (first, second) = samples.split_at(half);
    let rss_mid = first.last().map_or(0.0, |s| s.rss_mib);
    let rss_end = second.last().map_or(0.0, |s| s.rss_mib);
    println!(
        "\n/v1/me p99 (median of the windows): first half {:.1} ms, second half {:.1} ms; RSS at half time {rss_mid:.1} MiB, at the end {rss_end:.1} MiB ({:+.1} MiB)",
        median(first),
        median(second),
        rss_end - rss_mid
    );
}

fn csv(samples: &[Sample]) -> String {
    let mut out = String::from("seconds,rss_mib,wal_mib,op,p50_ms,p99_ms,requests\n");
    for sample in samples {
        for (op, p50, p99, n) in &sample.ops {
            let _ = writeln!(
                out,
                "{:.1},{:.1},{:.2},{},{p50:.2},{p99:.2},{n}",
                sample.at,
                sample.rss_mib,
                sample.wal_mib,
                op.name()
            );
        }
    }
    out
}

fn chart(title: &str, samples: &[Sample]) -> String {
    let minutes = |s: &Sample| s.at / 60.0;
    let latency = PLOTTED
        .iter()
        .filter_map(|(op, colour)| {
            let points: Vec<(f64, f64)> = samples
                .iter()
                .filter_map(|s| p99_of(s, *op).map(|p99| (minutes(s), p99)))
                .collect();
            (!points.is_empty()).then(|| Series {
                name: format!("{} p99", op.name()),
                colour,
                points,
            })
        })
        .collect();
    let mut memory = vec![Series {
        name: "server RSS".into(),
        colour: "#333",
        points: samples.iter().map(|s| (minutes(s), s.rss_mib)).collect(),
    }];
    if samples.iter().any(|s| s.wal_mib > 0.0) {
        memory.push(Series {
            name: "SQLite WAL".into(),
            colour: "#8a8a8a",
            points: samples.iter().map(|s| (minutes(s), s.wal_mib)).collect(),
        });
    }
    render(
        title,
        "minutes",
        &[
            Panel {
                title: "p99 latency per 10 s window, from when each request was due".into(),
                unit: "ms".into(),
                series: latency,
            },
            Panel {
                title: "resident memory of keycard serve (and the SQLite WAL's size)".into(),
                unit: "MiB".into(),
                series: memory,
            },
        ],
    )
}
