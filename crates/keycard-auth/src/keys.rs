//! Signing keys over time: the rotation schedule, reloads, and an operator's rotate and
//! retire.
//!
//! One key is active (signs), one is next (published ahead of use), and retired keys only
//! verify. The schedule, checked by every instance every [`KEY_CHECK_EVERY`]:
//! - the next key is promoted once it has been published for the JWKS max-age and the
//!   active key has signed for `signing_key_rotation`;
//! - the old active key is retired until the promotion time plus the access token lifetime
//!   and leeway (its last token has expired), and stays in the JWKS until then; after
//!   that it is deleted;
//! - a new next key is made at each promotion.
//!
//! Both waits carry one more check interval: another instance publishes a new next key,
//! and stops signing with a retired one, only at its next reload.
//!
//! When the active key began to sign is not stored. A new next key is made at each
//! promotion, so the next key's `created_at` is that moment, or later (a next key replaced
//! by an operator), which only delays the rotation.
//!
//! Several instances share one store. Each reads the records afresh before deciding, and
//! the promotion is a compare-and-swap on the next key's role
//! ([`KeyVault::swap_role`](keycard_store::key_vault::KeyVault::swap_role)): one instance
//! wins, the others find the key already promoted and reload. What an
//! interrupted pass leaves (two active keys, two next keys, none) is repaired by the next
//! pass, since [`plan`] reads whatever the store holds.

mod actions;

pub use actions::KeyChange;

use std::time::Duration;

use keycard_core::UnixTime;
use keycard_core::jose::KeyRole;
use keycard_core::key_record::KeyRecord;

use crate::settings::AuthSettings;

/// How often every instance reloads its keys from the store and checks the schedule.
pub const KEY_CHECK_EVERY: Duration = Duration::from_secs(60);

/// The schedule's spans, in seconds, from the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySchedule {
    /// How long an active key signs: `signing_key_rotation`.
    pub rotation_secs: i64,
    /// How long a new next key is published before it may sign: the JWKS max-age, plus
    /// one check interval.
    pub publish_secs: i64,
    /// How long a key verifies after it stops signing: access token lifetime and leeway,
    /// plus one check interval.
    pub retire_secs: i64,
}

impl KeySchedule {
    /// The schedule `settings` ask for.
    pub fn new(settings: &AuthSettings) -> Self {
        let check = i64::try_from(KEY_CHECK_EVERY.as_secs()).unwrap_or(i64::MAX);
        let max_age = i64::try_from(settings.jwks_max_age_secs()).unwrap_or(i64::MAX);
        Self {
            rotation_secs: settings.tokens.signing_key_rotation.as_i64(),
            publish_secs: max_age.saturating_add(check),
            retire_secs: settings.revocation_lifetime_secs().saturating_add(check),
        }
    }

    /// When a next key made at `created_at` is held by every verifier that caches the
    /// JWKS for at most its max-age.
    pub fn published_at(&self, created_at: UnixTime) -> UnixTime {
        created_at.plus_secs(self.publish_secs)
    }

    /// When a next key made at `created_at` is promoted: published long enough, and the
    /// active key (signing since then) has signed long enough.
    pub fn due_at(&self, created_at: UnixTime) -> UnixTime {
        self.published_at(created_at)
            .max(created_at.plus_secs(self.rotation_secs))
    }

    /// When a key that stopped signing at `stopped` may be deleted.
    pub fn retire_after(&self, stopped: UnixTime) -> UnixTime {
        stopped.plus_secs(self.retire_secs)
    }
}

/// One change [`plan`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStep {
    /// There is no active key and no next key to promote: make an active key.
    CreateActive,
    /// Promote `next`; retire `active`, if any, until `retire_after`.
    Promote {
        /// The next key's kid.
        next: String,
        /// The active key's kid.
        active: Option<String>,
        /// When the retired key may be deleted.
        retire_after: UnixTime,
    },
    /// Retire a key left over by an interrupted pass (a second active or next key), or
    /// give a retired key with no date one.
    Retire {
        /// The key.
        kid: String,
        /// Its role now.
        from: KeyRole,
        /// When it may be deleted.
        retire_after: UnixTime,
    },
    /// Delete a retired key whose tokens have all expired.
    Delete {
        /// The key.
        kid: String,
    },
    /// No next key is published: make one.
    CreateNext,
}

/// The key that signs and the one published next, among `records`: the newest active key
/// (an older one is a leftover) and the oldest next key (published longest).
///
/// Ties (keys made in the same second, as by instances starting together) are broken by
/// kid, so every instance reading the same records picks the same keys.
pub fn current(records: &[KeyRecord]) -> (Option<&KeyRecord>, Option<&KeyRecord>) {
    let active = records
        .iter()
        .filter(|r| r.role == KeyRole::Active)
        .max_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    let next = records
        .iter()
        .filter(|r| r.role == KeyRole::Next)
        .min_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    (active, next)
}

/// The steps that bring `records` to where the schedule wants them at `now`. With
/// `rotate_now`, the next key is promoted whether or not it is due.
pub fn plan(
    records: &[KeyRecord],
    schedule: &KeySchedule,
    now: UnixTime,
    rotate_now: bool,
) -> Vec<KeyStep> {
    let (active, next) = current(records);
    let kid = |record: Option<&KeyRecord>| record.map(|r| r.kid.clone());
    let retire_after = schedule.retire_after(now);
    let mut steps = Vec::new();
    for record in records {
        let leftover = match record.role {
            KeyRole::Active => kid(active).as_ref() != Some(&record.kid),
            KeyRole::Next => kid(next).as_ref() != Some(&record.kid),
            KeyRole::Retired => match record.retire_after {
                Some(after) if after <= now => {
                    steps.push(KeyStep::Delete {
                        kid: record.kid.clone(),
                    });
                    false
                }
                Some(_) => false,
                None => true,
            },
        };
        if leftover {
            steps.push(KeyStep::Retire {
                kid: record.kid.clone(),
                from: record.role,
                retire_after,
            });
        }
    }
    match (active, next) {
        (_, Some(next))
            if active.is_none() || rotate_now || now >= schedule.due_at(next.created_at) =>
        {
            steps.push(KeyStep::Promote {
                next: next.kid.clone(),
                active: kid(active),
                retire_after,
            });
            steps.push(KeyStep::CreateNext);
        }
        (None, None) => steps.extend([KeyStep::CreateActive, KeyStep::CreateNext]),
        (Some(_), None) => steps.push(KeyStep::CreateNext),
        (_, Some(_)) => {}
    }
    steps
}

#[cfg(test)]
mod tests;
