//! Which stores a benchmark server uses: a name such as `sqlite`, `postgres`,
//! `postgres+redis` or `sqlite+redis` (users, keys and audit before the `+`, sessions and
//! revocations after it), or the URLs given with `--user-store` / `--session-store`.
//! Each server gets its own PostgreSQL schema and Redis key prefix, so runs never see each
//! other's users or keys; the schema is dropped when the server is done.

use std::fmt;
use std::path::Path;

use keycard_store::open::StoreUrl;
use sqlx::Connection as _;

use crate::failure::Failure;

/// Where the default backends are.
#[derive(Debug, Clone)]
pub struct Locations {
    /// PostgreSQL, for `postgres`.
    pub postgres: String,
    /// Redis, for `redis`.
    pub redis: String,
}

/// One store by kind, or a URL given as is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Sqlite,
    Memory,
    Postgres,
    Redis,
    Url(String),
}

impl Part {
    fn parse(name: &str) -> Result<Self, String> {
        match name {
            "sqlite" => Ok(Self::Sqlite),
            "memory" => Ok(Self::Memory),
            "postgres" => Ok(Self::Postgres),
            "redis" => Ok(Self::Redis),
            other => Err(format!(
                "unknown store {other:?}: use sqlite, memory, postgres or redis"
            )),
        }
    }
}

/// The stores of one benchmark server.
#[derive(Clone, PartialEq, Eq)]
pub struct Backend {
    name: String,
    users: Part,
    sessions: Option<Part>,
}

impl fmt::Debug for Backend {
    // A custom URL may hold a password: the name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Backend({})", self.name)
    }
}

impl Backend {
    /// `users[+sessions]`, e.g. `sqlite` or `postgres+redis`.
    pub fn parse(name: &str) -> Result<Self, String> {
        let (users, sessions) = match name.split_once('+') {
            Some((users, sessions)) => (Part::parse(users)?, Some(Part::parse(sessions)?)),
            None => (Part::parse(name)?, None),
        };
        if users == Part::Redis {
            return Err(format!(
                "{name}: users, keys and audit need an SQL store; Redis can hold only sessions (try postgres+redis)"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            users,
            sessions,
        })
    }

    /// The stores named by URL (`--user-store`, `--session-store`); SQLite in the
    /// server's data dir where none is given.
    pub fn custom(users: Option<String>, sessions: Option<String>) -> Self {
        let scheme = |url: &Option<String>| {
            url.as_deref()
                .and_then(|url| url.split_once(':'))
                .map_or("sqlite", |(scheme, _)| scheme)
                .to_owned()
        };
        let name = match &sessions {
            Some(_) => format!("{}+{}", scheme(&users), scheme(&sessions)),
            None => scheme(&users),
        };
        Self {
            name,
            users: users.map_or(Part::Sqlite, Part::Url),
            sessions: sessions.map(Part::Url),
        }
    }

    /// The name the report uses.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store URLs of one server whose data dir is `data_dir`, with its own schema and
    /// prefix named from `tag` (lowercase letters, digits and `_`).
    pub async fn prepare(
        &self,
        locations: &Locations,
        data_dir: &Path,
        tag: &str,
    ) -> Result<Prepared, Failure> {
        let mut prepared = Prepared {
            users: StoreUrl::Memory,
            sessions: None,
            redis_prefix: format!("keycard-bench-{tag}"),
            schema: None,
        };
        prepared.users = prepared.url(&self.users, locations, data_dir, tag).await?;
        if let Some(part) = &self.sessions {
            prepared.sessions = Some(prepared.url(part, locations, data_dir, tag).await?);
        }
        Ok(prepared)
    }
}

/// The stores of one server, ready to open.
#[derive(Debug)]
pub struct Prepared {
    /// Users, keys and audit.
    pub users: StoreUrl,
    /// Sessions and revocations, if not the user store.
    pub sessions: Option<StoreUrl>,
    /// The Redis key prefix.
    pub redis_prefix: String,
    /// A PostgreSQL schema made for this server: (server URL, schema).
    schema: Option<(String, String)>,
}

impl Prepared {
    async fn url(
        &mut self,
        part: &Part,
        locations: &Locations,
        data_dir: &Path,
        tag: &str,
    ) -> Result<StoreUrl, Failure> {
        let parse = |url: &str| {
            url.parse::<StoreUrl>()
                .map_err(|e| Failure::Input(format!("store URL: {e}")))
        };
        match part {
            Part::Sqlite => Ok(StoreUrl::Sqlite(data_dir.join("keycard.sqlite3"))),
            Part::Memory => Ok(StoreUrl::Memory),
            Part::Redis => parse(&locations.redis),
            Part::Url(url) => parse(url),
            Part::Postgres => {
                let schema = format!("kc_bench_{tag}");
                if let Some((url, _)) = &self.schema {
                    return parse(url);
                }
                // Creates the schema and its tables; the server then connects inside it.
                keycard_store::postgres::PostgresStore::connect_in_schema(
                    &locations.postgres,
                    &schema,
                )
                .await
                .map_err(|e| {
                    Failure::Input(format!("PostgreSQL at {}: {e}", locations.postgres))
                })?;
                let separator = if locations.postgres.contains('?') {
                    '&'
                } else {
                    '?'
                };
                let url = format!(
                    "{}{separator}options=-c%20search_path%3D{schema}",
                    locations.postgres
                );
                self.schema = Some((locations.postgres.clone(), schema));
                parse(&url)
            }
        }
    }

    /// Drops the PostgreSQL schema made for the server, if any. Redis keys are left to
    /// their expiry.
    pub async fn clean_up(self) {
        let Some((url, schema)) = self.schema else {
            return;
        };
        let dropped = async {
            let mut connection = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut connection)
                .await?;
            connection.close().await
        }
        .await;
        if let Err(e) = dropped {
            eprintln!("bench: could not drop the PostgreSQL schema {schema}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_users_and_sessions() {
        assert_eq!(Backend::parse("sqlite").unwrap().name(), "sqlite");
        let both = Backend::parse("postgres+redis").unwrap();
        assert_eq!(both.users, Part::Postgres);
        assert_eq!(both.sessions, Some(Part::Redis));
        assert!(Backend::parse("redis").unwrap_err().contains("SQL"));
        assert!(
            Backend::parse("mysql")
                .unwrap_err()
                .contains("unknown store")
        );
    }

    #[test]
    fn custom_backends_are_named_by_scheme() {
        let custom = Backend::custom(
            Some("postgres://u:secret@db/x".into()),
            Some("redis://r".into()),
        );
        assert_eq!(custom.name(), "postgres+redis");
        assert!(!format!("{custom:?}").contains("secret"));
        assert_eq!(Backend::custom(None, None).name(), "sqlite");
    }
}
