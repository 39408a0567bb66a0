-- Refresh families: how many times the previous token has been answered with a replay
-- since the last rotation (which resets it to 0); replays stop at the configured bound.
-- 0 for cookie sessions and for every family that existed before this migration.
ALTER TABLE sessions ADD COLUMN replays INTEGER NOT NULL DEFAULT 0 CHECK (replays >= 0);
