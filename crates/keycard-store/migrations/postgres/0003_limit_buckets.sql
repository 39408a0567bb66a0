-- The login and registration limits every instance shares (keycard_core::gcra): one row per
-- bucket that is not full, named by its limit and a keyed digest of what it counts (never an
-- email or an address), holding the instant (ms since the epoch) it is full again. A row
-- whose full_at has passed says nothing; the sweep deletes it.
CREATE TABLE limit_buckets (
    name TEXT PRIMARY KEY,
    full_at BIGINT NOT NULL
);

CREATE INDEX limit_buckets_full_at ON limit_buckets (full_at);

-- One step of SharedLimiter::apply, called by one statement, so one transaction: every
-- 'refund' and 'forget' is applied, then every 'charge', all or none. Returns each bucket's
-- wait in ms. A plain INSERT ... ON CONFLICT DO UPDATE ... WHERE can charge one bucket
-- atomically, but not "the account and the address, or neither": the buckets are locked
-- first, in name order (so two calls never deadlock), then decided on together.
--
-- THE GCRA RULE, a line-for-line copy of keycard_core::gcra::Rate (wait, charged, refunded)
-- and of the Redis script LIMIT_APPLY. Change them together: the conformance suite checks
-- every backend against the Rust rule.
CREATE FUNCTION limit_buckets_apply(
    names TEXT[], actions TEXT[], intervals BIGINT[], windows BIGINT[], now_ms BIGINT
) RETURNS BIGINT[] LANGUAGE plpgsql AS $$
DECLARE
    n INT := coalesce(array_length(names, 1), 0);
    waits BIGINT[] := array_fill(0::BIGINT, ARRAY[n]);
    refused BOOLEAN := false;
    bucket_state BIGINT;
BEGIN
    -- A bucket without a row gets a full one (full_at 0): locked like the others, and
    -- deleted again at the end unless charged.
    INSERT INTO limit_buckets AS b (name, full_at)
        SELECT bucket, 0 FROM unnest(names) AS bucket ORDER BY bucket
        ON CONFLICT (name) DO UPDATE SET full_at = b.full_at;
    FOR i IN 1..n LOOP
        SELECT b.full_at INTO bucket_state FROM limit_buckets AS b WHERE b.name = names[i];
        IF actions[i] = 'forget' THEN
            UPDATE limit_buckets SET full_at = 0 WHERE name = names[i];
        ELSIF actions[i] = 'refund' THEN
            UPDATE limit_buckets SET full_at = bucket_state - intervals[i] WHERE name = names[i];
        ELSE
            waits[i] := greatest(greatest(bucket_state, now_ms) + intervals[i] - windows[i] - now_ms, 0);
            refused := refused OR waits[i] > 0;
        END IF;
    END LOOP;
    IF NOT refused THEN
        UPDATE limit_buckets AS b SET full_at = greatest(b.full_at, now_ms) + step.step_interval
            FROM unnest(names, actions, intervals) AS step(name, action, step_interval)
            WHERE b.name = step.name AND step.action = 'charge';
    END IF;
    DELETE FROM limit_buckets WHERE name = ANY(names) AND full_at <= now_ms;
    RETURN waits;
END
$$;
