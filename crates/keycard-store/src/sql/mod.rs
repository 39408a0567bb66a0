//! What the SQL backends share, so SQLite and PostgreSQL read and decide alike.
//!
//! - [`rows`]: rows as plain values (`sqlx::FromRow` for either database) and their
//!   conversion to and from the domain records, with the stored names of every enum.
//! - [`rotation`]: the compare-and-swap loop of `rotate_refresh`, written once over the
//!   few statements each backend spells its own way; what to write once a family is loaded
//!   is [`crate::rotation`]'s plan, and the rule itself stays in
//!   [`RefreshState::decide`](keycard_core::session::RefreshState::decide).
//! - [`audit`]: the audit-log query, one builder for both dialects.
//! - [`conflict_name`]: the uniqueness rule a violated constraint stands for.
//!
//! The SQL text lives in each backend: the dialects differ in small ways (placeholders,
//! locking, `MIN`/`LEAST`, collation) that matter, and a query reads best beside its binds.

pub(crate) mod audit;
pub(crate) mod rotation;
pub(crate) mod rows;

/// How many times a backend re-runs a transaction that lost a compare-and-swap or met a
/// busy database before giving up with a backend error.
pub(crate) const MAX_ATTEMPTS: usize = 8;

/// The rule (`StoreError::Conflict` name) a uniqueness violation on `table` stands for;
/// `detail` is the constraint name (PostgreSQL) or the `table.column` list (SQLite).
pub(crate) fn conflict_name(table: &str, detail: &str) -> &'static str {
    match table {
        "users" if detail.contains("email") => "email",
        "users" => "user",
        "sessions" | "session_tokens" => "session",
        "signing_keys" => "kid",
        "revocations" => "revocation",
        _ => "record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_name_their_rule() {
        assert_eq!(conflict_name("users", "users_email_key"), "email");
        assert_eq!(conflict_name("users", "users.email"), "email");
        assert_eq!(conflict_name("users", "users_pkey"), "user");
        assert_eq!(
            conflict_name("session_tokens", "session_tokens.digest"),
            "session"
        );
        assert_eq!(conflict_name("sessions", "sessions_pkey"), "session");
        assert_eq!(conflict_name("signing_keys", "signing_keys_pkey"), "kid");
        assert_eq!(conflict_name("elsewhere", ""), "record");
    }
}
