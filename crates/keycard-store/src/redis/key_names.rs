//! Redis key names: every key the Redis backend touches is spelled here. (Signing keys
//! are not here: they live in SQL.)
//!
//! All of one user's records share the hash tag `{<prefix>:u:<user>}`, so they live in one
//! Redis Cluster slot and one Lua script can change them together. Lookups that cannot know
//! the user (a presented token, a bare session id) go through small index keys in their own
//! slots, which only say where to look:
//!
//! | key | type | holds | expires |
//! |---|---|---|---|
//! | `{P:u:<user>}:s:<sid>` | hash | the session's fields ([`super::codec`]) | at its idle/absolute deadline |
//! | `{P:u:<user>}:s:<sid>:t` | hash | token digest (hex) → generation, every token the family issued | with the session |
//! | `{P:u:<user>}:sessions` | sorted set | the user's session ids, scored by deadline | with the user's last session |
//! | `P:t:<digest hex>` | string | `<user> <sid> <absolute expiry>`: where a token's session lives | at the absolute expiry |
//! | `P:s:<sid>` | string | `<user>`: whose session an id is | at the absolute expiry |
//! | `P:expiring` | sorted set | `<user> <sid>`, scored by a lower bound of the deadline: what the sweep walks | at the latest absolute expiry |
//! | `{P:rev}:all` | hash | revocation key → revocation | at the latest `forget_after` |
//! | `{P:rev}:forget` | sorted set | revocation key, scored by `forget_after` | likewise |
//! | `{P:lim}:<bucket>` | string | a limit bucket's `full_at` in ms ([`super::limits`]) | when the bucket is full again |
//! | `P:revocations` | pub/sub channel | the revocation feed's messages ([`super::feed`]) | (not a key) |
//!
//! Ids go into key names [escaped](escape): anything outside `[A-Za-z0-9_.-]` (so never a
//! brace, a colon or a space) becomes `%XX`. Generated ids are base64url and pass unchanged,
//! while an id that contains `}` can neither break a hash tag nor make two keys collide.

use std::borrow::Cow;
use std::fmt::Write as _;

use keycard_core::SessionId;
use keycard_core::opaque::TokenDigest;

/// Whether `byte` may appear unescaped in a key name.
fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

/// `id` with every byte outside `[A-Za-z0-9_.-]` written as `%XX`: injective, and the result
/// never contains a brace, a colon or a space.
pub(super) fn escape(id: &str) -> Cow<'_, str> {
    if id.bytes().all(is_plain) {
        return Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if is_plain(byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    Cow::Owned(out)
}

/// A token digest in lowercase hex, as it appears in key names and token hashes.
pub(super) fn digest_hex(digest: &TokenDigest) -> String {
    let mut out = String::with_capacity(64);
    for byte in digest.as_bytes() {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The names of one store's keys, under its prefix.
#[derive(Clone, Debug)]
pub(super) struct KeyNames {
    prefix: String,
}

/// The keys of one session, all in its user's slot.
#[derive(Debug)]
pub(super) struct SessionKeys {
    /// The session's hash.
    pub hash: String,
    /// The family's token digest → generation hash.
    pub tokens: String,
    /// The user's sorted set of session ids.
    pub user_sessions: String,
    /// The escaped user id.
    pub user: String,
    /// The escaped session id: the member of `user_sessions`.
    pub member: String,
}

impl KeyNames {
    /// Keys under `prefix`, which must not contain a brace (it is part of every hash tag).
    pub fn new(prefix: &str) -> Option<Self> {
        (!prefix.contains(['{', '}'])).then(|| Self {
            prefix: prefix.to_owned(),
        })
    }

    /// `{P:u:<user>}`: the hash tag of a user's records. `user` is already escaped.
    fn user_tag(&self, user: &str) -> String {
        format!("{{{}:u:{user}}}", self.prefix)
    }

    /// The user's sorted set of session ids; `user` is already escaped.
    pub fn user_sessions(&self, user: &str) -> String {
        format!("{}:sessions", self.user_tag(user))
    }

    /// The keys of session `sid` of `user`, both already escaped.
    pub fn session(&self, user: &str, sid: &str) -> SessionKeys {
        let tag = self.user_tag(user);
        SessionKeys {
            hash: format!("{tag}:s:{sid}"),
            tokens: format!("{tag}:s:{sid}:t"),
            user_sessions: format!("{tag}:sessions"),
            user: user.to_owned(),
            member: sid.to_owned(),
        }
    }

    /// The token index entry of a digest given in hex.
    pub fn token(&self, hex: &str) -> String {
        format!("{}:t:{hex}", self.prefix)
    }

    /// The session id index entry of an (unescaped) session id.
    pub fn session_owner(&self, id: &SessionId) -> String {
        self.session_owner_escaped(&escape(id.as_str()))
    }

    /// The session id index entry of an escaped session id.
    pub fn session_owner_escaped(&self, sid: &str) -> String {
        format!("{}:s:{sid}", self.prefix)
    }

    /// The sorted set of every session, scored by a lower bound of its deadline, that
    /// [`sweep_expired_sessions`](keycard_core::store::SessionStore::sweep_expired_sessions)
    /// walks.
    pub fn expiring(&self) -> String {
        format!("{}:expiring", self.prefix)
    }

    /// The revocations hash and its `forget_after` sorted set, in one slot.
    pub fn revocations(&self) -> (String, String) {
        let tag = format!("{{{}:rev}}", self.prefix);
        (format!("{tag}:all"), format!("{tag}:forget"))
    }

    /// A limit bucket's key, by its [`name`](keycard_core::store::BucketId::name). Every
    /// bucket shares the tag `{P:lim}`: one login charges its account and its address in
    /// one script, so both must live in one slot (see [`super::limits`]).
    pub fn limit_bucket(&self, name: &str) -> String {
        format!("{{{}:lim}}:{name}", self.prefix)
    }

    /// The pub/sub channel of the revocation feed. (A channel is not a key: in a cluster,
    /// a classic `PUBLISH` reaches every node whatever its name.)
    pub fn feed_channel(&self) -> String {
        format!("{}:revocations", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_pass_unchanged_and_others_cannot_break_a_tag() {
        assert_eq!(escape("aZ09_-."), "aZ09_-.");
        assert_eq!(escape("a}b:c d{%"), "a%7Db%3Ac%20d%7B%25");
        assert_ne!(escape("%7D"), escape("}"), "escaping is injective");
    }

    #[test]
    fn one_users_keys_share_a_hash_tag() {
        let keys = KeyNames::new("kc").unwrap();
        let s = keys.session(&escape("u}1"), "s1");
        let tag = "{kc:u:u%7D1}";
        for key in [&s.hash, &s.tokens, &s.user_sessions] {
            assert!(key.starts_with(tag), "{key}");
        }
        assert_eq!(keys.user_sessions("u%7D1"), s.user_sessions);
        assert!(KeyNames::new("a{b").is_none());
    }

    #[test]
    fn limit_buckets_share_one_tag() {
        let keys = KeyNames::new("kc").unwrap();
        assert_eq!(keys.limit_bucket("a:00ff"), "{kc:lim}:a:00ff");
        assert_eq!(keys.limit_bucket("f:01"), "{kc:lim}:f:01");
    }

    #[test]
    fn digests_are_lowercase_hex() {
        let hex = digest_hex(&TokenDigest::from_bytes([0xab; 32]));
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("abab"));
    }
}
