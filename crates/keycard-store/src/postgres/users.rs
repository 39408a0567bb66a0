//! PostgreSQL accounts. The email column holds the normalised address under a unique
//! constraint (`users_email_key`), so two spellings of one address can never make two
//! accounts, even when created concurrently by two instances.

use async_trait::async_trait;
use keycard_core::store::{HashSwap, StoreResult, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{UnixTime, UserId};

use super::{PostgresStore, store_error};
use crate::sql::rows::UserRow;

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, disabled, not_before, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id.as_str())
        .bind(user.email.as_str())
        .bind(user.password_hash.as_str())
        .bind(user.disabled)
        .bind(user.not_before.as_secs())
        .bind(user.created_at.as_secs())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn load_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        let row = sqlx::query_as::<_, UserRow>("SELECT * FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(row.map(UserRow::into_user))
    }

    async fn load_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        let row = sqlx::query_as::<_, UserRow>("SELECT * FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(row.map(UserRow::into_user))
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<HashSwap> {
        // The compare-and-swap is the one conditional UPDATE; only when it matched no row is
        // there a second look, to say whether the user exists at all.
        let swapped =
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
                .bind(new.as_str())
                .bind(id.as_str())
                .bind(expected.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        if swapped.rows_affected() > 0 {
            return Ok(HashSwap::Replaced);
        }
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(if exists.is_some() {
            HashSwap::Changed
        } else {
            HashSwap::NoSuchUser
        })
    }

    async fn set_disabled(&self, id: &UserId, disabled: bool) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(updated.rows_affected() > 0)
    }

    async fn bump_not_before(&self, id: &UserId, at: UnixTime) -> StoreResult<Option<UnixTime>> {
        // One statement: never moves back, even against a concurrent bump.
        let now_in_force: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET not_before = GREATEST(not_before, $1) WHERE id = $2 \
             RETURNING not_before",
        )
        .bind(at.as_secs())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(now_in_force.map(UnixTime::from_secs))
    }
}
