//! The one error every store backend maps its own errors into.

/// A store failure. `Backend` text is for logs only: it never reaches a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was violated (the named one: `email`, `session`, `kid`, ...).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The backend is unreachable or failed.
    #[error("store backend failed: {0}")]
    Backend(String),
    /// A record read back does not make sense (a bad enum name, an impossible value).
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;
