//! SQLite audit log: append-only rows, numbered in append order, queried newest first.

use async_trait::async_trait;
use keycard_core::audit::{AuditEvent, AuditQuery};
use keycard_core::store::{AuditStore, StoreResult};
use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, store_error};
use crate::sql::rows::AuditRow;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        let row = AuditRow::from_event(event);
        sqlx::query(
            "INSERT INTO audit_events (at, kind, user_id, session_id, ip, user_agent) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(row.at)
        .bind(&row.kind)
        .bind(&row.user_id)
        .bind(&row.session_id)
        .bind(&row.ip)
        .bind(&row.user_agent)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let mut sql = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_events WHERE 1 = 1");
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
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(AuditRow::into_event)
            .collect()
    }
}
