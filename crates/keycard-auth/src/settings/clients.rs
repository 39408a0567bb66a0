//! The OAuth clients of the introspection, revocation and revocation-stream endpoints: an
//! id, a secret, and what the client may do.
//!
//! Written the same way in every source (`--clients`, `KEYCARD_CLIENTS`, the TOML string
//! `clients`): entries separated by commas, each `id:secret` or `id[perm+perm]:secret`, where
//! a permission is `introspect`, `revoke` or `revocations` (read the revocation stream). An
//! entry without brackets may introspect only: revoking ends another user's session, so it
//! is granted by name. An id is visible ASCII without `:`, `,`, `[` or `]`; the secret is
//! everything after the first `:` that follows the id. `Debug` shows ids and permissions,
//! never secrets, and no error quotes the text.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::values::Secret;

/// What a client may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// `POST /v1/introspect` (RFC 7662).
    Introspect,
    /// `POST /v1/revoke` (RFC 7009): ends the session a token belongs to.
    Revoke,
    /// `GET /v1/revocations`: follow the revocation stream.
    Revocations,
}

impl Permission {
    /// The name used in configuration.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Introspect => "introspect",
            Self::Revoke => "revoke",
            Self::Revocations => "revocations",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Introspect, Self::Revoke, Self::Revocations]
            .into_iter()
            .find(|permission| permission.name() == name)
    }
}

/// One configured client.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret, compared in constant time.
    pub secret: Secret,
    /// What it may do, sorted, without repeats.
    pub permissions: Vec<Permission>,
}

impl Client {
    /// Whether the client holds `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

/// The configured clients (none: the client endpoints answer 401).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Clients(Vec<Client>);

impl Clients {
    /// The clients, in the order configured.
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.0.iter()
    }

    /// The client with id `id`, if it is configured.
    pub fn get(&self, id: &str) -> Option<&Client> {
        self.0.iter().find(|client| client.id == id)
    }

    /// Whether no client is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for Clients {
    type Err = String;

    /// Never quotes the text: it holds secrets.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut clients: Vec<Client> = Vec::new();
        for (n, entry) in text.split(',').map(str::trim).enumerate() {
            let n = n + 1;
            let Some((head, secret)) = entry.split_once(':') else {
                return Err(format!(
                    "entry {n} is not `id:secret` or `id[introspect+revoke]:secret`"
                ));
            };
            let (id, permissions) = parse_head(head.trim(), n)?;
            if clients.iter().any(|known| known.id == id) {
                return Err(format!("client id {id:?} appears twice"));
            }
            clients.push(Client {
                id,
                secret: secret.parse()?,
                permissions,
            });
        }
        Ok(Self(clients))
    }
}

/// `id` or `id[perm+perm]`.
fn parse_head(head: &str, n: usize) -> Result<(String, Vec<Permission>), String> {
    let (id, permissions) = match head.split_once('[') {
        None => (head, vec![Permission::Introspect]),
        Some((id, rest)) => {
            let names = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("entry {n}: `[` without a closing `]`"))?;
            let mut permissions = names
                .split('+')
                .map(|name| {
                    Permission::parse(name.trim()).ok_or_else(|| {
                        format!(
                            "entry {n}: {:?} is not a permission (introspect, revoke, revocations)",
                            name.trim()
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            permissions.sort();
            permissions.dedup();
            (id.trim(), permissions)
        }
    };
    let visible = |c: char| c.is_ascii_graphic() && !matches!(c, '[' | ']');
    if id.is_empty() || !id.chars().all(visible) {
        return Err(format!(
            "entry {n}: the client id must be visible ASCII without brackets, not empty"
        ));
    }
    Ok((id.to_owned(), permissions))
}

impl<'de> Deserialize<'de> for Clients {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_parse_and_never_show_their_secrets() {
        let clients: Clients = "api:s3cret-one, worker[revoke+introspect]:s3cret:two"
            .parse()
            .unwrap();
        let api = clients.get("api").unwrap();
        assert_eq!(api.secret.expose(), "s3cret-one");
        assert_eq!(api.permissions, [Permission::Introspect]);
        let worker = clients.get("worker").unwrap();
        assert_eq!(worker.secret.expose(), "s3cret:two");
        assert!(worker.may(Permission::Revoke) && worker.may(Permission::Introspect));
        assert!(!worker.may(Permission::Revocations));
        assert!(clients.get("other").is_none());
        let debug = format!("{clients:?}");
        assert!(
            debug.contains("api") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn malformed_entries_are_refused_without_quoting_secrets() {
        for bad in [
            "",
            "hunter2",
            ":hunter2",
            "a b:hunter2",
            "api:hunter2,api:hunter2",
            "api[admin]:hunter2",
            "api[revoke:hunter2",
            "[revoke]:hunter2",
        ] {
            let error = bad.parse::<Clients>().unwrap_err();
            assert!(!error.contains("hunter2"), "{bad}: {error}");
        }
    }
}
