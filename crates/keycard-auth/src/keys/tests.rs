//! The schedule as a pure function: what [`plan`] asks for, record by record.

use keycard_core::UnixTime;
use keycard_core::jose::{Algorithm, KeyRole};
use keycard_core::key_record::KeyRecord;

use super::{KeySchedule, KeyStep, current, plan};

const SCHEDULE: KeySchedule = KeySchedule {
    rotation_secs: 7200,
    publish_secs: 960,
    retire_secs: 990,
};

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn record(kid: &str, role: KeyRole, created: i64, retire_after: Option<i64>) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        alg: Algorithm::EdDSA,
        role,
        created_at: at(created),
        retire_after: retire_after.map(at),
        public_jwk: String::new(),
        sealed_private: None,
    }
}

#[test]
fn first_start_makes_an_active_and_a_next_key() {
    assert_eq!(
        plan(&[], &SCHEDULE, at(0), false),
        vec![KeyStep::CreateActive, KeyStep::CreateNext]
    );
}

#[test]
fn the_next_key_is_promoted_when_due_and_not_before() {
    let records = [
        record("a", KeyRole::Active, 0, None),
        record("b", KeyRole::Next, 100, None),
    ];
    assert_eq!(SCHEDULE.due_at(at(100)), at(7300));
    assert!(plan(&records, &SCHEDULE, at(7299), false).is_empty());
    assert_eq!(
        plan(&records, &SCHEDULE, at(7300), false),
        vec![
            KeyStep::Promote {
                next: "b".into(),
                active: Some("a".into()),
                retire_after: at(7300 + 990),
            },
            KeyStep::CreateNext,
        ]
    );
    // An operator may rotate at any time.
    assert_eq!(plan(&records, &SCHEDULE, at(200), true).len(), 2);
}

#[test]
fn publication_bounds_the_rotation_when_it_is_the_longer_wait() {
    let schedule = KeySchedule {
        rotation_secs: 60,
        ..SCHEDULE
    };
    assert_eq!(schedule.due_at(at(0)), at(960));
}

#[test]
fn retired_keys_are_deleted_after_their_date() {
    let records = [
        record("old", KeyRole::Retired, 0, Some(500)),
        record("a", KeyRole::Active, 0, None),
        record("b", KeyRole::Next, 0, None),
    ];
    assert!(plan(&records, &SCHEDULE, at(499), false).is_empty());
    assert_eq!(
        plan(&records, &SCHEDULE, at(500), false),
        vec![KeyStep::Delete { kid: "old".into() }]
    );
}

#[test]
fn an_interrupted_pass_is_repaired() {
    // Promoted "b" but did not retire "a" nor make a next key.
    let records = [
        record("a", KeyRole::Active, 0, None),
        record("b", KeyRole::Active, 10, None),
        record("c", KeyRole::Retired, 0, None),
    ];
    let (active, next) = current(&records);
    assert_eq!((active.map(|r| r.kid.as_str()), next), (Some("b"), None));
    assert_eq!(
        plan(&records, &SCHEDULE, at(20), false),
        vec![
            KeyStep::Retire {
                kid: "a".into(),
                from: KeyRole::Active,
                retire_after: at(20 + 990),
            },
            KeyStep::Retire {
                kid: "c".into(),
                from: KeyRole::Retired,
                retire_after: at(20 + 990),
            },
            KeyStep::CreateNext,
        ]
    );
    // Two next keys (two instances made one each): the older one stays next.
    let records = [
        record("a", KeyRole::Active, 0, None),
        record("n1", KeyRole::Next, 5, None),
        record("n2", KeyRole::Next, 6, None),
    ];
    assert_eq!(
        plan(&records, &SCHEDULE, at(20), false),
        vec![KeyStep::Retire {
            kid: "n2".into(),
            from: KeyRole::Next,
            retire_after: at(20 + 990),
        }]
    );
    // A next key left without an active key is promoted, never discarded.
    let records = [record("n", KeyRole::Next, 5, None)];
    assert_eq!(
        plan(&records, &SCHEDULE, at(6), false)[0],
        KeyStep::Promote {
            next: "n".into(),
            active: None,
            retire_after: at(6 + 990),
        }
    );
}
