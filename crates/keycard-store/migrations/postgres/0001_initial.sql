-- Keycard's PostgreSQL schema. Times are BIGINT unix seconds; token digests are 32-byte
-- BYTEA. Constraint names are read back to name conflicts (`email`, `session`, `kid`).
-- Released migrations are never edited (sqlx checks their checksums): add a new file.

CREATE TABLE users (
    id            TEXT    NOT NULL,
    -- The normalised address (keycard_core::user::Email): one account per address.
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL,
    not_before    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE sessions (
    id                TEXT   NOT NULL,
    -- No foreign key to users: sessions may live in another store than users.
    user_id           TEXT   NOT NULL,
    kind              TEXT   NOT NULL CHECK (kind IN ('cookie', 'refresh')),
    created_at        BIGINT NOT NULL,
    last_seen_at      BIGINT NOT NULL,
    idle_timeout_secs BIGINT NOT NULL,
    absolute_expiry   BIGINT NOT NULL,
    -- The earlier of last_seen_at + idle_timeout_secs and absolute_expiry, kept up to date
    -- by every write, so reads filter on it and the sweeper deletes by it.
    expires_at        BIGINT NOT NULL,
    user_agent        TEXT,
    ip                TEXT,
    label             TEXT,
    -- Refresh families: the current token's generation (0 for cookie sessions), when it
    -- replaced the previous one, and it sealed under the previous one (for replays).
    generation        BIGINT NOT NULL CHECK (generation >= 0),
    rotated_at        BIGINT,
    sealed_successor  BYTEA,
    revoked_reason    TEXT,
    CONSTRAINT sessions_pkey PRIMARY KEY (id)
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Every token a session was ever opened by (a family keeps its old ones, to detect reuse).
CREATE TABLE session_tokens (
    digest     BYTEA  NOT NULL,
    session_id TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation BIGINT NOT NULL,
    CONSTRAINT session_tokens_pkey PRIMARY KEY (digest)
);
CREATE INDEX session_tokens_session_id ON session_tokens (session_id);

CREATE TABLE revocations (
    -- keycard_core::revocation::Revocation::key: one record per session, one per user.
    key          TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    session_id   TEXT,
    user_id      TEXT,
    not_before   BIGINT,
    at           BIGINT NOT NULL,
    forget_after BIGINT NOT NULL,
    CONSTRAINT revocations_pkey PRIMARY KEY (key),
    CHECK ((kind = 'session' AND session_id IS NOT NULL)
        OR (kind = 'user' AND user_id IS NOT NULL AND not_before IS NOT NULL))
);
CREATE INDEX revocations_forget_after ON revocations (forget_after);

CREATE TABLE signing_keys (
    -- Insertion order, the tie-break for "oldest first".
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    kid            TEXT   NOT NULL,
    alg            TEXT   NOT NULL,
    role           TEXT   NOT NULL CHECK (role IN ('active', 'next', 'retired')),
    created_at     BIGINT NOT NULL,
    retire_after   BIGINT,
    public_jwk     TEXT   NOT NULL,
    sealed_private BYTEA,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (kid)
);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    at         BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    user_id    TEXT,
    session_id TEXT,
    ip         TEXT,
    user_agent TEXT,
    CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user_id_at ON audit_events (user_id, at);
CREATE INDEX audit_events_session_id_at ON audit_events (session_id, at);
