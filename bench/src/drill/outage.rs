//! The outage drill: a store stopped under mixed load (Redis holding the sessions,
//! PostgreSQL holding everything, or PostgreSQL holding the users beside Redis), started
//! again, and the same server process serving again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keycard_server::config::Mode;

use super::client::Client;
use super::load::{Control, Pace, Worker};
use super::server::{KeycardProcess, ServerSpec};
use super::services::{PrivatePostgres, PrivateRedis};
use super::tally::{Expect, Outcome, Tally};
use super::{DrillError, generous_limits, run_tag};

/// Which store goes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// Users in PostgreSQL, sessions in Redis; Redis is killed.
    Redis,
    /// Everything in PostgreSQL; PostgreSQL is stopped.
    Postgres,
    /// Users in PostgreSQL, sessions in Redis; PostgreSQL is stopped.
    PostgresBesideRedis,
}

impl Down {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Postgres => "postgres",
            Self::PostgresBesideRedis => "postgres (users; sessions in redis)",
        }
    }
}

/// One outage drill.
#[derive(Clone, Debug)]
pub struct OutageSpec {
    /// The `keycard` binary.
    pub binary: std::path::PathBuf,
    /// The server's mode.
    pub mode: Mode,
    /// The store stopped.
    pub down: Down,
    /// Concurrent clients.
    pub workers: usize,
    /// Load before the outage.
    pub before: Duration,
    /// How long the store stays down.
    pub outage: Duration,
    /// Load once the server serves again.
    pub after: Duration,
}

/// The phases of an outage drill, in order.
pub const PHASES: [&str; 4] = ["before", "outage", "recovering", "after"];
const OUTAGE: usize = 1;
const RECOVERING: usize = 2;
const AFTER: usize = 3;
/// How long the server may take to serve again once the store is back.
const RECOVER_WITHIN: Duration = Duration::from_secs(60);
/// Between the first full success and the phase where every request must be served.
const SETTLE: Duration = Duration::from_secs(2);

/// What an outage drill found.
#[derive(Debug)]
pub struct OutageReport {
    /// Every request, by phase, operation and outcome.
    pub tally: Arc<Tally>,
    /// From the store's restart to the first login, `/v1/me` (and refresh) served.
    pub recovered_in: Duration,
    /// Broken promises: the tally's violations, plus one if the outage was not felt (no
    /// 503 while the store was down) or the server process changed.
    pub violations: u64,
    /// Problems beyond the tally's.
    pub notes: Vec<String>,
}

/// Runs one outage drill.
pub async fn outage(spec: &OutageSpec) -> Result<OutageReport, DrillError> {
    let postgres = PrivatePostgres::start().await?;
    postgres.create_database("keycard").await?;
    let mut redis = match spec.down {
        Down::Redis | Down::PostgresBesideRedis => Some(PrivateRedis::start().await?),
        Down::Postgres => None,
    };
    let server = KeycardProcess::start(ServerSpec {
        binary: spec.binary.clone(),
        mode: spec.mode,
        user_store: Some(postgres.url("keycard")),
        session_store: redis.as_ref().map(PrivateRedis::url),
        extra: generous_limits(),
    })
    .await?;
    let pid = server.pid();
    let tally = Arc::new(Tally::new(PHASES.map(str::to_owned).to_vec()));
    let control = Control::new();
    let tag = run_tag();
    let mut workers = Vec::new();
    for id in 0..spec.workers {
        let client = Client::new(&server.base(), spec.mode);
        let mut worker = Worker::new(id, client, tally.clone(), control.clone(), &tag, false);
        worker.prepare().await?;
        workers.push(tokio::spawn(worker.run(Pace::Flat)));
    }

    tokio::time::sleep(spec.before).await;
    control.set_expect(Expect::Degraded);
    control.set_phase(OUTAGE);
    match (spec.down, redis.as_mut()) {
        (Down::Redis, Some(redis)) => redis.stop()?,
        _ => postgres.stop()?,
    }
    tokio::time::sleep(spec.outage).await;
    match (spec.down, redis.as_mut()) {
        (Down::Redis, Some(redis)) => redis.resume().await?,
        _ => postgres.resume().await?,
    }
    control.set_phase(RECOVERING);
    let resumed = Instant::now();
    let probe = Client::new(&server.base(), spec.mode);
    let mut notes = Vec::new();
    let recovered_in = loop {
        if serves(&probe, &tag).await {
            break resumed.elapsed();
        }
        if resumed.elapsed() > RECOVER_WITHIN {
            notes.push(format!(
                "not serving {RECOVER_WITHIN:?} after the store came back"
            ));
            break resumed.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(SETTLE).await;
    control.set_expect(Expect::Up);
    control.set_phase(AFTER);
    tokio::time::sleep(spec.after).await;
    control.stop();
    for worker in workers {
        let _ = worker.await;
    }

    // A request sent just before the stop may be the one answered 503 (it counts in the
    // phase it was sent in); 503 is allowed only while the store is down, so any 503 at
    // all shows the outage was felt.
    if tally.count_everywhere(Outcome::Unavailable) == 0 {
        notes.push(
            "no request was answered 503 while the store was down: the outage was not felt".into(),
        );
    }
    if tally.count_all(AFTER, Outcome::Served) == 0 {
        notes.push("nothing was served after the recovery".into());
    }
    if server.pid() != pid {
        notes.push("the server process changed".into());
    }
    let violations = tally.violations() + notes.len() as u64;
    Ok(OutageReport {
        tally,
        recovered_in,
        violations,
        notes,
    })
}

/// Whether a new user can log in, read `/v1/me` and (hybrid) refresh.
async fn serves(client: &Client, tag: &str) -> bool {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let email = format!("probe-{n}-{tag}@drill.test");
    if !client.register(&email).await.ok() {
        return false;
    }
    let (answer, Some(mut credential)) = client.login(&email).await else {
        return false;
    };
    if !answer.ok() || !client.me(&credential).await.ok() {
        return false;
    }
    client.mode() != Mode::Hybrid || client.refresh(&mut credential).await.ok()
}
