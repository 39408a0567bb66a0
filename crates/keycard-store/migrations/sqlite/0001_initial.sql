-- Keycard's SQLite schema. Times are INTEGER unix seconds; token digests are 32-byte BLOBs.
-- Released migrations are never edited (sqlx checks their checksums): add a new file.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    -- The normalised address (keycard_core::user::Email): one account per address.
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL,
    not_before    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id                TEXT    NOT NULL PRIMARY KEY,
    -- No foreign key to users: sessions may live in another store than users.
    user_id           TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('cookie', 'refresh')),
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    idle_timeout_secs INTEGER NOT NULL,
    absolute_expiry   INTEGER NOT NULL,
    -- The earlier of last_seen_at + idle_timeout_secs and absolute_expiry, kept up to date
    -- by every write, so reads filter on it and the sweeper deletes by it.
    expires_at        INTEGER NOT NULL,
    user_agent        TEXT,
    ip                TEXT,
    label             TEXT,
    -- Refresh families: the current token's generation (0 for cookie sessions), when it
    -- replaced the previous one, and it sealed under the previous one (for replays).
    generation        INTEGER NOT NULL CHECK (generation >= 0),
    rotated_at        INTEGER,
    sealed_successor  BLOB,
    revoked_reason    TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Every token a session was ever opened by (a family keeps its old ones, to detect reuse).
CREATE TABLE session_tokens (
    digest     BLOB    NOT NULL PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation INTEGER NOT NULL
);
CREATE INDEX session_tokens_session_id ON session_tokens (session_id);

CREATE TABLE revocations (
    -- keycard_core::revocation::Revocation::key: one record per session, one per user.
    key          TEXT    NOT NULL PRIMARY KEY,
    kind         TEXT    NOT NULL,
    session_id   TEXT,
    user_id      TEXT,
    not_before   INTEGER,
    at           INTEGER NOT NULL,
    forget_after INTEGER NOT NULL,
    CHECK ((kind = 'session' AND session_id IS NOT NULL)
        OR (kind = 'user' AND user_id IS NOT NULL AND not_before IS NOT NULL))
);
CREATE INDEX revocations_forget_after ON revocations (forget_after);

CREATE TABLE signing_keys (
    kid            TEXT    NOT NULL PRIMARY KEY,
    alg            TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('active', 'next', 'retired')),
    created_at     INTEGER NOT NULL,
    retire_after   INTEGER,
    public_jwk     TEXT    NOT NULL,
    sealed_private BLOB
);

CREATE TABLE audit_events (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    user_id    TEXT,
    session_id TEXT,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user_id_at ON audit_events (user_id, at);
CREATE INDEX audit_events_session_id_at ON audit_events (session_id, at);
