//! The JSON in the `data:` of the revocation stream's events (the server's side:
//! `keycard-server`'s `routes/dto/revocations.rs`; the format: docs/CONFIG.md, "The
//! revocation stream for verifiers"), read into the domain's [`Revocation`].
//!
//! Read strictly: an event that does not parse is not skipped, since skipping it could
//! miss a revocation; the follower drops the connection and resyncs from a snapshot.

use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::{SessionId, UnixTime, UserId};
use serde::Deserialize;

/// One revocation as the stream writes it.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Wire {
    Session {
        sid: String,
        at: i64,
        forget_after: i64,
    },
    User {
        sub: String,
        not_before: i64,
        at: i64,
        forget_after: i64,
    },
}

impl From<Wire> for Revocation {
    fn from(wire: Wire) -> Self {
        match wire {
            Wire::Session {
                sid,
                at,
                forget_after,
            } => Revocation {
                what: Revoked::Session(SessionId::new(sid)),
                at: UnixTime::from_secs(at),
                forget_after: UnixTime::from_secs(forget_after),
            },
            Wire::User {
                sub,
                not_before,
                at,
                forget_after,
            } => Revocation {
                what: Revoked::UserBefore {
                    user: UserId::new(sub),
                    not_before: UnixTime::from_secs(not_before),
                },
                at: UnixTime::from_secs(at),
                forget_after: UnixTime::from_secs(forget_after),
            },
        }
    }
}

#[derive(Debug, Deserialize)]
struct Snapshot {
    revocations: Vec<Wire>,
}

/// What one event of the stream says.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// Every live revocation: replace what is held.
    Snapshot(Vec<Revocation>),
    /// One more revocation.
    Revocation(Revocation),
    /// The serving instance's feed is fresh.
    Heartbeat,
    /// An event this verifier does not know (a later version's): heard, nothing to apply.
    Other,
}

/// Reads an event by its name and data.
pub fn decode(event: &str, data: &str) -> Result<StreamEvent, serde_json::Error> {
    Ok(match event {
        "snapshot" => {
            let snapshot: Snapshot = serde_json::from_str(data)?;
            StreamEvent::Snapshot(snapshot.revocations.into_iter().map(Into::into).collect())
        }
        "revocation" => StreamEvent::Revocation(serde_json::from_str::<Wire>(data)?.into()),
        "heartbeat" => StreamEvent::Heartbeat,
        _ => StreamEvent::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_server_writes() {
        let snapshot = decode(
            "snapshot",
            r#"{"revocations":[{"kind":"session","sid":"s1","at":10,"forget_after":20},
                {"kind":"user","sub":"u1","not_before":15,"at":15,"forget_after":25}]}"#,
        )
        .unwrap();
        let StreamEvent::Snapshot(live) = snapshot else {
            panic!("{snapshot:?}")
        };
        assert_eq!(live[0].what, Revoked::Session(SessionId::new("s1")));
        assert_eq!(live[0].forget_after, UnixTime::from_secs(20));
        assert_eq!(
            live[1].what,
            Revoked::UserBefore {
                user: UserId::new("u1"),
                not_before: UnixTime::from_secs(15)
            }
        );
        assert_eq!(
            decode("heartbeat", r#"{"now":1}"#).unwrap(),
            StreamEvent::Heartbeat
        );
        assert_eq!(decode("later", "anything").unwrap(), StreamEvent::Other);
    }

    #[test]
    fn a_revocation_that_does_not_parse_is_an_error_not_a_skip() {
        for data in [
            "",
            "{}",
            r#"{"kind":"session","sid":"s1"}"#,
            r#"{"kind":"group","id":"g","at":1,"forget_after":2}"#,
            r#"{"kind":"session","sid":"s1","at":"10","forget_after":20}"#,
        ] {
            assert!(decode("revocation", data).is_err(), "{data}");
        }
        assert!(decode("snapshot", r#"{"revocations":[{}]}"#).is_err());
    }
}
