//! The audit-log query, built once for both SQL backends: the filters and the order are the
//! same text in either dialect, and `QueryBuilder` writes each backend's placeholders
//! (`?` or `$n`) as it binds.

use keycard_core::audit::AuditQuery;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// `SELECT * FROM audit_events` narrowed by `query`'s user, session and time window,
/// newest first (among equal times, the later append first), at most its effective limit.
/// Each backend fetches it as [`AuditRow`](super::rows::AuditRow)s.
pub(crate) fn audit_query<'a, DB>(query: &'a AuditQuery) -> QueryBuilder<'a, DB>
where
    DB: Database,
    DB::Arguments<'a>: Default,
    &'a str: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new("SELECT * FROM audit_events WHERE 1 = 1");
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
    sql.push(" ORDER BY at DESC, id DESC LIMIT ")
        .push_bind(i64::from(query.effective_limit()));
    sql
}

#[cfg(test)]
mod tests {
    use keycard_core::{SessionId, UnixTime, UserId};

    use super::*;

    fn everything() -> AuditQuery {
        AuditQuery {
            user_id: Some(UserId::new("u")),
            session_id: Some(SessionId::new("s")),
            since: Some(UnixTime::from_secs(1)),
            until: Some(UnixTime::from_secs(2)),
            ..AuditQuery::default()
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_spells_every_filter_with_question_marks() {
        let query = everything();
        let sql = audit_query::<sqlx::Sqlite>(&query);
        assert_eq!(
            sql.sql(),
            "SELECT * FROM audit_events WHERE 1 = 1 AND user_id = ? AND session_id = ? \
             AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?"
        );
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_numbers_its_placeholders() {
        let query = AuditQuery {
            since: None,
            ..everything()
        };
        let sql = audit_query::<sqlx::Postgres>(&query);
        assert_eq!(
            sql.sql(),
            "SELECT * FROM audit_events WHERE 1 = 1 AND user_id = $1 AND session_id = $2 \
             AND at < $3 ORDER BY at DESC, id DESC LIMIT $4"
        );
        let unfiltered = AuditQuery::default();
        assert_eq!(
            audit_query::<sqlx::Postgres>(&unfiltered).sql(),
            "SELECT * FROM audit_events WHERE 1 = 1 ORDER BY at DESC, id DESC LIMIT $1"
        );
    }
}
