//! Opening the stores a configuration names: one URL for everything, or a SQL URL for
//! users, keys and audit plus a second URL for sessions, refresh families and revocations.
//!
//! | URL | backend |
//! |---|---|
//! | `memory:` | [`MemoryStore`](crate::memory::MemoryStore) (nothing survives a restart) |
//! | `sqlite://PATH` or `sqlite:PATH` | SQLite file at PATH (the embedded default) |
//! | `postgres://…`, `postgresql://…` | PostgreSQL |
//! | `redis://…`, `rediss://…` | Redis (sessions and revocations only) |
//! | `redis+cluster://HOST:PORT,HOST:PORT,…` | Redis Cluster (sessions and revocations only) |
//!
//! The revocation feed follows the store that holds revocations: Redis pub/sub
//! (`redis::RedisFeed`) when sessions live in Redis or Redis Cluster, `LISTEN`/`NOTIFY`
//! (`postgres::PostgresFeed`) in PostgreSQL, a poll of the file (`sqlite::SqliteFeed`) in
//! SQLite, and an in-process channel ([`LocalFeed`](crate::feed::local::LocalFeed)) in
//! memory.
//!
//! So do the login and registration limits every instance shares
//! ([`SharedLimiter`]): kept in Redis or Redis Cluster when sessions live there, in
//! PostgreSQL when they live there. SQLite and memory keep none ([`Stores::limits`] is
//! `None`): the auth service then counts in each process only, which is right for the one
//! instance such a store serves.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use keycard_core::store::{
    AuditStore, KeyStore, RevocationFeed, RevocationStore, SessionStore, SharedLimiter, StoreError,
    UserStore,
};

/// A parsed store URL.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// In memory.
    Memory,
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
    /// A standalone Redis URL.
    Redis(String),
    /// Redis Cluster seed nodes, each a `redis://` URL.
    RedisCluster(Vec<String>),
}

impl fmt::Debug for StoreUrl {
    // URLs may carry passwords: show the scheme and, for files, the path only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory:"),
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(_) => f.write_str("postgres://…"),
            Self::Redis(_) => f.write_str("redis://…"),
            Self::RedisCluster(nodes) => write!(f, "redis+cluster://… ({} nodes)", nodes.len()),
        }
    }
}

/// Why stores could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL's scheme is not one Keycard knows.
    #[error(
        "unsupported store URL {0:?}: use memory:, sqlite://PATH, postgres://…, redis://… or redis+cluster://HOST:PORT,…"
    )]
    UnsupportedUrl(String),
    /// Redis was named for users, keys and audit, which always live in SQL.
    #[error(
        "users, keys and audit need an SQL store (sqlite:// or postgres://); Redis can hold only sessions"
    )]
    NotSql,
    /// The backend was not compiled in.
    #[error("this build has no {0} backend (enable the keycard-store feature `{0}`)")]
    NotCompiledIn(&'static str),
    /// The backend could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FromStr for StoreUrl {
    type Err = OpenError;

    fn from_str(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| OpenError::UnsupportedUrl(url.to_owned()))?;
        let after_slashes = rest.strip_prefix("//").unwrap_or(rest);
        match scheme {
            "memory" if after_slashes.is_empty() => Ok(Self::Memory),
            "sqlite" if !after_slashes.is_empty() => Ok(Self::Sqlite(PathBuf::from(after_slashes))),
            "postgres" | "postgresql" => Ok(Self::Postgres(url.to_owned())),
            "redis" | "rediss" => Ok(Self::Redis(url.to_owned())),
            "redis+cluster" => {
                let nodes: Vec<String> = after_slashes
                    .split(',')
                    .map(str::trim)
                    .filter(|node| !node.is_empty())
                    .map(|node| format!("redis://{node}"))
                    .collect();
                if nodes.is_empty() {
                    return Err(OpenError::UnsupportedUrl(url.to_owned()));
                }
                Ok(Self::RedisCluster(nodes))
            }
            _ => Err(OpenError::UnsupportedUrl(scheme.to_owned())),
        }
    }
}

/// Every store the server uses, by role.
#[derive(Clone)]
pub struct Stores {
    /// Accounts (SQL).
    pub users: Arc<dyn UserStore>,
    /// Signing keys (SQL).
    pub keys: Arc<dyn KeyStore>,
    /// The audit log (SQL).
    pub audit: Arc<dyn AuditStore>,
    /// Sessions and refresh families (SQL or Redis).
    pub sessions: Arc<dyn SessionStore>,
    /// Revocations (SQL or Redis).
    pub revocations: Arc<dyn RevocationStore>,
    /// How revocations reach the other instances sharing the session store.
    pub feed: Arc<dyn RevocationFeed>,
    /// The login and registration limits shared by every instance using the session store
    /// (Redis, Redis Cluster, PostgreSQL); `None` for SQLite and memory, whose limits are
    /// counted in-process.
    pub limits: Option<Arc<dyn SharedLimiter>>,
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stores { .. }")
    }
}

/// A backend that holds everything.
trait SqlStores: UserStore + KeyStore + AuditStore + SessionStore + RevocationStore + 'static {}
impl<T: UserStore + KeyStore + AuditStore + SessionStore + RevocationStore + 'static> SqlStores
    for T
{
}

fn all<T: SqlStores>(
    store: T,
    feed: Arc<dyn RevocationFeed>,
    limits: impl FnOnce(&Arc<T>) -> Option<Arc<dyn SharedLimiter>>,
) -> Stores {
    let store = Arc::new(store);
    Stores {
        limits: limits(&store),
        users: store.clone(),
        keys: store.clone(),
        audit: store.clone(),
        sessions: store.clone(),
        revocations: store,
        feed,
    }
}

/// Opens the stores: `main` holds users, keys and audit, and also sessions and revocations
/// unless `sessions` names another store. `redis_prefix` namespaces Redis keys.
pub async fn open(
    main: &StoreUrl,
    sessions: Option<&StoreUrl>,
    redis_prefix: &str,
) -> Result<Stores, OpenError> {
    let mut stores = open_sql(main).await?;
    if let Some(url) = sessions.filter(|url| *url != main) {
        let side = open_sessions(url, redis_prefix).await?;
        stores.sessions = side.sessions;
        stores.revocations = side.revocations;
        stores.feed = side.feed;
        stores.limits = side.limits;
    }
    Ok(stores)
}

async fn open_sql(url: &StoreUrl) -> Result<Stores, OpenError> {
    match url {
        #[cfg(feature = "memory")]
        StoreUrl::Memory => Ok(all(
            crate::memory::MemoryStore::new(),
            Arc::new(crate::feed::local::LocalFeed::new()),
            |_| None,
        )),
        #[cfg(feature = "sqlite")]
        StoreUrl::Sqlite(path) => {
            let store = crate::sqlite::SqliteStore::open(path).await?;
            let feed = Arc::new(store.feed());
            Ok(all(store, feed, |_| None))
        }
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => {
            let store = crate::postgres::PostgresStore::connect(url).await?;
            let feed = Arc::new(store.feed());
            Ok(all(store, feed, |store| {
                Some(store.clone() as Arc<dyn SharedLimiter>)
            }))
        }
        StoreUrl::Redis(_) | StoreUrl::RedisCluster(_) => Err(OpenError::NotSql),
        #[allow(unreachable_patterns)]
        other => Err(OpenError::NotCompiledIn(backend_name(other))),
    }
}

/// What the session store's URL opens.
struct SessionSide {
    sessions: Arc<dyn SessionStore>,
    revocations: Arc<dyn RevocationStore>,
    feed: Arc<dyn RevocationFeed>,
    limits: Option<Arc<dyn SharedLimiter>>,
}

#[cfg(feature = "redis")]
fn redis_side(store: crate::redis::RedisStore) -> SessionSide {
    let store = Arc::new(store);
    SessionSide {
        feed: Arc::new(store.feed()),
        sessions: store.clone(),
        revocations: store.clone(),
        limits: Some(store),
    }
}

async fn open_sessions(url: &StoreUrl, redis_prefix: &str) -> Result<SessionSide, OpenError> {
    match url {
        #[cfg(feature = "redis")]
        StoreUrl::Redis(url) => Ok(redis_side(
            crate::redis::RedisStore::connect(url, redis_prefix).await?,
        )),
        #[cfg(feature = "redis")]
        StoreUrl::RedisCluster(nodes) => {
            let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
            Ok(redis_side(
                crate::redis::RedisStore::connect_cluster(&nodes, redis_prefix).await?,
            ))
        }
        sql => {
            let _ = redis_prefix;
            let stores = open_sql(sql).await?;
            Ok(SessionSide {
                sessions: stores.sessions,
                revocations: stores.revocations,
                feed: stores.feed,
                limits: stores.limits,
            })
        }
    }
}

fn backend_name(url: &StoreUrl) -> &'static str {
    match url {
        StoreUrl::Memory => "memory",
        StoreUrl::Sqlite(_) => "sqlite",
        StoreUrl::Postgres(_) => "postgres",
        StoreUrl::Redis(_) | StoreUrl::RedisCluster(_) => "redis",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        assert_eq!("memory:".parse::<StoreUrl>().unwrap(), StoreUrl::Memory);
        assert_eq!(
            "sqlite://./keycard-data/keycard.sqlite3"
                .parse::<StoreUrl>()
                .unwrap(),
            StoreUrl::Sqlite("./keycard-data/keycard.sqlite3".into())
        );
        assert_eq!(
            "sqlite:/var/lib/k.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("/var/lib/k.db".into())
        );
        assert!(matches!(
            "postgres://u:p@db/k".parse::<StoreUrl>().unwrap(),
            StoreUrl::Postgres(_)
        ));
        assert!(matches!(
            "postgresql://db/k".parse::<StoreUrl>().unwrap(),
            StoreUrl::Postgres(_)
        ));
        assert!(matches!(
            "rediss://cache:6380".parse::<StoreUrl>().unwrap(),
            StoreUrl::Redis(_)
        ));
        assert_eq!(
            "redis+cluster://10.0.0.1:7001, 10.0.0.2:7002"
                .parse::<StoreUrl>()
                .unwrap(),
            StoreUrl::RedisCluster(vec![
                "redis://10.0.0.1:7001".into(),
                "redis://10.0.0.2:7002".into()
            ])
        );
        for bad in [
            "",
            "mysql://x",
            "sqlite://",
            "memory://x",
            "redis+cluster://",
            "nonsense",
        ] {
            assert!(bad.parse::<StoreUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let url: StoreUrl = "postgres://admin:hunter2@db/k".parse().unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
        let url: StoreUrl = "redis://:hunter2@cache".parse().unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn redis_cannot_hold_users() {
        let url: StoreUrl = "redis://127.0.0.1:1".parse().unwrap();
        assert!(matches!(
            open(&url, None, "p").await,
            Err(OpenError::NotSql)
        ));
    }

    #[tokio::test]
    async fn one_url_opens_everything_in_one_place() {
        use keycard_core::user::{Email, PasswordHash, User};
        let stores = open(&StoreUrl::Memory, None, "p").await.unwrap();
        let user = User::new(
            Email::parse("a@b.c").unwrap(),
            PasswordHash::new("$argon2id$x"),
            keycard_core::UnixTime::from_secs(0),
        )
        .unwrap();
        stores.users.create_user(&user).await.unwrap();
        assert!(stores.users.load_user(&user.id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn single_instance_stores_share_no_limits() {
        let stores = open(&StoreUrl::Memory, None, "p").await.unwrap();
        assert!(stores.limits.is_none());
        let dir = tempfile::tempdir().unwrap();
        let sqlite = StoreUrl::Sqlite(dir.path().join("k.sqlite3"));
        let stores = open(&sqlite, Some(&StoreUrl::Memory), "p").await.unwrap();
        assert!(stores.limits.is_none());
        let stores = open(&sqlite, None, "p").await.unwrap();
        assert!(stores.limits.is_none());
    }
}
