//! What the service does to its keys: the scheduled pass (repair, delete, promote, make
//! keys, then reload), reloads, and an operator's rotate now and emergency retire.

use keycard_core::audit::AuditKind;
use keycard_core::jose::KeyRole;
use keycard_core::key_record::KeyRecord;
use keycard_core::session::ClientMeta;
use keycard_core::{Key, KeySet, UnixTime};
use keycard_store::key_vault::KeyVault;

use super::{KeySchedule, KeyStep, current, plan};
use crate::error::AuthError;
use crate::service::Auth;

/// What a pass changed, for the logs and the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// A key was generated in `role`.
    Created {
        /// The new key.
        kid: String,
        /// Active or next.
        role: KeyRole,
    },
    /// The next key became active; the old active key, if any, was retired.
    Promoted {
        /// The key that signs from now on.
        kid: String,
        /// The key it replaces.
        retired: Option<String>,
        /// When the replaced key may be deleted.
        retire_after: UnixTime,
    },
    /// A key was retired (a leftover of an interrupted pass).
    Retired {
        /// The key.
        kid: String,
        /// When it may be deleted.
        retire_after: UnixTime,
    },
    /// A key was deleted: its tokens have expired, or an operator withdrew it.
    Deleted {
        /// The key.
        kid: String,
    },
}

/// The key set `records` describe at `now`: the current active and next keys in their
/// roles, every other live key retired, and retired keys past their date left out.
fn key_set(vault: &KeyVault, records: &[KeyRecord], now: UnixTime) -> Result<KeySet, AuthError> {
    let (active, next) = current(records);
    let is = |record: Option<&KeyRecord>, kid: &str| record.is_some_and(|r| r.kid == kid);
    let mut set = KeySet::new();
    for record in records {
        let role = match record.role {
            KeyRole::Active if is(active, &record.kid) => KeyRole::Active,
            KeyRole::Next if is(next, &record.kid) => KeyRole::Next,
            KeyRole::Retired if record.retire_after.is_some_and(|after| after <= now) => {
                continue;
            }
            _ => KeyRole::Retired,
        };
        set = set.with(role, vault.key(record)?)?;
    }
    Ok(set)
}

/// How long a first start waits for other instances starting at the same moment before
/// settling on one active key.
pub const FIRST_START_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

impl Auth {
    /// Runs the schedule at `now`: repairs what an interrupted pass left, deletes retired
    /// keys past their date, promotes the next key if it is due (making a new one), makes
    /// the active and next keys on first start; then reloads the keys from the vault, so
    /// changes made by another instance or the command line are picked up too.
    pub async fn rotate_keys_if_due(&self, now: UnixTime) -> Result<Vec<KeyChange>, AuthError> {
        self.key_pass(now, false).await
    }

    /// Reloads the keys from the vault, changing nothing there.
    pub async fn reload_keys(&self, now: UnixTime) -> Result<(), AuthError> {
        let vault = self.key_vault()?;
        let set = key_set(vault, &vault.records().await?, now)?;
        self.replace_keys(set);
        Ok(())
    }

    /// The key records, oldest first.
    pub async fn key_records(&self) -> Result<Vec<KeyRecord>, AuthError> {
        Ok(self.key_vault()?.records().await?)
    }

    /// The schedule this service follows.
    pub fn key_schedule(&self) -> KeySchedule {
        KeySchedule::new(self.settings())
    }

    pub(crate) fn key_vault(&self) -> Result<&KeyVault, AuthError> {
        self.inner().key_vault.as_ref().ok_or_else(|| {
            AuthError::internal("no key vault: keys held only in memory cannot be rotated")
        })
    }

    async fn key_pass(&self, now: UnixTime, rotate_now: bool) -> Result<Vec<KeyChange>, AuthError> {
        let records = self.key_vault()?.records().await?;
        let steps = plan(&records, &self.key_schedule(), now, rotate_now);
        let mut changes = self.apply_key_steps(steps, now).await?;
        let made_active = changes.iter().any(|change| {
            matches!(
                change,
                KeyChange::Created {
                    role: KeyRole::Active,
                    ..
                }
            )
        });
        if made_active {
            // A first start: another instance starting at the same moment on the same
            // store may have made an active key too. Once both writes are in, every
            // instance reads the same records, picks the same key (`current`) and retires
            // the other, so all of them sign with one key from the start.
            tokio::time::sleep(FIRST_START_SETTLE).await;
            let records = self.key_vault()?.records().await?;
            let steps = plan(&records, &self.key_schedule(), now, false);
            changes.extend(self.apply_key_steps(steps, now).await?);
        }
        self.reload_keys(now).await?;
        Ok(changes)
    }

    /// Carries out `steps` in order. A promotion that finds the next key already promoted
    /// (another instance won the race) ends the pass: the winner makes the new next key.
    pub(crate) async fn apply_key_steps(
        &self,
        steps: Vec<KeyStep>,
        now: UnixTime,
    ) -> Result<Vec<KeyChange>, AuthError> {
        let vault = self.key_vault()?;
        let algorithm = self.settings().tokens.signing_algorithm;
        let mut changes = Vec::new();
        for step in steps {
            match step {
                KeyStep::CreateActive | KeyStep::CreateNext => {
                    let role = if step == KeyStep::CreateActive {
                        KeyRole::Active
                    } else {
                        KeyRole::Next
                    };
                    let key = Key::generate(algorithm)?;
                    vault.save(&key, role, now).await?;
                    tracing::info!(kid = key.kid(), alg = %algorithm, ?role, "generated a signing key");
                    changes.push(KeyChange::Created {
                        kid: key.kid().to_owned(),
                        role,
                    });
                }
                KeyStep::Promote {
                    next,
                    active,
                    retire_after,
                } => {
                    if !vault
                        .swap_role(&next, KeyRole::Next, KeyRole::Active, None)
                        .await?
                    {
                        tracing::info!(kid = next, "the next key was already promoted elsewhere");
                        break;
                    }
                    if let Some(active) = &active {
                        vault
                            .swap_role(
                                active,
                                KeyRole::Active,
                                KeyRole::Retired,
                                Some(retire_after),
                            )
                            .await?;
                    }
                    tracing::info!(kid = next, retired = ?active, retire_after = retire_after.as_secs(), "promoted the next signing key");
                    self.audit(
                        AuditKind::KeyRotated,
                        None,
                        None,
                        &ClientMeta::default(),
                        now,
                    )
                    .await;
                    changes.push(KeyChange::Promoted {
                        kid: next,
                        retired: active,
                        retire_after,
                    });
                }
                KeyStep::Retire {
                    kid,
                    from,
                    retire_after,
                } => {
                    if vault
                        .swap_role(&kid, from, KeyRole::Retired, Some(retire_after))
                        .await?
                    {
                        tracing::warn!(kid, ?from, "retired a leftover signing key");
                        changes.push(KeyChange::Retired { kid, retire_after });
                    }
                }
                KeyStep::Delete { kid } => {
                    if vault.delete(&kid).await? {
                        tracing::info!(kid, "deleted a retired signing key");
                        changes.push(KeyChange::Deleted { kid });
                    }
                }
            }
        }
        Ok(changes)
    }

    /// Promotes the next key now, whether or not the schedule says it is due (an
    /// operator's decision), and makes a new next key. A verifier whose cached JWKS is
    /// older than the next key may not hold it yet: check
    /// [`KeySchedule::published_at`](super::KeySchedule::published_at) first and warn.
    pub async fn rotate_keys_now(&self, now: UnixTime) -> Result<Vec<KeyChange>, AuthError> {
        self.key_pass(now, true).await
    }

    /// Withdraws the key `kid` at once: it is deleted, so it leaves the JWKS and every
    /// token it signed is refused (`unknown_kid`) by this instance now and by every other
    /// instance at its next reload (within [`KEY_CHECK_EVERY`](super::KEY_CHECK_EVERY)).
    /// If it is the active key, the next key is promoted first (or, with none, a new
    /// active key made) so signing never stops; then a new next key is made. `NotFound`
    /// if there is no such key.
    pub async fn retire_key(&self, kid: &str, now: UnixTime) -> Result<Vec<KeyChange>, AuthError> {
        let vault = self.key_vault()?;
        let records = vault.records().await?;
        let record = records
            .iter()
            .find(|r| r.kid == kid)
            .ok_or(AuthError::NotFound)?;
        let mut changes = Vec::new();
        if record.role == KeyRole::Active {
            let (_, next) = current(&records);
            let replace = match next {
                // The retired key is deleted next, so it needs no retirement date.
                Some(next) => KeyStep::Promote {
                    next: next.kid.clone(),
                    active: None,
                    retire_after: now,
                },
                None => KeyStep::CreateActive,
            };
            changes = self.apply_key_steps(vec![replace], now).await?;
        }
        if vault.delete(kid).await? {
            tracing::warn!(kid, role = ?record.role, "signing key withdrawn by an operator");
            self.audit(
                AuditKind::KeyRetired,
                None,
                None,
                &ClientMeta::default(),
                now,
            )
            .await;
            changes.push(KeyChange::Deleted {
                kid: kid.to_owned(),
            });
        }
        // Tops up what the withdrawal took (the next key) and reloads.
        changes.extend(self.key_pass(now, false).await?);
        Ok(changes)
    }
}
