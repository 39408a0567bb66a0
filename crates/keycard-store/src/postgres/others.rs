//! PostgreSQL revocations, signing keys and the audit log: the small stores, one statement
//! per operation.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::audit::{AuditEvent, AuditQuery};
use keycard_core::jose::KeyRole;
use keycard_core::key_record::KeyRecord;
use keycard_core::revocation::Revocation;
use keycard_core::store::{AuditStore, KeyStore, RevocationStore, StoreResult};
use sqlx::{Postgres, QueryBuilder};

use super::{PostgresStore, store_error};
use crate::sql::rows::{AuditRow, KeyRow, RevocationRow, role_name};

#[async_trait]
impl RevocationStore for PostgresStore {
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        let row = RevocationRow::from_revocation(revocation);
        sqlx::query(
            "INSERT INTO revocations (key, kind, session_id, user_id, not_before, at, \
             forget_after) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, \
             session_id = excluded.session_id, user_id = excluded.user_id, \
             not_before = excluded.not_before, at = excluded.at, \
             forget_after = excluded.forget_after",
        )
        .bind(&row.key)
        .bind(&row.kind)
        .bind(&row.session_id)
        .bind(&row.user_id)
        .bind(row.not_before)
        .bind(row.at)
        .bind(row.forget_after)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn live_revocations(&self, now: UnixTime) -> StoreResult<Vec<Revocation>> {
        // Forget what no longer needs remembering, as the memory backend does, so the
        // table stays as small as the live set: one round trip, as both parts of the
        // statement see the same snapshot.
        sqlx::query_as::<_, RevocationRow>(
            "WITH forgotten AS (DELETE FROM revocations WHERE forget_after <= $1) \
             SELECT * FROM revocations WHERE forget_after > $1",
        )
        .bind(now.as_secs())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(RevocationRow::into_revocation)
        .collect()
    }
}

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

    async fn delete_key(&self, kid: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected() > 0)
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        let row = AuditRow::from_event(event);
        sqlx::query(
            "INSERT INTO audit_events (at, kind, user_id, session_id, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(row.at)
        .bind(&row.kind)
        .bind(&row.user_id)
        .bind(&row.session_id)
        .bind(&row.ip)
        .bind(&row.user_agent)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let mut sql = QueryBuilder::<Postgres>::new("SELECT * FROM audit_events WHERE 1 = 1");
        if let Some(user) = &query.user_id {
            sql.push(" AND user_id = ").push_bind(user.as_str());
        }
        if let Some(session) = &query.session_id {
            sql.push(" AND session_id = ").push_bind(session.as_str());
        }
        if let Some(since) = query.since {
            sql.push(" AND at >= ").push_bind(since.as_secs());
        }
        if let Some(until) = query.until {
            sql.push(" AND at < ").push_bind(until.as_secs());
        }
        // Newest first; among equal times, the later append first.
        sql.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(i64::from(query.effective_limit()));
        sql.build_query_as::<AuditRow>()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(AuditRow::into_event)
            .collect()
    }
}
