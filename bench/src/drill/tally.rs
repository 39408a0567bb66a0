//! What the drills count: each request's operation, what came of it, and in which phase of
//! the drill it was sent; the outcomes that break a promise are violations, and the first
//! few of each are kept with their details.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use super::client::Answer;

/// What a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// `POST /v1/users`.
    Register,
    /// `POST /v1/login`.
    Login,
    /// `GET /v1/me` with a live credential.
    Me,
    /// `GET /v1/sessions` with a live credential.
    Sessions,
    /// `POST /v1/token/refresh` with the last refresh token a client was given.
    Refresh,
    /// `POST /v1/logout`.
    Logout,
    /// `GET /v1/me` with a credential whose logout was answered.
    Revoked,
}

impl Op {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::Me => "me",
            Self::Sessions => "sessions",
            Self::Refresh => "refresh",
            Self::Logout => "logout",
            Self::Revoked => "revoked probe",
        }
    }
}

/// What came of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// What a working server answers: 2xx, or 401 for a revoked credential.
    Served,
    /// 503 with `Retry-After`.
    Unavailable,
    /// No answer, because the drill killed the server while the request was in flight.
    InFlightAtKill,
    /// Violation: a revoked credential was accepted.
    RevokedAccepted,
    /// Violation: a live credential (or a login with the right password) was refused.
    LiveRefused,
    /// Violation: a 5xx other than 503, or a 503 without `Retry-After`.
    ServerError,
    /// Violation: 503 while every store was up.
    UnavailableWhileUp,
    /// Violation: no answer within the request limit, or the connection failed.
    NoAnswer,
    /// Violation: another status than the operation can answer.
    Unexpected,
}

impl Outcome {
    /// Whether it breaks one of the drill's promises.
    pub const fn is_violation(self) -> bool {
        !matches!(
            self,
            Self::Served | Self::Unavailable | Self::InFlightAtKill
        )
    }

    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Unavailable => "503 + Retry-After",
            Self::InFlightAtKill => "in flight at the kill",
            Self::RevokedAccepted => "VIOLATION revoked credential accepted",
            Self::LiveRefused => "VIOLATION live credential refused",
            Self::ServerError => "VIOLATION server error",
            Self::UnavailableWhileUp => "VIOLATION 503 with the stores up",
            Self::NoAnswer => "VIOLATION no answer",
            Self::Unexpected => "VIOLATION unexpected status",
        }
    }
}

/// What the drill expects of the stores while a request is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every store is up: every request is served.
    Up,
    /// A store is down or coming back: 503 with `Retry-After` is allowed.
    Degraded,
    /// The server is being killed: no answer is allowed.
    Killing,
}

/// Classifies an answer to `op`.
pub fn classify(op: Op, answer: &Answer, expect: Expect) -> Outcome {
    let Some(status) = answer.status else {
        return if expect == Expect::Killing {
            Outcome::InFlightAtKill
        } else {
            Outcome::NoAnswer
        };
    };
    match (op, status) {
        (Op::Revoked, 200..=299) => Outcome::RevokedAccepted,
        (Op::Revoked, 401) | (_, 200..=299) => Outcome::Served,
        (_, 401) => Outcome::LiveRefused,
        (_, 503) if !answer.retry_after => Outcome::ServerError,
        (_, 503) if expect == Expect::Up => Outcome::UnavailableWhileUp,
        (_, 503) => Outcome::Unavailable,
        (_, 500..=599) => Outcome::ServerError,
        _ => Outcome::Unexpected,
    }
}

/// How many violations of each kind are kept with their details.
const EXAMPLES: usize = 5;

#[derive(Debug, Default)]
struct Counts {
    outcomes: BTreeMap<(usize, Op, Outcome), u64>,
    latencies: BTreeMap<(usize, Op), Vec<Duration>>,
    slowest: BTreeMap<usize, Duration>,
    examples: BTreeMap<Outcome, Vec<String>>,
}

/// The counts of one drill, by phase (an index into the drill's phase names).
#[derive(Debug)]
pub struct Tally {
    phases: Vec<String>,
    counts: Mutex<Counts>,
}

impl Tally {
    /// An empty tally whose phases are named `phases`.
    pub fn new(phases: Vec<String>) -> Self {
        Self {
            phases,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Counts one request.
    pub fn record(
        &self,
        phase: usize,
        op: Op,
        outcome: Outcome,
        took: Duration,
        detail: impl FnOnce() -> String,
    ) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.outcomes.entry((phase, op, outcome)).or_default() += 1;
        if outcome == Outcome::Served {
            counts.latencies.entry((phase, op)).or_default().push(took);
        }
        let slowest = counts.slowest.entry(phase).or_default();
        *slowest = (*slowest).max(took);
        if outcome.is_violation() {
            let examples = counts.examples.entry(outcome).or_default();
            if examples.len() < EXAMPLES {
                let phase = self.phases.get(phase).map_or("?", String::as_str);
                examples.push(format!("{phase}, {}: {}", op.name(), detail()));
            }
        }
    }

    /// Requests with a violating outcome.
    pub fn violations(&self) -> u64 {
        self.sum(|_, _, outcome| outcome.is_violation())
    }

    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.sum(|_, _, _| true)
    }

    /// Requests with `outcome`, whatever the phase and operation.
    pub fn count_everywhere(&self, outcome: Outcome) -> u64 {
        self.sum(|_, _, o| o == outcome)
    }

    /// Requests in `phase` with `outcome`, whatever the operation.
    pub fn count_all(&self, phase: usize, outcome: Outcome) -> u64 {
        self.sum(|p, _, o| p == phase && o == outcome)
    }

    /// Requests whose phase, operation and outcome pass `counted`.
    fn sum(&self, counted: impl Fn(usize, Op, Outcome) -> bool) -> u64 {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts
            .outcomes
            .iter()
            .filter(|((phase, op, outcome), _)| counted(*phase, *op, *outcome))
            .map(|(_, n)| n)
            .sum()
    }

    /// The longest any request of `phase` took to be answered (or to fail).
    pub fn slowest(&self, phase: usize) -> Duration {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.slowest.get(&phase).copied().unwrap_or_default()
    }

    /// The served requests' latencies of `op` in `phase`, sorted.
    pub fn latencies(&self, phase: usize, op: Op) -> Vec<Duration> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = counts
            .latencies
            .get(&(phase, op))
            .cloned()
            .unwrap_or_default();
        all.sort_unstable();
        all
    }
}

impl fmt::Display for Tally {
    /// A table: phase, operation, outcome, count; then the kept violations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        writeln!(f, "| phase | operation | outcome | requests |")?;
        writeln!(f, "|---|---|---|---:|")?;
        for ((phase, op, outcome), n) in &counts.outcomes {
            let phase = self.phases.get(*phase).map_or("?", String::as_str);
            writeln!(f, "| {phase} | {} | {} | {n} |", op.name(), outcome.name())?;
        }
        for (outcome, examples) in &counts.examples {
            writeln!(f, "\n{}:", outcome.name())?;
            for example in examples {
                writeln!(f, "  - {example}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: Option<u16>, retry_after: bool) -> Answer {
        Answer {
            status,
            retry_after,
            error: None,
        }
    }

    #[test]
    fn a_revoked_credential_accepted_is_a_violation_in_every_phase() {
        for expect in [Expect::Up, Expect::Degraded, Expect::Killing] {
            assert_eq!(
                classify(Op::Revoked, &answer(Some(200), false), expect),
                Outcome::RevokedAccepted
            );
            assert_eq!(
                classify(Op::Revoked, &answer(Some(401), false), expect),
                Outcome::Served
            );
        }
    }

    #[test]
    fn a_503_is_allowed_only_with_retry_after_and_a_store_down() {
        let unavailable = answer(Some(503), true);
        assert_eq!(
            classify(Op::Me, &unavailable, Expect::Degraded),
            Outcome::Unavailable
        );
        assert_eq!(
            classify(Op::Me, &unavailable, Expect::Up),
            Outcome::UnavailableWhileUp
        );
        assert_eq!(
            classify(Op::Me, &answer(Some(503), false), Expect::Degraded),
            Outcome::ServerError
        );
        assert_eq!(
            classify(Op::Login, &answer(Some(500), true), Expect::Degraded),
            Outcome::ServerError
        );
    }

    #[test]
    fn no_answer_is_allowed_only_while_killing() {
        assert_eq!(
            classify(Op::Me, &answer(None, false), Expect::Killing),
            Outcome::InFlightAtKill
        );
        assert_eq!(
            classify(Op::Me, &answer(None, false), Expect::Degraded),
            Outcome::NoAnswer
        );
    }

    #[test]
    fn a_live_credential_refused_is_a_violation() {
        assert_eq!(
            classify(Op::Refresh, &answer(Some(401), false), Expect::Degraded),
            Outcome::LiveRefused
        );
        assert_eq!(
            classify(Op::Login, &answer(Some(429), true), Expect::Up),
            Outcome::Unexpected
        );
    }

    #[test]
    fn violations_are_counted_and_kept_with_their_details() {
        let tally = Tally::new(vec!["only".into()]);
        tally.record(
            0,
            Op::Me,
            Outcome::Served,
            Duration::from_millis(2),
            String::new,
        );
        tally.record(
            0,
            Op::Revoked,
            Outcome::RevokedAccepted,
            Duration::ZERO,
            || "it said 200".into(),
        );
        assert_eq!(tally.violations(), 1);
        assert_eq!(tally.total(), 2);
        assert_eq!(tally.slowest(0), Duration::from_millis(2));
        assert!(
            tally
                .to_string()
                .contains("only, revoked probe: it said 200")
        );
    }
}
