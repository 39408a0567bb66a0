//! `rotate_refresh` once the family is loaded inside the backend's atomic step: what to
//! answer, and what to write. The memory backend applies it under its lock, the SQL backends
//! inside their compare-and-swap loop (`sql::rotation`), and Redis mirrors it in Lua.
//!
//! Every decision but a plain answer is a write: a rotation moves the generation (and
//! resets the replay count), a replay counts itself, a reuse revokes. Counting a replay in
//! the same step that grants it is what bounds the replays of N concurrent presentations.

use keycard_core::UnixTime;
use keycard_core::session::{RevokeReason, RotationDecision, Session, SessionKind};
use keycard_core::store::Rotation;

/// What a presentation comes to.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing to write: answer this.
    Answer(Rotation),
    /// Move the family from generation `from` to `session` (generation `from + 1`, rotated
    /// and used at `now`, with the new sealed successor and a replay count of 0), and file
    /// the successor's digest under the new generation. Answer `Rotated(session)`.
    Rotate {
        /// The generation the compare-and-swap expects.
        from: u64,
        /// The family as it is after the rotation.
        session: Session,
    },
    /// Count one more replay: set the family's replay count to `replays + 1` if it is still
    /// at generation `at` with `replays` counted. Answer `Replayed` with `session` (whose
    /// count is already `replays + 1`) and `sealed_successor`.
    Replay {
        /// The generation the compare-and-swap expects.
        at: u64,
        /// The replay count the compare-and-swap expects.
        replays: u32,
        /// The family as it is after the replay is counted.
        session: Session,
        /// The successor, sealed under the presented token.
        sealed_successor: Vec<u8>,
    },
    /// Mark the family revoked as `reuse_detected` if it is still at generation `at`; keep
    /// the row, so later presentations are `Dead`. Answer `ReuseDetected(session)`.
    Revoke {
        /// The generation the compare-and-swap expects.
        at: u64,
        /// The family as it is after the revocation.
        session: Session,
    },
}

/// Plans the presentation of a token of generation `presented` of `session` at `now`.
pub(crate) fn plan(
    mut session: Session,
    presented: u64,
    sealed_successor: &[u8],
    now: UnixTime,
    grace_secs: i64,
    max_replays: u32,
) -> Step {
    if !matches!(session.kind, SessionKind::Refresh(_)) {
        return Step::Answer(Rotation::Unknown);
    }
    if now >= session.expires_at() {
        return Step::Answer(Rotation::Dead(session));
    }
    let SessionKind::Refresh(refresh) = &mut session.kind else {
        return Step::Answer(Rotation::Unknown);
    };
    let current = refresh.generation;
    match refresh.decide(presented, now, grace_secs, max_replays) {
        RotationDecision::Rotate => {
            refresh.generation = current.saturating_add(1);
            refresh.rotated_at = Some(now);
            refresh.sealed_successor = Some(sealed_successor.to_vec());
            refresh.replays = 0;
            session.last_seen_at = now;
            Step::Rotate {
                from: current,
                session,
            }
        }
        RotationDecision::Replay => {
            let sealed_successor = refresh.sealed_successor.clone().unwrap_or_default();
            let replays = refresh.replays;
            refresh.replays = replays.saturating_add(1);
            Step::Replay {
                at: current,
                replays,
                session,
                sealed_successor,
            }
        }
        RotationDecision::Reuse => {
            refresh.revoked = Some(RevokeReason::ReuseDetected);
            Step::Revoke {
                at: current,
                session,
            }
        }
        RotationDecision::Revoked(_) => Step::Answer(Rotation::Dead(session)),
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::session::{ClientMeta, RefreshState};
    use keycard_core::{SessionId, UserId};

    use super::*;

    fn family(generation: u64, rotated_at: Option<i64>) -> Session {
        Session {
            id: SessionId::new("s"),
            user_id: UserId::new("u"),
            kind: SessionKind::Refresh(RefreshState {
                generation,
                rotated_at: rotated_at.map(UnixTime::from_secs),
                sealed_successor: Some(vec![7]),
                replays: 1,
                revoked: None,
            }),
            created_at: UnixTime::from_secs(0),
            last_seen_at: UnixTime::from_secs(0),
            idle_timeout_secs: 3600,
            absolute_expiry: UnixTime::from_secs(86_400),
            client: ClientMeta::default(),
        }
    }

    #[test]
    fn the_current_token_rotates_and_is_a_use() {
        let now = UnixTime::from_secs(100);
        let Step::Rotate { from, session } = plan(family(2, Some(50)), 2, &[9], now, 30, 3) else {
            panic!("expected a rotation");
        };
        assert_eq!(from, 2);
        assert_eq!(session.last_seen_at, now);
        let SessionKind::Refresh(state) = session.kind else {
            panic!("not a family")
        };
        assert_eq!(state.generation, 3);
        assert_eq!(state.rotated_at, Some(now));
        assert_eq!(state.sealed_successor, Some(vec![9]));
        assert_eq!(state.replays, 0, "a rotation resets the replay count");
    }

    #[test]
    fn previous_replays_older_revokes_expired_is_dead() {
        let now = UnixTime::from_secs(100);
        let Step::Replay {
            at,
            replays,
            session,
            sealed_successor,
        } = plan(family(2, Some(90)), 1, &[9], now, 30, 3)
        else {
            panic!("expected a replay");
        };
        assert_eq!((at, replays), (2, 1), "the swap expects the count it read");
        assert_eq!(sealed_successor, [7], "the successor kept, not the new one");
        let SessionKind::Refresh(state) = session.kind else {
            panic!("not a family")
        };
        assert_eq!(state.replays, 2, "the replay is counted");
        let used_up = plan(family(2, Some(90)), 1, &[9], now, 30, 1);
        assert!(matches!(used_up, Step::Revoke { at: 2, .. }), "{used_up:?}");
        let reuse = plan(family(2, Some(90)), 0, &[9], now, 30, 3);
        assert!(matches!(reuse, Step::Revoke { at: 2, .. }), "{reuse:?}");
        let late = UnixTime::from_secs(3600);
        let dead = plan(family(2, Some(90)), 2, &[9], late, 30, 3);
        assert!(matches!(dead, Step::Answer(Rotation::Dead(_))), "{dead:?}");
        let mut cookie = family(0, None);
        cookie.kind = SessionKind::Cookie;
        let unknown = plan(cookie, 0, &[9], now, 30, 3);
        assert!(
            matches!(unknown, Step::Answer(Rotation::Unknown)),
            "{unknown:?}"
        );
    }
}
