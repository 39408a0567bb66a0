//! The revocations this instance has applied, numbered, for the verifiers that follow it
//! over `GET /v1/revocations`: a broadcast of each one as it is applied, and the most recent
//! ones kept so a verifier that reconnects with the last id it saw can be sent only what it
//! missed. Ids are `<epoch>-<n>`: the epoch is drawn at start, so an id from before a
//! restart is never mistaken for one of this run.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use keycard_core::revocation::Revocation;
use tokio::sync::broadcast;

/// How many applied revocations are kept for resuming.
pub const KEPT: usize = 4096;

/// An applied revocation and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// `<epoch>-<n>`, increasing within a run.
    pub id: String,
    /// The revocation.
    pub revocation: Revocation,
}

/// What a verifier resuming from an id gets.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
    /// The revocations applied after that id, in order.
    Since(Vec<Applied>),
    /// The id is unknown or too old: start from a snapshot.
    Snapshot,
}

/// The log of applied revocations.
#[derive(Debug)]
pub struct RevocationLog {
    epoch: String,
    inner: Mutex<Inner>,
    sender: broadcast::Sender<Applied>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    recent: VecDeque<(u64, Applied)>,
}

impl RevocationLog {
    /// An empty log for the run `epoch`.
    pub fn new(epoch: String) -> Self {
        Self {
            epoch,
            inner: Mutex::default(),
            sender: broadcast::channel(KEPT).0,
        }
    }

    /// Records an applied revocation and tells the listeners.
    pub fn push(&self, revocation: Revocation) {
        let mut inner = self.lock();
        let n = inner.next;
        inner.next += 1;
        let applied = Applied {
            id: format!("{}-{n}", self.epoch),
            revocation,
        };
        if inner.recent.len() == KEPT {
            inner.recent.pop_front();
        }
        inner.recent.push_back((n, applied.clone()));
        let _ = self.sender.send(applied);
    }

    /// The id of the latest revocation applied, or of the start of this run.
    pub fn last_id(&self) -> String {
        let inner = self.lock();
        match inner.next {
            0 => format!("{}-start", self.epoch),
            next => format!("{}-{}", self.epoch, next - 1),
        }
    }

    /// Listens for revocations applied from now on.
    pub fn listen(&self) -> broadcast::Receiver<Applied> {
        self.sender.subscribe()
    }

    /// What to send a verifier that last saw `id`.
    pub fn resume(&self, id: &str) -> Resume {
        let Some((epoch, n)) = id.rsplit_once('-') else {
            return Resume::Snapshot;
        };
        if epoch != self.epoch {
            return Resume::Snapshot;
        }
        let inner = self.lock();
        let after = match n {
            "start" => None,
            n => match n.parse::<u64>() {
                Ok(n) if n < inner.next => Some(n),
                _ => return Resume::Snapshot,
            },
        };
        let oldest_kept = inner.recent.front().map_or(inner.next, |(n, _)| *n);
        let first_needed = after.map_or(0, |n| n + 1);
        if first_needed < oldest_kept {
            return Resume::Snapshot;
        }
        Resume::Since(
            inner
                .recent
                .iter()
                .filter(|(n, _)| *n >= first_needed)
                .map(|(_, applied)| applied.clone())
                .collect(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::revocation::Revoked;
    use keycard_core::{SessionId, UnixTime};

    use super::*;

    fn revocation(n: usize) -> Revocation {
        Revocation {
            what: Revoked::Session(SessionId::new(format!("s{n}"))),
            at: UnixTime::from_secs(1),
            forget_after: UnixTime::from_secs(2),
        }
    }

    #[test]
    fn resume_sends_what_was_missed_or_asks_for_a_snapshot() {
        let log = RevocationLog::new("e1".into());
        assert_eq!(log.resume(&log.last_id()), Resume::Since(vec![]));
        let start = log.last_id();
        log.push(revocation(0));
        let after_first = log.last_id();
        log.push(revocation(1));
        let Resume::Since(missed) = log.resume(&start) else {
            panic!("known id")
        };
        assert_eq!(missed.len(), 2);
        let Resume::Since(missed) = log.resume(&after_first) else {
            panic!("known id")
        };
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].revocation, revocation(1));
        assert_eq!(log.resume("e0-1"), Resume::Snapshot, "another run");
        assert_eq!(log.resume("e1-99"), Resume::Snapshot, "not yet issued");
        assert_eq!(log.resume("garbage"), Resume::Snapshot);
    }

    #[test]
    fn an_id_older_than_what_is_kept_needs_a_snapshot() {
        let log = RevocationLog::new("e".into());
        let start = log.last_id();
        for n in 0..=KEPT {
            log.push(revocation(n));
        }
        assert_eq!(log.resume(&start), Resume::Snapshot);
        assert!(matches!(log.resume("e-1"), Resume::Since(missed) if missed.len() == KEPT - 1));
    }
}
