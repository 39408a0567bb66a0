//! `keycard bench`: the trade-off between the modes, measured on the user's machine.
//!
//! Why a command and not only a script: the numbers that matter are the ratios on the
//! machine that will run Keycard (a session lookup against a signature check against an
//! unauthenticated route), and one command that needs nothing installed gets them. It
//! starts Keycard in each mode over each backend (or drives a running server with
//! `--target`), logs a user in, and drives every route with the built-in load generator
//! (`crate::bench::load`); then it times one verify per algorithm and one session lookup
//! per backend in process. It prints a table and can write the same as JSON and as an SVG
//! chart. `--target URL --get PATH` drives any server's route with the same generator, so
//! other stacks can be measured under identical settings (bench/peers/run.sh).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper::header::HeaderValue;
use keycard_core::{Algorithm, Clock as _, SystemClock};
use keycard_server::config::Mode;

use crate::bench::backend::{Backend, Locations};
use crate::bench::latency::rate;
use crate::bench::load::{self, Group, Plan};
use crate::bench::progress::Progress;
use crate::bench::report::{LoadSettings, Machine, Report, RouteResult};
use crate::bench::route::{Recipe, Route, parse_header};
use crate::bench::setup::{Keycard, host_header, resolve};
use crate::bench::stopwatch::{millis, parse_duration};
use crate::bench::{chart, server, store_cost, table, verify_cost};
use crate::dates;
use crate::failure::Failure;

/// Measure Keycard on this machine: requests per second and p50/p99 latency of /healthz,
/// /v1/auth/check, /v1/me, login and refresh in each mode and backend (Keycard started in
/// this process, login limits off), /v1/me during a login storm, and the in-process cost of
/// one token verify per algorithm and one session lookup per backend. Or drive a running
/// server with --target. Failures (any non-2xx answer) are reported, never counted as
/// throughput, and make the exit status 1.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Modes to start Keycard in.
    #[arg(long, value_delimiter = ',', default_value = "session,jwt,hybrid")]
    modes: Vec<Mode>,
    /// Stores, as USERS[+SESSIONS] from sqlite, memory, postgres, redis (sessions only),
    /// e.g. `sqlite,postgres+redis`.
    #[arg(long, value_delimiter = ',', default_value = "sqlite")]
    backends: Vec<String>,
    /// Store URL for users, keys and audit; with --session-store, replaces --backends.
    /// Give an empty database: the benchmark adds users and keys.
    #[arg(long, value_name = "URL")]
    user_store: Option<String>,
    /// Store URL for sessions and revocations; with --user-store, replaces --backends.
    #[arg(long, value_name = "URL")]
    session_store: Option<String>,
    /// PostgreSQL of the `postgres` backend (a fresh schema per server, dropped after).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Redis of the `redis` backend (a fresh key prefix per server).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Routes to drive: healthz, auth-check, me, login, refresh (hybrid mode only),
    /// me-during-logins (/v1/me while --storm-logins connections log in).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "healthz,auth-check,me,login,refresh,me-during-logins"
    )]
    routes: Vec<Route>,
    /// Drive the Keycard server at this URL instead of starting one; it must have its
    /// login limits off for the login routes. The benchmark registers a user there.
    #[arg(long, value_name = "URL")]
    target: Option<String>,
    /// With --target: drive `GET PATH` of any HTTP server instead of Keycard's routes.
    #[arg(long, value_name = "PATH", requires = "target")]
    get: Option<String>,
    /// With --get: a request header, `Name: value` (repeatable), e.g. a session cookie.
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        requires = "get"
    )]
    headers: Vec<String>,
    /// Measured time per route: 3s, 500ms, 1m.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    duration: Duration,
    /// Unreported warm-up before each route.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Keep-alive connections per route.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// OS threads of the load generator.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Connections logging in during me-during-logins.
    #[arg(long, default_value_t = 32)]
    storm_logins: usize,
    /// Algorithms of the in-process verify cost.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "HS256,HS384,HS512,RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA"
    )]
    algorithms: Vec<Algorithm>,
    /// Time spent on each in-process cost (one algorithm, one backend).
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    cost_time: Duration,
    /// Skip the in-process costs.
    #[arg(long)]
    no_costs: bool,
    /// Also write the results as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write a bar chart of the routes as SVG here.
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
}

/// Runs the benchmark, prints the table; exit status 1 if any route had failures.
pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(measure(&args))?;
    println!("{}", table::render(&report));
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    if let Some(path) = &args.chart {
        chart::write(&report, path)?;
    }
    if report.all_succeeded() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("bench: some routes had failures or no answers (see the table)");
        Ok(ExitCode::from(1))
    }
}

async fn measure(args: &Args) -> Result<Report, Failure> {
    let machine = Machine::here();
    let date = dates::utc(SystemClock.now());
    let tag = format!("{}_{}", std::process::id(), SystemClock.now().as_secs());
    let locations = Locations {
        postgres: args.postgres_url.clone(),
        redis: args.redis_url.clone(),
    };
    let backends = backends(args)?;
    let mut routes = Vec::new();
    match &args.target {
        Some(target) => {
            let (addr, host) = resolve(target).await?;
            let plan = plan(args, addr, host)?;
            if let Some(path) = &args.get {
                let headers = args
                    .headers
                    .iter()
                    .map(|text| parse_header(text))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(Failure::Input)?;
                let route = Route::Get(path.clone());
                let group = group(Recipe::get(path, headers), args.connections);
                let outcome = drive(&plan, &[group], &format!("{target} {path}"))
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                routes.push(result(
                    target,
                    None,
                    None,
                    &route,
                    args.connections,
                    args.duration,
                    outcome,
                ));
            } else {
                let keycard = Keycard::prepare(target, &format!("bench-{tag}@example.com")).await?;
                routes.extend(drive_keycard(args, &plan, &keycard, target, None).await?);
            }
        }
        None => {
            for (index, backend) in backends.iter().enumerate() {
                for mode in &args.modes {
                    let server_tag = format!("{tag}_{index}_{}", mode.name());
                    let server = server::start(*mode, backend, &locations, &server_tag).await?;
                    let measured = async {
                        let plan = plan(args, server.addr, host_header(&server.addr.to_string())?)?;
                        let keycard = Keycard::prepare(
                            &server.base(),
                            &format!("bench-{server_tag}@example.com"),
                        )
                        .await?;
                        drive_keycard(args, &plan, &keycard, "in-process", Some(backend.name()))
                            .await
                    }
                    .await;
                    server.stop().await;
                    routes.extend(measured?);
                }
            }
        }
    }
    let measure_costs = !args.no_costs && args.get.is_none();
    let verify = if measure_costs {
        eprintln!("bench: one verify per algorithm, in process");
        verify_cost::measure(&args.algorithms, args.cost_time)?
    } else {
        Vec::new()
    };
    let store_lookup = if measure_costs && args.target.is_none() {
        eprintln!("bench: one session lookup per backend, in process");
        store_cost::measure(&backends, &locations, &tag, args.cost_time).await?
    } else {
        Vec::new()
    };
    Ok(Report {
        keycard_version: env!("CARGO_PKG_VERSION"),
        date,
        machine,
        load: LoadSettings {
            connections: args.connections,
            threads: args.threads,
            warmup_ms: millis(args.warmup),
            duration_ms: millis(args.duration),
            storm_logins: args.storm_logins,
        },
        routes,
        verify,
        store_lookup,
    })
}

/// Every route of one Keycard server that exists in its mode, in order.
async fn drive_keycard(
    args: &Args,
    plan: &Plan,
    keycard: &Keycard,
    target: &str,
    backend: Option<&str>,
) -> Result<Vec<RouteResult>, Failure> {
    let mode = keycard.mode.name();
    let mut results: Vec<RouteResult> = Vec::new();
    for route in args.routes.iter().filter(|route| keycard.has(route)) {
        let label = format!("{mode} {} {}", backend.unwrap_or(target), route.label());
        let mut me = group(keycard.recipe(route), args.connections);
        let mut result = match route {
            Route::MeDuringLogins => {
                let logins = group(keycard.recipe(&Route::Login), args.storm_logins);
                let mut outcomes = drive(plan, &[me, logins], &label).await?.into_iter();
                let (me, logins) = (outcomes.next(), outcomes.next());
                let me = me.unwrap_or_default();
                let logins_per_sec = logins.map(|logins| rate(logins.ok, plan.duration));
                let mut result = result(
                    target,
                    Some(mode),
                    backend,
                    route,
                    args.connections,
                    args.duration,
                    me,
                );
                result.logins_per_sec = logins_per_sec;
                result
            }
            _ => {
                if *route == Route::Refresh {
                    me.cookies = keycard.refresh_cookies(args.connections).await?;
                }
                let outcome = drive(plan, &[me], &label)
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                result(
                    target,
                    Some(mode),
                    backend,
                    route,
                    args.connections,
                    args.duration,
                    outcome,
                )
            }
        };
        let find = |name: &str| results.iter().find(|earlier| earlier.route == name);
        if *route == Route::Healthz {
            result.vs_healthz = Some(1.0);
        } else if let Some(healthz) = find("healthz").filter(|healthz| healthz.req_per_sec > 0.0) {
            result.vs_healthz = Some(result.req_per_sec / healthz.req_per_sec);
        }
        if *route == Route::MeDuringLogins
            && let Some(idle) = find("me").filter(|idle| idle.latency.p99_us > 0.0)
        {
            result.p99_vs_idle = Some(result.latency.p99_us / idle.latency.p99_us);
        }
        results.push(result);
    }
    Ok(results)
}

/// One measurement: the groups driven together, with a progress bar and a summary line.
async fn drive(plan: &Plan, groups: &[Group], label: &str) -> Result<Vec<load::Outcome>, Failure> {
    let outcomes = load::run(plan, groups, &Progress::new(label)).await?;
    if let Some(first) = outcomes.first() {
        eprintln!(
            "bench: {label}: {} req/s, {} failures",
            table::thousands(rate(first.ok, plan.duration)),
            first.failures()
        );
    }
    Ok(outcomes)
}

fn group(recipe: Recipe, connections: usize) -> Group {
    Group {
        recipe: Arc::new(recipe),
        connections,
        cookies: Vec::new(),
    }
}

fn result(
    target: &str,
    mode: Option<&str>,
    backend: Option<&str>,
    route: &Route,
    connections: usize,
    duration: Duration,
    outcome: load::Outcome,
) -> RouteResult {
    let mut failed_statuses: std::collections::BTreeMap<String, u64> = outcome
        .failed_statuses
        .iter()
        .map(|(status, count)| (status.to_string(), *count))
        .collect();
    if outcome.errors > 0 {
        failed_statuses.insert("error".into(), outcome.errors);
    }
    let failures = outcome.failures();
    RouteResult {
        target: target.to_owned(),
        mode: mode.map(str::to_owned),
        backend: backend.map(str::to_owned),
        route: route.name().to_owned(),
        request: route.label(),
        connections,
        requests: outcome.ok,
        failures,
        failed_statuses,
        first_error: outcome.first_error,
        req_per_sec: rate(outcome.ok, duration),
        latency: outcome.latencies.summary(),
        vs_healthz: None,
        p99_vs_idle: None,
        logins_per_sec: None,
    }
}

fn backends(args: &Args) -> Result<Vec<Backend>, Failure> {
    if args.user_store.is_some() || args.session_store.is_some() {
        return Ok(vec![Backend::custom(
            args.user_store.clone(),
            args.session_store.clone(),
        )]);
    }
    args.backends
        .iter()
        .map(|name| Backend::parse(name).map_err(Failure::Input))
        .collect()
}

fn plan(args: &Args, addr: SocketAddr, host: HeaderValue) -> Result<Plan, Failure> {
    if args.connections == 0 || args.duration.is_zero() {
        return Err(Failure::Input(
            "--connections and --duration must be more than 0".into(),
        ));
    }
    Ok(Plan {
        addr,
        host,
        threads: args.threads,
        warmup: args.warmup,
        duration: args.duration,
    })
}
