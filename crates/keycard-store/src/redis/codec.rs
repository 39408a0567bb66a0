//! How records are spelled in Redis: a session as the fields of a hash, the index entries as
//! short strings, a revocation as one string (spelled as the feed spells it:
//! [`crate::feed::codec`]).
//!
//! The Lua scripts read some session fields by name (`kind`, `seen`, `idle`, `abs`, `gen`,
//! `rotated`, `sealed`, `replays`, `revoked`), so those names are part of the scripts'
//! contract too.

use std::collections::HashMap;

use keycard_core::session::{ClientMeta, RefreshState, RevokeReason, Session, SessionKind};
use keycard_core::store::{StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

pub(super) use crate::feed::codec::{decode_revocation, encode_revocation};

/// A session as `(field, value)` pairs for `HSET`. Absent optional values have no field.
pub(super) fn session_fields(session: &Session) -> Vec<(&'static str, Vec<u8>)> {
    let text = |s: &str| s.as_bytes().to_vec();
    let number = |n: i64| n.to_string().into_bytes();
    let mut fields = vec![
        ("id", text(session.id.as_str())),
        ("user", text(session.user_id.as_str())),
        ("kind", text(session.kind.name())),
        ("created", number(session.created_at.as_secs())),
        ("seen", number(session.last_seen_at.as_secs())),
        ("idle", number(session.idle_timeout_secs)),
        ("abs", number(session.absolute_expiry.as_secs())),
    ];
    let client = &session.client;
    for (name, value) in [
        ("ua", &client.user_agent),
        ("ip", &client.ip),
        ("label", &client.label),
    ] {
        if let Some(value) = value {
            fields.push((name, text(value)));
        }
    }
    if let SessionKind::Refresh(state) = &session.kind {
        fields.push(("gen", state.generation.to_string().into_bytes()));
        if let Some(at) = state.rotated_at {
            fields.push(("rotated", number(at.as_secs())));
        }
        if let Some(sealed) = &state.sealed_successor {
            fields.push(("sealed", sealed.clone()));
        }
        fields.push(("replays", state.replays.to_string().into_bytes()));
        if let Some(reason) = state.revoked {
            fields.push(("revoked", text(reason.as_str())));
        }
    }
    fields
}

/// Collects a flat `field, value, field, value, ...` list (what a script returns for
/// `HGETALL`) into a map.
pub(super) fn pairs(flat: Vec<Vec<u8>>) -> StoreResult<HashMap<String, Vec<u8>>> {
    if !flat.len().is_multiple_of(2) {
        return Err(StoreError::Corrupt("odd number of hash fields".into()));
    }
    let mut map = HashMap::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        let name = String::from_utf8(name)
            .map_err(|_| StoreError::Corrupt("hash field name is not UTF-8".into()))?;
        map.insert(name, value);
    }
    Ok(map)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("session field {what}"))
}

fn text(fields: &HashMap<String, Vec<u8>>, name: &'static str) -> StoreResult<Option<String>> {
    fields
        .get(name)
        .map(|v| String::from_utf8(v.clone()).map_err(|_| corrupt(name)))
        .transpose()
}

fn required(fields: &HashMap<String, Vec<u8>>, name: &'static str) -> StoreResult<String> {
    text(fields, name)?.ok_or_else(|| corrupt(name))
}

fn number<T: std::str::FromStr>(
    fields: &HashMap<String, Vec<u8>>,
    name: &'static str,
) -> StoreResult<Option<T>> {
    text(fields, name)?
        .map(|s| s.parse().map_err(|_| corrupt(name)))
        .transpose()
}

fn required_number<T: std::str::FromStr>(
    fields: &HashMap<String, Vec<u8>>,
    name: &'static str,
) -> StoreResult<T> {
    number(fields, name)?.ok_or_else(|| corrupt(name))
}

/// A session read back from its hash; `None` for an empty hash (no such session).
pub(super) fn session_from_fields(
    fields: &HashMap<String, Vec<u8>>,
) -> StoreResult<Option<Session>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let kind = match required(fields, "kind")?.as_str() {
        "cookie" => SessionKind::Cookie,
        "refresh" => SessionKind::Refresh(RefreshState {
            generation: required_number(fields, "gen")?,
            rotated_at: number(fields, "rotated")?.map(UnixTime::from_secs),
            sealed_successor: fields.get("sealed").cloned(),
            // Absent in families written before replays were counted: none yet.
            replays: number(fields, "replays")?.unwrap_or(0),
            revoked: text(fields, "revoked")?
                .map(|name| RevokeReason::parse(&name).ok_or_else(|| corrupt("revoked")))
                .transpose()?,
        }),
        _ => return Err(corrupt("kind")),
    };
    Ok(Some(Session {
        id: SessionId::new(required(fields, "id")?),
        user_id: UserId::new(required(fields, "user")?),
        kind,
        created_at: UnixTime::from_secs(required_number(fields, "created")?),
        last_seen_at: UnixTime::from_secs(required_number(fields, "seen")?),
        idle_timeout_secs: required_number(fields, "idle")?,
        absolute_expiry: UnixTime::from_secs(required_number(fields, "abs")?),
        client: ClientMeta {
            user_agent: text(fields, "ua")?,
            ip: text(fields, "ip")?,
            label: text(fields, "label")?,
        },
    }))
}

/// A token index entry: `<user> <sid> <absolute expiry>`, ids escaped.
pub(super) fn token_entry(user: &str, sid: &str, absolute_expiry: UnixTime) -> String {
    format!("{user} {sid} {}", absolute_expiry.as_secs())
}

/// Reads a token index entry back: (escaped user, escaped sid, absolute expiry).
pub(super) fn parse_token_entry(entry: &str) -> StoreResult<(&str, &str, UnixTime)> {
    let mut parts = entry.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(user), Some(sid), Some(abs), None) => abs
            .parse()
            .map(|abs| (user, sid, UnixTime::from_secs(abs)))
            .map_err(|_| StoreError::Corrupt("token index entry".into())),
        _ => Err(StoreError::Corrupt("token index entry".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_through_their_fields() {
        let mut session = Session {
            id: SessionId::new("s 1"),
            user_id: UserId::new("u}1"),
            kind: SessionKind::Cookie,
            created_at: UnixTime::from_secs(10),
            last_seen_at: UnixTime::from_secs(20),
            idle_timeout_secs: 30,
            absolute_expiry: UnixTime::from_secs(40),
            client: ClientMeta {
                user_agent: Some("curl".into()),
                ip: None,
                label: Some("x".into()),
            },
        };
        let round_trip = |s: &Session| {
            let flat = session_fields(s)
                .into_iter()
                .flat_map(|(k, v)| [k.as_bytes().to_vec(), v])
                .collect();
            session_from_fields(&pairs(flat).unwrap()).unwrap().unwrap()
        };
        assert_eq!(round_trip(&session), session);
        session.kind = SessionKind::Refresh(RefreshState {
            generation: 7,
            rotated_at: Some(UnixTime::from_secs(15)),
            sealed_successor: Some(vec![0, 255, b' ', b'\n']),
            replays: 4,
            revoked: Some(RevokeReason::ReuseDetected),
        });
        assert_eq!(round_trip(&session), session);
        assert!(session_from_fields(&HashMap::new()).unwrap().is_none());
    }

    #[test]
    fn token_entries_round_trip() {
        let entry = token_entry("u%7D1", "s1", UnixTime::from_secs(99));
        assert_eq!(
            parse_token_entry(&entry).unwrap(),
            ("u%7D1", "s1", UnixTime::from_secs(99))
        );
        assert!(parse_token_entry("a b").is_err());
    }
}
