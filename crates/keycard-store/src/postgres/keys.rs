//! PostgreSQL signing keys: one row per kid (its primary key, so a kid is saved once),
//! with its role, its retirement time and its private half as the key vault sealed it.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::jose::KeyRole;
use keycard_core::key_record::KeyRecord;
use keycard_core::store::{KeyStore, StoreResult};

use super::{PostgresStore, store_error};
use crate::sql::rows::{KeyRow, role_name};

#[async_trait]
impl KeyStore for PostgresStore {
    async fn save_key(&self, record: &KeyRecord) -> StoreResult<()> {
        let row = KeyRow::from_record(record);
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, role, created_at, retire_after, public_jwk, \
             sealed_private) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.kid)
        .bind(&row.alg)
        .bind(&row.role)
        .bind(row.created_at)
        .bind(row.retire_after)
        .bind(&row.public_jwk)
        .bind(&row.sealed_private)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn load_keys(&self) -> StoreResult<Vec<KeyRecord>> {
        sqlx::query_as::<_, KeyRow>("SELECT * FROM signing_keys ORDER BY created_at, seq")
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(KeyRow::into_record)
            .collect()
    }

    async fn set_key_role(
        &self,
        kid: &str,
        role: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool> {
        let updated =
            sqlx::query("UPDATE signing_keys SET role = $1, retire_after = $2 WHERE kid = $3")
                .bind(role_name(role))
                .bind(retire_after.map(UnixTime::as_secs))
                .bind(kid)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(updated.rows_affected() > 0)
    }

    async fn swap_key_role(
        &self,
        kid: &str,
        from: KeyRole,
        to: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE signing_keys SET role = $1, retire_after = $2 WHERE kid = $3 AND role = $4",
        )
        .bind(role_name(to))
        .bind(retire_after.map(UnixTime::as_secs))
        .bind(kid)
        .bind(role_name(from))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(updated.rows_affected() > 0)
    }

    async fn delete_key(&self, kid: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected() > 0)
    }
}
