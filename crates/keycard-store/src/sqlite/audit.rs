//! SQLite audit log: append-only rows, numbered in append order, queried newest first by
//! the query both SQL backends build alike ([`audit_query`]).

use async_trait::async_trait;
use keycard_core::audit::{AuditEvent, AuditQuery};
use keycard_core::store::{AuditStore, StoreResult};
use sqlx::Sqlite;

use super::{SqliteStore, store_error};
use crate::sql::audit::audit_query;
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
        let mut sql = audit_query::<Sqlite>(query);
        sql.build_query_as::<AuditRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(AuditRow::into_event)
            .collect()
    }
}
