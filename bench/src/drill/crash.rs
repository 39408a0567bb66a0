//! The crash drill: `keycard serve` killed with SIGKILL under mixed load, started again on
//! the same stores, and everything the clients were told checked against what it serves.
//!
//! After each restart, in this order (the refresh grace window runs from the kill):
//! 1. every refresh family (hybrid): the last refresh token the client was given must
//!    rotate; so must one whose rotation the kill cut off (the store may hold its
//!    successor, which the grace window hands out again);
//! 2. every live credential: `GET /v1/sessions` lists the caller's own session;
//! 3. every acknowledged logout: the credential is refused;
//! 4. every acknowledged registration: the user logs in.

use std::sync::Arc;
use std::time::Duration;

use keycard_server::config::Mode;

use super::client::{Answer, Client};
use super::load::{Control, Ledger, Pace, Worker};
use super::server::{KeycardProcess, ServerSpec};
use super::services::{PrivatePostgres, PrivateRedis};
use super::tally::{Expect, Op, Outcome, Tally, classify};
use super::{DrillError, generous_limits, run_tag};

/// Where the server keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stores {
    /// The embedded default: one SQLite file.
    Sqlite,
    /// Everything in PostgreSQL.
    Postgres,
    /// Users in PostgreSQL, sessions in Redis.
    Redis,
}

impl Stores {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Redis => "postgres+redis",
        }
    }
}

/// One crash drill.
#[derive(Clone, Debug)]
pub struct CrashSpec {
    /// The `keycard` binary.
    pub binary: std::path::PathBuf,
    /// The server's mode.
    pub mode: Mode,
    /// The stores.
    pub stores: Stores,
    /// Concurrent clients.
    pub workers: usize,
    /// Kills (each followed by a restart and the checks).
    pub kills: usize,
    /// Load before each kill.
    pub load: Duration,
}

/// What was checked after the restarts, summed over every kill.
#[derive(Debug, Default)]
pub struct Checked {
    /// Refresh families rotated with the last token their client was given.
    pub families: u64,
    /// Of those, families whose last rotation the kill cut off.
    pub cut_off_rotations: u64,
    /// Live credentials whose session was listed.
    pub sessions: u64,
    /// Logged-out credentials refused.
    pub logouts: u64,
    /// Registered users who logged in.
    pub users: u64,
    /// Requests the kills cut off (their outcome unknown to the client, so not checked
    /// except refreshes).
    pub cut_off: u64,
}

/// What a crash drill found.
#[derive(Debug)]
pub struct CrashReport {
    /// Every request, by phase (`load N`, `check N`), operation and outcome.
    pub tally: Arc<Tally>,
    /// What the checks covered.
    pub checked: Checked,
    /// Broken promises.
    pub violations: u64,
}

/// Runs one crash drill.
pub async fn crash(spec: &CrashSpec) -> Result<CrashReport, DrillError> {
    let postgres = match spec.stores {
        Stores::Sqlite => None,
        Stores::Postgres | Stores::Redis => {
            let postgres = PrivatePostgres::start().await?;
            postgres.create_database("keycard").await?;
            Some(postgres)
        }
    };
    let redis = match spec.stores {
        Stores::Redis => Some(PrivateRedis::start().await?),
        _ => None,
    };
    let mut server = KeycardProcess::start(ServerSpec {
        binary: spec.binary.clone(),
        mode: spec.mode,
        user_store: postgres.as_ref().map(|pg| pg.url("keycard")),
        session_store: redis.as_ref().map(PrivateRedis::url),
        extra: generous_limits(),
    })
    .await?;

    let phases = (1..=spec.kills)
        .flat_map(|n| [format!("load {n}"), format!("check {n}")])
        .collect();
    let tally = Arc::new(Tally::new(phases));
    let tag = run_tag();
    let mut workers = Vec::new();
    let mut control = Control::new();
    for id in 0..spec.workers {
        let client = Client::new(&server.base(), spec.mode);
        let mut worker = Worker::new(id, client, tally.clone(), control.clone(), &tag, true);
        worker.prepare().await?;
        workers.push(worker);
    }
    let mut checked = Checked::default();
    for kill in 0..spec.kills {
        let load_phase = 2 * kill;
        control.set_phase(load_phase);
        let running: Vec<_> = workers
            .into_iter()
            .map(|worker| tokio::spawn(worker.run(Pace::Flat)))
            .collect();
        tokio::time::sleep(spec.load).await;
        // Workers stop after the request they are sending, which the kill cuts off.
        control.set_expect(Expect::Killing);
        control.stop();
        server.kill()?;
        workers = Vec::new();
        for worker in running {
            workers.push(
                worker
                    .await
                    .map_err(|e| DrillError::new(format!("a worker panicked: {e}")))?,
            );
        }
        server.restart().await?;
        let client = Client::new(&server.base(), spec.mode);
        for worker in &mut workers {
            check(
                &client,
                worker.ledger_mut(),
                &tally,
                load_phase + 1,
                &mut checked,
            )
            .await;
        }
        // The next round of load, with a fresh control.
        control = Control::new();
        workers = workers
            .into_iter()
            .map(|worker| worker.with_control(control.clone()))
            .collect();
    }
    let violations = tally.violations();
    Ok(CrashReport {
        tally,
        checked,
        violations,
    })
}

/// Checks one worker's ledger against the restarted server, and clears what the kill cut
/// off (the load continues from what the checks established).
async fn check(
    client: &Client,
    ledger: &mut Ledger,
    tally: &Tally,
    phase: usize,
    checked: &mut Checked,
) {
    let record = |op: Op, answer: &Answer, what: &str| {
        let outcome = classify(op, answer, Expect::Up);
        tally.record(phase, op, outcome, Duration::ZERO, || {
            format!(
                "{what}: status {:?} {}",
                answer.status,
                answer.error.as_deref().unwrap_or("")
            )
        });
        outcome
    };
    checked.cut_off += ledger.cut_off.len() as u64;
    // 1. Families first: a cut-off rotation is recoverable only within the grace window.
    if client.mode() == Mode::Hybrid {
        for (index, account) in ledger.accounts.iter_mut().enumerate() {
            let mut kept = Vec::new();
            for mut credential in std::mem::take(&mut account.live) {
                let was_cut_off = ledger.cut_off.iter().any(|cut| {
                    cut.op == Op::Refresh
                        && cut.account == index
                        && cut.credential.as_ref() == Some(&credential)
                });
                let answer = client.refresh(&mut credential).await;
                let what = if was_cut_off {
                    "the family whose rotation the kill cut off does not rotate"
                } else {
                    "the last acknowledged refresh token does not rotate"
                };
                if record(Op::Refresh, &answer, what) == Outcome::Served {
                    checked.families += 1;
                    checked.cut_off_rotations += u64::from(was_cut_off);
                    kept.push(credential);
                }
            }
            account.live = kept;
        }
    }
    ledger.cut_off.clear();
    // 2. Sessions.
    for account in &mut ledger.accounts {
        let mut kept = Vec::new();
        for credential in std::mem::take(&mut account.live) {
            let (mut answer, listed) = client.own_session_listed(&credential).await;
            if answer.ok() && !listed {
                answer.status = Some(401);
            }
            if record(Op::Sessions, &answer, "an acknowledged session is gone") == Outcome::Served {
                checked.sessions += 1;
                kept.push(credential);
            }
        }
        account.live = kept;
    }
    // 3. Logouts.
    for account in &ledger.accounts {
        for credential in &account.revoked {
            let answer = client.me(credential).await;
            record(Op::Revoked, &answer, "an acknowledged logout was lost");
            checked.logouts += 1;
        }
    }
    // 4. Users, and a fresh session for each, so the next round has credentials.
    for account in &mut ledger.accounts {
        let (answer, credential) = client.login(&account.email).await;
        if record(Op::Login, &answer, "an acknowledged user cannot log in") == Outcome::Served {
            checked.users += 1;
        }
        if let Some(credential) = credential.filter(|_| account.live.len() < 5) {
            account.live.push(credential);
        }
    }
}
