-- The revocation feed (src/sqlite/feed.rs): every recording of a revocation, a repeated one
-- included, takes the next number of one counter, so an instance polling for `seq > last`
-- sees each in the order they were recorded. The counter lives in its own row, not in
-- MAX(seq), so forgetting the newest revocation can never hand its number out again.
-- `recorded_at_ms` is when it was recorded, by SQLite's clock (the feed's lag metric only).
-- Revocations recorded before this migration keep seq 0: every subscription starts past
-- them, and the snapshot holds them.
CREATE TABLE revocation_sequence (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO revocation_sequence (id, last) VALUES (1, 0);
ALTER TABLE revocations ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE revocations ADD COLUMN recorded_at_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX revocations_seq ON revocations (seq);
