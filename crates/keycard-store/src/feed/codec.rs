//! How a feed message is spelled on a wire the backends share (Redis pub/sub, PostgreSQL
//! `NOTIFY`): one short line of text.
//!
//! | message | text |
//! |---|---|
//! | heartbeat | `h` |
//! | revocation | `r <published_at_ms> <revocation>` |
//!
//! A revocation is `<kind> <at> <forget_after> [<not_before>] <id>` (kind `s` for a session,
//! `u` for a user with its `not_before`), the id last and taken whole, so it may hold spaces.
//! The Redis backend stores revocations in the same spelling.
//!
//! Decoding is strict: anything else is an error, and a subscription that meets one ends
//! (see [`decode_message`]).

use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::store::{FeedEvent, StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

/// A revocation as one string: `<kind> <at> <forget_after> [<not_before>] <id>`; the id comes
/// last and is taken whole.
pub(crate) fn encode_revocation(r: &Revocation) -> String {
    let (at, forget) = (r.at.as_secs(), r.forget_after.as_secs());
    match &r.what {
        Revoked::Session(id) => format!("s {at} {forget} {id}"),
        Revoked::UserBefore { user, not_before } => {
            format!("u {at} {forget} {} {user}", not_before.as_secs())
        }
    }
}

/// Reads a revocation back.
pub(crate) fn decode_revocation(encoded: &str) -> StoreResult<Revocation> {
    let bad = || StoreError::Corrupt("revocation".into());
    let time = |s: Option<&str>| -> StoreResult<UnixTime> {
        s.and_then(|s| s.parse().ok())
            .map(UnixTime::from_secs)
            .ok_or_else(bad)
    };
    let mut parts = encoded.splitn(4, ' ');
    let kind = parts.next();
    let at = time(parts.next())?;
    let forget_after = time(parts.next())?;
    let rest = parts.next().ok_or_else(bad)?;
    let what = match kind {
        Some("s") => Revoked::Session(SessionId::new(rest)),
        Some("u") => {
            let (not_before, user) = rest.split_once(' ').ok_or_else(bad)?;
            Revoked::UserBefore {
                user: UserId::new(user),
                not_before: time(Some(not_before))?,
            }
        }
        _ => return Err(bad()),
    };
    Ok(Revocation {
        what,
        at,
        forget_after,
    })
}

/// The heartbeat message.
pub(crate) const HEARTBEAT: &str = "h";

/// The message announcing `revocation`.
pub(crate) fn encode_revoked(revocation: &Revocation, published_at_ms: i64) -> String {
    format!("r {published_at_ms} {}", encode_revocation(revocation))
}

/// The event a message stands for.
///
/// A message that does not decode is an error, and the backends end the subscription on
/// it rather than skip it: skipping could lose a revocation until the next resync, while
/// ending makes the follower resync at once, and the snapshot it reloads holds every
/// recorded revocation, the unreadable one's included.
pub(crate) fn decode_message(message: &str) -> StoreResult<FeedEvent> {
    if message == HEARTBEAT {
        return Ok(FeedEvent::Heartbeat);
    }
    let bad = || StoreError::Corrupt("revocation feed message".into());
    let (published_at_ms, revocation) = message
        .strip_prefix("r ")
        .and_then(|rest| rest.split_once(' '))
        .ok_or_else(bad)?;
    Ok(FeedEvent::Revoked {
        published_at_ms: published_at_ms.parse().map_err(|_| bad())?,
        revocation: decode_revocation(revocation)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revocations() -> [Revocation; 2] {
        [
            Revoked::Session(SessionId::new("a b")),
            Revoked::UserBefore {
                user: UserId::new("u 1"),
                not_before: UnixTime::from_secs(5),
            },
        ]
        .map(|what| Revocation {
            what,
            at: UnixTime::from_secs(1),
            forget_after: UnixTime::from_secs(9),
        })
    }

    #[test]
    fn revocations_round_trip() {
        for r in revocations() {
            assert_eq!(decode_revocation(&encode_revocation(&r)).unwrap(), r);
        }
        assert!(matches!(
            decode_revocation("x 1 2 y"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn messages_round_trip() {
        for r in revocations() {
            let event = FeedEvent::Revoked {
                revocation: r.clone(),
                published_at_ms: -7,
            };
            assert_eq!(decode_message(&encode_revoked(&r, -7)).unwrap(), event);
        }
        assert_eq!(decode_message(HEARTBEAT).unwrap(), FeedEvent::Heartbeat);
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "h ",
            "H",
            "r",
            "r 12",
            "r x s 1 2 id",
            "r 12 x 1 2 id",
            "r 12 u 1 2 id",
            "q 12 s 1 2 id",
        ] {
            assert!(
                matches!(decode_message(bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }
}
