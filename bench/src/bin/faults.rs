//! Fault drills against a real `keycard serve` under mixed load (see `keycard_bench::drill`):
//!
//! ```text
//! cargo build --release -p keycard-cli -p keycard-bench
//! target/release/faults outage               # Redis, then PostgreSQL, down in each mode
//! target/release/faults crash                # kill -9 on SQLite, PostgreSQL, PostgreSQL + Redis
//! target/release/faults slow-headers         # slow-header attackers past the connection limit
//! target/release/faults slow-headers --per-address 0   # the same without the per-address limit
//! ```
//! `bench/faults/run.sh` runs all three at length. Each prints a Markdown table, the
//! details of any violation, and exits 1 if there was one. The stores are private
//! PostgreSQL and Redis servers on loopback in scratch directories (`initdb`, `pg_ctl`
//! and `redis-server` must be installed); the server is the `keycard` binary beside this
//! one unless `--keycard` says otherwise.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use keycard_bench::drill::crash::{CrashSpec, Stores, crash};
use keycard_bench::drill::outage::{Down, OutageSpec, outage};
use keycard_bench::drill::slow::{SlowSpec, slow_headers};
use keycard_bench::drill::tally::{Op, Outcome, Tally};
use keycard_bench::percentile;
use keycard_server::config::Mode;

/// Keycard under load while its stores fail or it is killed.
#[derive(Debug, Parser)]
struct Args {
    /// The `keycard` binary [default: `keycard` beside this program].
    #[arg(long, global = true)]
    keycard: Option<PathBuf>,
    /// Modes to drill.
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "session,jwt,hybrid"
    )]
    modes: Vec<Mode>,
    /// Concurrent clients.
    #[arg(long, global = true, default_value_t = 8)]
    workers: usize,
    /// Print every run's full table, not only those with violations.
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    drill: Drill,
}

#[derive(Debug, Subcommand)]
enum Drill {
    /// A store stopped under load and started again.
    Outage {
        /// The stores to stop: redis (sessions in Redis), postgres (everything in it),
        /// postgres-users (users in PostgreSQL, sessions in Redis).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "redis,postgres,postgres-users"
        )]
        down: Vec<String>,
        /// Seconds of load before the outage.
        #[arg(long, default_value_t = 10)]
        before: u64,
        /// Seconds the store stays down.
        #[arg(long, default_value_t = 15)]
        outage: u64,
        /// Seconds of load after the recovery.
        #[arg(long, default_value_t = 10)]
        after: u64,
    },
    /// The server killed with SIGKILL under load and started again.
    Crash {
        /// Stores: sqlite, postgres, redis (users in PostgreSQL, sessions in Redis).
        #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres,redis")]
        stores: Vec<String>,
        /// Kills per run.
        #[arg(long, default_value_t = 5)]
        kills: usize,
        /// Seconds of load before each kill.
        #[arg(long, default_value_t = 10)]
        load: u64,
    },
    /// Slow-header attackers holding every connection while clients are served.
    SlowHeaders {
        /// The server's connection limit.
        #[arg(long, default_value_t = 64)]
        max_connections: usize,
        /// Attacking connections (more than the limit).
        #[arg(long, default_value_t = 256)]
        attackers: usize,
        /// The server's header read timeout, in seconds.
        #[arg(long, default_value_t = 2)]
        header_read_timeout: u64,
        /// The server's per-address connection limit (0: off). The attackers share one
        /// address, the clients another: more than twice the clients, since a client's
        /// closed connection may still count while its next one is accepted.
        #[arg(long, default_value_t = 16)]
        per_address: usize,
        /// Seconds of load without the attack, then with it.
        #[arg(long, default_value_t = 15)]
        each: u64,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let binary = args.keycard.clone().unwrap_or_else(beside_me);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("faults: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&args, binary)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(violations) => {
            println!("\n{violations} violations");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("faults: {error}");
            ExitCode::from(2)
        }
    }
}

/// `keycard` in this program's directory (`target/<profile>/`).
fn beside_me() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|dir| dir.join("keycard")))
        .unwrap_or_else(|| PathBuf::from("keycard"))
}

async fn run(args: &Args, binary: PathBuf) -> Result<u64, Box<dyn std::error::Error>> {
    let mut violations = 0;
    match &args.drill {
        Drill::Outage {
            down,
            before,
            outage: seconds,
            after,
        } => {
            println!(
                "| store stopped | mode | requests | 503 while down | slowest answer while down | recovered in | violations |"
            );
            println!("|---|---|---:|---:|---:|---:|---:|");
            for down in down {
                let down = match down.as_str() {
                    "redis" => Down::Redis,
                    "postgres" => Down::Postgres,
                    "postgres-users" => Down::PostgresBesideRedis,
                    other => {
                        return Err(
                            format!("--down {other}: redis, postgres or postgres-users").into()
                        );
                    }
                };
                for &mode in &args.modes {
                    let report = outage(&OutageSpec {
                        binary: binary.clone(),
                        mode,
                        down,
                        workers: args.workers,
                        before: Duration::from_secs(*before),
                        outage: Duration::from_secs(*seconds),
                        after: Duration::from_secs(*after),
                    })
                    .await?;
                    println!(
                        "| {} | {mode} | {} | {} | {:.1} s | {:.1} s | {} |",
                        down.name(),
                        report.tally.total(),
                        report.tally.count_everywhere(Outcome::Unavailable),
                        report.tally.slowest(1).as_secs_f64(),
                        report.recovered_in.as_secs_f64(),
                        report.violations
                    );
                    details(&report.tally, report.violations, args.verbose);
                    for note in &report.notes {
                        println!("  - {note}");
                    }
                    violations += report.violations;
                }
            }
        }
        Drill::Crash {
            stores,
            kills,
            load,
        } => {
            println!(
                "| stores | mode | kills | requests | cut off | users | sessions | logouts | families (cut off) | violations |"
            );
            println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for stores in stores {
                let stores = match stores.as_str() {
                    "sqlite" => Stores::Sqlite,
                    "postgres" => Stores::Postgres,
                    "redis" => Stores::Redis,
                    other => {
                        return Err(format!("--stores {other}: sqlite, postgres or redis").into());
                    }
                };
                for &mode in &args.modes {
                    let report = crash(&CrashSpec {
                        binary: binary.clone(),
                        mode,
                        stores,
                        workers: args.workers,
                        kills: *kills,
                        load: Duration::from_secs(*load),
                    })
                    .await?;
                    let c = &report.checked;
                    println!(
                        "| {} | {mode} | {kills} | {} | {} | {} | {} | {} | {} ({}) | {} |",
                        stores.name(),
                        report.tally.total(),
                        c.cut_off,
                        c.users,
                        c.sessions,
                        c.logouts,
                        c.families,
                        c.cut_off_rotations,
                        report.violations
                    );
                    details(&report.tally, report.violations, args.verbose);
                    violations += report.violations;
                }
            }
        }
        Drill::SlowHeaders {
            max_connections,
            attackers,
            header_read_timeout,
            per_address,
            each,
        } => {
            println!(
                "| mode | per address | /v1/me p50 quiet | p99 quiet | p50 under attack | p99 under attack | attackers cut | refused when accepted | longest hold | violations |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for &mode in &args.modes {
                let report = slow_headers(&SlowSpec {
                    binary: binary.clone(),
                    mode,
                    max_connections: *max_connections,
                    header_read_timeout: *header_read_timeout,
                    per_address: Some(*per_address),
                    attackers: *attackers,
                    workers: args.workers,
                    each: Duration::from_secs(*each),
                })
                .await?;
                let quiet = report.tally.latencies(0, Op::Me);
                let attacked = report.tally.latencies(1, Op::Me);
                let ms = |all: &[Duration], p: f64| {
                    if all.is_empty() {
                        "-".to_owned()
                    } else {
                        format!("{:.1} ms", percentile(all, p).as_secs_f64() * 1000.0)
                    }
                };
                let per_address = match per_address {
                    0 => "off".to_owned(),
                    n => n.to_string(),
                };
                println!(
                    "| {mode} | {per_address} | {} | {} | {} | {} | {} | {} | {:.1} s | {} |",
                    ms(&quiet, 0.5),
                    ms(&quiet, 0.99),
                    ms(&attacked, 0.5),
                    ms(&attacked, 0.99),
                    report.attackers_cut,
                    report.attackers_refused,
                    report.longest_hold_ms as f64 / 1000.0,
                    report.violations
                );
                details(&report.tally, report.violations, args.verbose);
                violations += report.violations;
            }
        }
    }
    Ok(violations)
}

fn details(tally: &Tally, violations: u64, verbose: bool) {
    if violations > 0 || verbose {
        println!("\n{tally}");
    }
}
