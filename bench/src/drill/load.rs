//! The drills' mixed load: workers, each with accounts of its own, that register, log in,
//! read `/v1/me` and `/v1/sessions`, refresh (hybrid), log out and then try the logged-out
//! credential again, and remember what the server acknowledged: the ledger a crash drill
//! checks after the restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use keycard_server::config::Mode;

use super::client::{Answer, Client, Credential};
use super::tally::{Expect, Op, Outcome, Tally, classify};

/// Live credentials one account holds at most (well under `max_sessions_per_user`, so no
/// session is ended by the cap).
const MAX_LIVE: usize = 5;
/// Logged-out credentials each account keeps probing.
const MAX_REVOKED: usize = 20;

/// What the drill tells its workers: the phase to count requests in, what to expect of
/// the stores, and when to stop.
#[derive(Debug, Default)]
pub struct Control {
    phase: AtomicUsize,
    expect: AtomicU8,
    stop: AtomicBool,
}

impl Control {
    /// A control in phase 0 expecting every store up.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Counts the requests sent from now on in `phase`.
    pub fn set_phase(&self, phase: usize) {
        self.phase.store(phase, Ordering::SeqCst);
    }

    /// What the stores do from now on.
    pub fn set_expect(&self, expect: Expect) {
        let value = match expect {
            Expect::Up => 0,
            Expect::Degraded => 1,
            Expect::Killing => 2,
        };
        self.expect.store(value, Ordering::SeqCst);
    }

    /// Asks every worker to stop after its current request.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn expect(&self) -> Expect {
        match self.expect.load(Ordering::SeqCst) {
            0 => Expect::Up,
            1 => Expect::Degraded,
            _ => Expect::Killing,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// One user of a worker and what the server acknowledged about it.
#[derive(Clone, Debug)]
pub struct Account {
    /// Its email (the password is [`super::client::PASSWORD`]).
    pub email: String,
    /// Credentials whose login (and every refresh since) was acknowledged, never logged out.
    pub live: Vec<Credential>,
    /// Credentials whose logout was acknowledged.
    pub revoked: Vec<Credential>,
}

impl Account {
    fn new(email: String) -> Self {
        Self {
            email,
            live: Vec::new(),
            revoked: Vec::new(),
        }
    }
}

/// What a request the kill cut off was doing.
#[derive(Clone, Debug)]
pub struct CutOff {
    /// The operation.
    pub op: Op,
    /// Its account, by index into the ledger's accounts.
    pub account: usize,
    /// The credential it presented.
    pub credential: Option<Credential>,
}

/// A worker's accounts and what was cut off when the server was killed.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Every account whose registration was acknowledged.
    pub accounts: Vec<Account>,
    /// Requests cut off by the kill (at most one per worker and kill).
    pub cut_off: Vec<CutOff>,
    /// Credentials dropped because the outcome of their logout is unknown (a 503 or a
    /// cut-off answer).
    pub uncertain: usize,
}

/// How a worker sends its requests.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// Back to back.
    Flat,
    /// One request per period, latency counted from when it was due (so a server that
    /// falls behind shows it).
    Every(Duration),
}

/// One worker of the mixed load.
#[derive(Debug)]
pub struct Worker {
    id: usize,
    client: Client,
    tally: Arc<Tally>,
    control: Arc<Control>,
    /// Whether it registers new accounts as it goes.
    registers: bool,
    ledger: Ledger,
    random: u64,
    emails: usize,
    tag: String,
}

impl Worker {
    /// A worker whose accounts' emails are `w<id>-<n>-<tag>@drill.test`.
    pub fn new(
        id: usize,
        client: Client,
        tally: Arc<Tally>,
        control: Arc<Control>,
        tag: &str,
        registers: bool,
    ) -> Self {
        Self {
            id,
            client,
            tally,
            control,
            registers,
            ledger: Ledger::default(),
            random: 0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            emails: 0,
            tag: tag.to_owned(),
        }
    }

    /// Registers the worker's first account; fails if the server does not acknowledge it.
    pub async fn prepare(&mut self) -> Result<(), super::DrillError> {
        let email = self.next_email();
        let answer = self.client.register(&email).await;
        if !answer.is(201) {
            return Err(super::DrillError::new(format!(
                "registering {email} answered {answer:?}"
            )));
        }
        self.ledger.accounts.push(Account::new(email));
        Ok(())
    }

    /// Sends requests until the control says stop; returns the worker with its ledger.
    pub async fn run(mut self, pace: Pace) -> Self {
        let mut ticks = match pace {
            Pace::Flat => None,
            Pace::Every(period) => {
                let mut ticks = tokio::time::interval(period);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                Some(ticks)
            }
        };
        while !self.control.stopped() {
            let due = match ticks.as_mut() {
                Some(ticks) => ticks.tick().await.into_std(),
                None => Instant::now(),
            };
            if self.control.stopped() {
                break;
            }
            self.step(due).await;
        }
        self
    }

    /// The worker, answering to `control` from now on.
    #[must_use]
    pub fn with_control(mut self, control: Arc<Control>) -> Self {
        self.control = control;
        self
    }

    /// The worker's ledger, to continue after a restart.
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// One request, chosen at random among what the worker's state allows.
    async fn step(&mut self, due: Instant) {
        let account = (self.next_random() as usize) % self.ledger.accounts.len().max(1);
        let Some(state) = self.ledger.accounts.get(account) else {
            return;
        };
        let live = state.live.len();
        let has_revoked = !state.revoked.is_empty();
        let roll = self.next_random() % 100;
        let op = match roll {
            _ if live == 0 => Op::Login,
            0 if self.registers => Op::Register,
            0..=12 if live < MAX_LIVE => Op::Login,
            0..=19 if live > 1 => Op::Logout,
            20..=29 if has_revoked => Op::Revoked,
            30..=44 if self.client.mode() == Mode::Hybrid => Op::Refresh,
            45..=54 => Op::Sessions,
            _ => Op::Me,
        };
        let pick = (self.next_random() as usize) % live.max(1);
        match op {
            Op::Register => self.register(due).await,
            Op::Login => self.login(account, due).await,
            Op::Me | Op::Sessions => self.read(op, account, pick, due).await,
            Op::Refresh => self.refresh(account, pick, due).await,
            Op::Logout => self.logout(account, pick, due).await,
            Op::Revoked => {
                let which = self.next_random() as usize;
                let revoked = &self.ledger.accounts[account].revoked;
                let credential = revoked[which % revoked.len()].clone();
                self.probe(credential, due).await;
            }
        }
    }

    async fn register(&mut self, due: Instant) {
        let email = self.next_email();
        let (phase, before) = self.phase();
        let answer = self.client.register(&email).await;
        let outcome = self.count(Op::Register, phase, before, &answer, due, None);
        if answer.is(201) {
            self.ledger.accounts.push(Account::new(email));
        } else if outcome == Outcome::InFlightAtKill {
            self.cut_off(Op::Register, self.ledger.accounts.len(), None);
        }
    }

    async fn login(&mut self, account: usize, due: Instant) {
        let (phase, before) = self.phase();
        let email = self.ledger.accounts[account].email.clone();
        let (answer, credential) = self.client.login(&email).await;
        let outcome = self.count(Op::Login, phase, before, &answer, due, None);
        if let Some(credential) = credential {
            self.ledger.accounts[account].live.push(credential);
        } else if outcome == Outcome::InFlightAtKill {
            self.cut_off(Op::Login, account, None);
        }
    }

    async fn read(&mut self, op: Op, account: usize, pick: usize, due: Instant) {
        let credential = self.ledger.accounts[account].live[pick].clone();
        let (phase, before) = self.phase();
        let (mut answer, listed) = if op == Op::Sessions {
            self.client.own_session_listed(&credential).await
        } else {
            (self.client.me(&credential).await, true)
        };
        let mut detail = None;
        if answer.ok() && !listed {
            // A 2xx whose list lacks the caller's session: the session is gone.
            answer.status = Some(401);
            detail = Some("200 without the caller's own session in the list".to_owned());
        }
        let outcome = self.count(op, phase, before, &answer, due, detail);
        if outcome == Outcome::LiveRefused {
            // Counted once; the credential is no longer used.
            self.ledger.accounts[account].live.remove(pick);
        }
    }

    async fn refresh(&mut self, account: usize, pick: usize, due: Instant) {
        let mut credential = self.ledger.accounts[account].live[pick].clone();
        let presented = credential.clone();
        let (phase, before) = self.phase();
        let answer = self.client.refresh(&mut credential).await;
        let outcome = self.count(Op::Refresh, phase, before, &answer, due, None);
        match outcome {
            Outcome::Served => self.ledger.accounts[account].live[pick] = credential,
            Outcome::LiveRefused => {
                self.ledger.accounts[account].live.remove(pick);
            }
            Outcome::InFlightAtKill => self.cut_off(Op::Refresh, account, Some(presented)),
            // A 503 or an error rotated nothing the client saw: it presents the same token
            // again later, as a client retries.
            _ => {}
        }
    }

    async fn logout(&mut self, account: usize, pick: usize, due: Instant) {
        let credential = self.ledger.accounts[account].live.remove(pick);
        let (phase, before) = self.phase();
        let answer = self.client.logout(&credential).await;
        let outcome = self.count(Op::Logout, phase, before, &answer, due, None);
        if answer.ok() {
            let revoked = &mut self.ledger.accounts[account].revoked;
            revoked.push(credential.clone());
            if revoked.len() > MAX_REVOKED {
                revoked.remove(0);
            }
            // Logged out means logged out now: the very next request is refused.
            self.probe(credential, Instant::now()).await;
        } else {
            self.ledger.uncertain += 1;
            if outcome == Outcome::InFlightAtKill {
                self.cut_off(Op::Logout, account, Some(credential));
            }
        }
    }

    async fn probe(&mut self, credential: Credential, due: Instant) {
        let (phase, before) = self.phase();
        let answer = self.client.me(&credential).await;
        self.count(Op::Revoked, phase, before, &answer, due, None);
    }

    /// The phase and expectation when a request is sent.
    fn phase(&self) -> (usize, Expect) {
        (
            self.control.phase.load(Ordering::SeqCst),
            self.control.expect(),
        )
    }

    /// Classifies and counts an answer, with the more lenient of the expectations at send
    /// and at answer (a store that went down while the request was in flight may fail it).
    fn count(
        &self,
        op: Op,
        phase: usize,
        before: Expect,
        answer: &Answer,
        due: Instant,
        detail: Option<String>,
    ) -> Outcome {
        let after = self.control.expect();
        let expect = if before == Expect::Killing || after == Expect::Killing {
            Expect::Killing
        } else if before == Expect::Degraded || after == Expect::Degraded {
            Expect::Degraded
        } else {
            Expect::Up
        };
        let outcome = classify(op, answer, expect);
        let worker = self.id;
        self.tally.record(phase, op, outcome, due.elapsed(), || {
            let detail = detail.unwrap_or_default();
            format!(
                "worker {worker}: status {:?}, Retry-After {}, {} {detail}",
                answer.status,
                answer.retry_after,
                answer.error.as_deref().unwrap_or("")
            )
        });
        outcome
    }

    fn cut_off(&mut self, op: Op, account: usize, credential: Option<Credential>) {
        self.ledger.cut_off.push(CutOff {
            op,
            account,
            credential,
        });
    }

    fn next_email(&mut self) -> String {
        self.emails += 1;
        format!("w{}-{}-{}@drill.test", self.id, self.emails, self.tag)
    }

    /// xorshift64*: enough to pick operations; the drills need no secrecy.
    fn next_random(&mut self) -> u64 {
        let mut x = self.random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
