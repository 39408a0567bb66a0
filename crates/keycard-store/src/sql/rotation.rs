//! `rotate_refresh` for both SQL backends: one compare-and-swap loop, written once, over the
//! few statements each backend spells its own way ([`RotationSql`]).
//!
//! # Why N concurrent presentations of one token mint exactly one successor
//!
//! Each attempt is one transaction:
//! 1. look the presented digest up: its session and generation (none: `Unknown`). A filed
//!    token's session and generation never change, so this read needs no lock;
//! 2. refuse a successor digest that is already filed (`Conflict("session")`);
//! 3. load the family row, locked against concurrent rotation until the transaction ends
//!    (gone since step 1: `Unknown`);
//! 4. [`plan`] it, applying
//!    [`RefreshState::decide`](keycard_core::session::RefreshState::decide) exactly as the
//!    memory backend does under its lock;
//! 5. write the [`Step`] with a compare-and-swap on the generation it was planned from (and
//!    on the family not being revoked; for a replay, also on the replay count it read),
//!    file the successor's digest (a rotation only), and commit.
//!
//! The lock of step 3 serialises the attempts. SQLite's `BEGIN IMMEDIATE` takes the
//! database's write lock before the first read, so attempts run one after another, each
//! seeing the last one's commit. PostgreSQL's `SELECT ... FOR UPDATE` makes concurrent
//! attempts queue on the family's row; under READ COMMITTED the waiting statement then reads
//! the row as the winner committed it. Either way the second attempt plans from the rotated
//! generation, so its token is now the previous one: a replay of the same successor within
//! the grace window while replays are left, reuse after it or once they are used up.
//!
//! # Why N concurrent replays are bounded
//!
//! A replay is a write too: it sets the replay count to one more than it read, only if the
//! family still holds the generation and the count it was planned from. Attempts that read
//! the same count cannot both win, so the count grows by one per `Replayed` answer, and the
//! attempt that reads `max_replays` plans a revocation instead.
//!
//! The compare-and-swap of step 5 keeps the write correct without relying on that lock: a
//! step planned from a stale read matches no row, the attempt is rolled back, and the loop
//! starts again from step 1 with fresh reads. After [`MAX_ATTEMPTS`] lost swaps it gives up
//! with a backend error rather than guess.
//!
//! Nothing is half-written: an answer that needs no write (`Unknown`, `Dead`) and every
//! error drop the transaction, which rolls it back; only a won swap commits.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::opaque::TokenDigest;
use keycard_core::store::{Rotation, StoreError, StoreResult};

use super::MAX_ATTEMPTS;
use super::rows::{SessionRow, read_generation, stored_generation, stored_replays};
use crate::rotation::{Step, plan};

/// The statements of one rotation attempt, as one SQL backend spells them (placeholders,
/// locking, the transaction's kind). Each runs inside the transaction [`begin`] opened.
///
/// [`begin`]: RotationSql::begin
#[async_trait]
pub(crate) trait RotationSql: Sync {
    /// An open transaction; dropped without [`commit`](RotationSql::commit), it rolls back.
    type Tx: Send;

    /// The backend's name, for the error after [`MAX_ATTEMPTS`] lost swaps.
    const NAME: &'static str;

    /// Opens the transaction of one attempt.
    async fn begin(&self) -> StoreResult<Self::Tx>;

    /// The session and generation `digest` was filed under, if it was.
    async fn find_token(
        &self,
        tx: &mut Self::Tx,
        digest: &TokenDigest,
    ) -> StoreResult<Option<(String, i64)>>;

    /// Whether `digest` is filed at all.
    async fn token_exists(&self, tx: &mut Self::Tx, digest: &TokenDigest) -> StoreResult<bool>;

    /// The row of session `id`, locked against concurrent rotation until `tx` ends.
    async fn lock_family(&self, tx: &mut Self::Tx, id: &str) -> StoreResult<Option<SessionRow>>;

    /// Writes the rotation fields of `row` (generation, rotation time, sealed successor, last
    /// use, deadline) if the stored family is still at generation `from` and not revoked;
    /// whether it did.
    async fn swap_rotated(
        &self,
        tx: &mut Self::Tx,
        row: &SessionRow,
        from: i64,
    ) -> StoreResult<bool>;

    /// Files `digest` as the token of generation `generation` of session `id`.
    async fn file_token(
        &self,
        tx: &mut Self::Tx,
        digest: &TokenDigest,
        id: &str,
        generation: i64,
    ) -> StoreResult<()>;

    /// Sets the replay count of session `id` to `replays + 1` if it is still at generation
    /// `at` with `replays` counted, and not revoked; whether it did.
    async fn count_replay(
        &self,
        tx: &mut Self::Tx,
        id: &str,
        at: i64,
        replays: i64,
    ) -> StoreResult<bool>;

    /// Marks session `id` revoked as `reuse_detected` if it is still at generation `at` and
    /// not revoked; whether it did.
    async fn revoke_reused(&self, tx: &mut Self::Tx, id: &str, at: i64) -> StoreResult<bool>;

    /// Commits `tx`.
    async fn commit(&self, tx: Self::Tx) -> StoreResult<()>;
}

/// [`SessionStore::rotate_refresh`](keycard_core::store::SessionStore::rotate_refresh) on
/// backend `db`: the loop described at the top of this file.
pub(crate) async fn rotate_refresh<D: RotationSql>(
    db: &D,
    presented: &TokenDigest,
    successor: &TokenDigest,
    sealed_successor: &[u8],
    now: UnixTime,
    grace_secs: i64,
    max_replays: u32,
) -> StoreResult<Rotation> {
    for _ in 0..MAX_ATTEMPTS {
        let mut tx = db.begin().await?;
        let Some((id, generation)) = db.find_token(&mut tx, presented).await? else {
            return Ok(Rotation::Unknown);
        };
        if db.token_exists(&mut tx, successor).await? {
            return Err(StoreError::Conflict("session"));
        }
        let Some(row) = db.lock_family(&mut tx, &id).await? else {
            return Ok(Rotation::Unknown);
        };
        let step = plan(
            row.into_session()?,
            read_generation(generation)?,
            sealed_successor,
            now,
            grace_secs,
            max_replays,
        );
        let answer = match step {
            Step::Answer(answer) => return Ok(answer),
            Step::Rotate { from, session } => {
                let row = SessionRow::from_session(&session)?;
                if !db
                    .swap_rotated(&mut tx, &row, stored_generation(from)?)
                    .await?
                {
                    continue;
                }
                db.file_token(&mut tx, successor, &row.id, row.generation)
                    .await?;
                Rotation::Rotated(session)
            }
            Step::Replay {
                at,
                replays,
                session,
                sealed_successor,
            } => {
                if !db
                    .count_replay(
                        &mut tx,
                        session.id.as_str(),
                        stored_generation(at)?,
                        stored_replays(replays),
                    )
                    .await?
                {
                    continue;
                }
                Rotation::Replayed {
                    session,
                    sealed_successor,
                }
            }
            Step::Revoke { at, session } => {
                if !db
                    .revoke_reused(&mut tx, session.id.as_str(), stored_generation(at)?)
                    .await?
                {
                    continue;
                }
                Rotation::ReuseDetected(session)
            }
        };
        db.commit(tx).await?;
        return Ok(answer);
    }
    Err(StoreError::Backend(format!(
        "{}: refresh rotation lost its compare-and-swap {MAX_ATTEMPTS} times",
        D::NAME
    )))
}
