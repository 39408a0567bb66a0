//! The Lua scripts: each is one atomic step on one user's slot (or on the revocations' slot).
//!
//! Every session script takes the same three keys, all under the user's hash tag (see
//! [`super::key_names`]): `KEYS[1]` the session hash, `KEYS[2]` its token hash (digest hex →
//! generation), `KEYS[3]` the user's sorted set of sessions scored by deadline. Times come
//! in as arguments, never from Redis's clock, so the store answers for the `now` it is given
//! and key TTLs are counted from that `now`.
//!
//! Integers written back are formatted with `%d`: Lua numbers are doubles, and Redis would
//! otherwise print large ones in exponent form.

use std::sync::LazyLock;

use redis::Script;

/// Helpers shared by the session scripts.
const PRELUDE: &str = r"
-- 100 years: long enough to be harmless (reads check deadlines themselves), small enough
-- to stay an exact integer.
local MAX_TTL = 3153600000
local function ttl(deadline, now)
  local t = deadline - now
  if t < 1 then t = 1 elseif t > MAX_TTL then t = MAX_TTL end
  return string.format('%d', t)
end
-- Sets a key's TTL to `seconds` unless it already lives longer.
local function extend(key, seconds)
  local current = redis.call('TTL', key)
  if current == -1 or current < tonumber(seconds) then
    redis.call('EXPIRE', key, seconds)
  end
end
-- The session dies at `deadline`, seen from `now`: its keys expire then, and the user's
-- set files it under that deadline.
local function keep(deadline, now, member)
  local t = ttl(deadline, now)
  redis.call('EXPIRE', KEYS[1], t)
  redis.call('EXPIRE', KEYS[2], t)
  redis.call('ZADD', KEYS[3], deadline, member)
  extend(KEYS[3], t)
end
-- Session::expires_at: the earlier of the idle deadline and the absolute expiry.
local function deadline(seen, idle, abs)
  return math.min(tonumber(seen) + tonumber(idle), tonumber(abs))
end
";

fn session_script(body: &str) -> Script {
    Script::new(&[PRELUDE, body].concat())
}

/// Creates a session unless its hash exists. ARGV: member, token hex, token generation,
/// `now` (the session's `last_seen_at`), then the hash's field/value pairs. Returns 1, or 0
/// if the session exists.
pub(super) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    session_script(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local f = redis.call('HMGET', KEYS[1], 'seen', 'idle', 'abs')
keep(deadline(f[1], f[2], f[3]), tonumber(ARGV[4]), ARGV[1])
return 1
",
    )
});

/// Records a use (SessionStore::touch_session). ARGV: member, now, the touch interval.
/// Returns 1 if it wrote, 0 if the session is missing, dead, or was touched too recently.
pub(super) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    session_script(
        r"
local f = redis.call('HMGET', KEYS[1], 'seen', 'idle', 'abs', 'revoked')
if not f[1] then return 0 end
local now = tonumber(ARGV[2])
if f[4] or now >= deadline(f[1], f[2], f[3]) then return 0 end
if now < tonumber(f[1]) + tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[2])
keep(deadline(now, f[2], f[3]), now, ARGV[1])
return 1
",
    )
});

/// Presents a refresh token (SessionStore::rotate_refresh). ARGV: member, presented hex,
/// successor hex, sealed successor, now, grace seconds, max replays. Returns `{outcome}` or
/// `{outcome, HGETALL of the session after the step...}`, the outcome one of `unknown`,
/// `conflict`, `dead`, `rotated`, `replayed`, `reuse`.
pub(super) static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    session_script(
        r"
local function answer(outcome)
  local out = redis.call('HGETALL', KEYS[1])
  table.insert(out, 1, outcome)
  return out
end
-- Only a token this family itself recorded counts: the index entry that led here is a
-- routing hint, never evidence.
local presented = redis.call('HGET', KEYS[2], ARGV[2])
if not presented then return {'unknown'} end
local f = redis.call('HMGET', KEYS[1], 'kind', 'seen', 'idle', 'abs', 'gen', 'rotated', 'revoked',
  'replays')
if f[1] ~= 'refresh' then return {'unknown'} end
local now = tonumber(ARGV[5])
if now >= deadline(f[2], f[3], f[4]) then return answer('dead') end

-- THE ROTATION RULE, a line-for-line copy of keycard_core::session::RefreshState::decide
-- (and of the memory backend's rotate_refresh around it). Change them together: the
-- conformance suite runs every branch against every backend.
if f[7] then return answer('dead') end                           -- Revoked(reason)
presented = tonumber(presented)
local generation = tonumber(f[5])
if presented == generation then                                   -- Rotate (CAS on gen)
  if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return {'conflict'} end
  local successor = string.format('%d', generation + 1)
  redis.call('HSET', KEYS[1], 'gen', successor, 'rotated', ARGV[5], 'sealed', ARGV[4],
    'replays', '0', 'seen', ARGV[5])
  redis.call('HSET', KEYS[2], ARGV[3], successor)
  keep(deadline(now, f[3], f[4]), now, ARGV[1])
  return answer('rotated')
end
local within_grace = f[6] and now <= tonumber(f[6]) + tonumber(ARGV[6])
-- A family written before the replay count existed has no field: none counted yet.
local replays_left = (tonumber(f[8]) or 0) < tonumber(ARGV[7])
if presented + 1 == generation and within_grace and replays_left then  -- Replay (counted)
  redis.call('HINCRBY', KEYS[1], 'replays', 1)
  return answer('replayed')
end
redis.call('HSET', KEYS[1], 'revoked', 'reuse_detected')        -- Reuse
return answer('reuse')
",
    )
});

/// Deletes a session and its token hash. ARGV: member, and either `''` (unconditionally) or
/// a `now` (only if the session is expired at `now`: the sweep). Returns `{'gone'}` if there
/// was no session, `{'alive', deadline}` if it is not expired at `now`, or `{'deleted', id,
/// token hex...}` naming the index entries the caller must now remove.
pub(super) static DELETE: LazyLock<Script> = LazyLock::new(|| {
    session_script(
        r"
local f = redis.call('HMGET', KEYS[1], 'seen', 'idle', 'abs', 'id')
if not f[1] then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {'gone'}
end
if ARGV[2] ~= '' then
  local d = deadline(f[1], f[2], f[3])
  if tonumber(ARGV[2]) < d then return {'alive', tostring(d)} end
end
local out = redis.call('HKEYS', KEYS[2])
table.insert(out, 1, f[4])
table.insert(out, 1, 'deleted')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return out
",
    )
});

/// Deletes every session of a user. KEYS: the user's sorted set, then each session's hash
/// and token hash; ARGV: the members, in the same order, as the caller read them. Returns
/// nil if the set no longer holds exactly those members (the caller reads again and
/// retries), else one `{id, token hex...}` per session that existed.
pub(super) static DELETE_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('ZCARD', KEYS[1]) ~= #ARGV then return false end
for _, member in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[1], member) then return false end
end
local out = {}
for i = 1, #ARGV do
  local hash, tokens = KEYS[2 * i], KEYS[2 * i + 1]
  local id = redis.call('HGET', hash, 'id')
  if id then
    local entry = redis.call('HKEYS', tokens)
    table.insert(entry, 1, id)
    table.insert(out, entry)
  end
  redis.call('DEL', hash, tokens)
end
redis.call('DEL', KEYS[1])
return out
",
    )
});

/// Records a revocation, replacing one with the same key. KEYS: the revocations hash and
/// its `forget_after` sorted set. ARGV: key, encoded revocation, forget_after, TTL seconds.
pub(super) static RECORD_REVOCATION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
for _, key in ipairs(KEYS) do
  local current = redis.call('TTL', key)
  if current == -1 or current < tonumber(ARGV[4]) then redis.call('EXPIRE', key, ARGV[4]) end
end
return 1
",
    )
});

/// Forgets the revocations whose `forget_after` is at or before `ARGV[1]` and returns every
/// revocation still held (the caller filters them against its own `now`). KEYS as for
/// [`RECORD_REVOCATION`].
pub(super) static FORGET_AND_LIST_REVOCATIONS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])) do
  redis.call('HDEL', KEYS[1], key)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
return redis.call('HVALS', KEYS[1])
",
    )
});

/// One step of the shared login limits (`SharedLimiter::apply`). KEYS: the buckets, all
/// under the tag `{P:lim}`; ARGV: `now` in ms, then for each bucket its action (`c` charge,
/// `r` refund, `f` forget), interval and window in ms. Returns each bucket's wait in ms.
///
/// THE GCRA RULE, a line-for-line copy of `keycard_core::gcra::Rate` (`wait`, `charged`,
/// `refunded`), and of the PostgreSQL function `limit_buckets_apply`. Change them together:
/// the conformance suite checks every backend against the Rust rule. A key holds `full_at`
/// and expires then (absent means full), so an idle bucket costs nothing.
pub(super) static LIMIT_APPLY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local function save(key, full_at)
  if full_at <= now then
    redis.call('DEL', key)
  else
    redis.call('SET', key, string.format('%d', full_at), 'PX', string.format('%d', full_at - now))
  end
end
local waits, charges, refused = {}, {}, false
for i, key in ipairs(KEYS) do
  local action = ARGV[3 * i - 1]
  local interval, window = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local full_at = tonumber(redis.call('GET', key))
  waits[i] = 0
  if action == 'f' then                                    -- forget
    redis.call('DEL', key)
  elseif action == 'r' then                                -- refunded
    if full_at then save(key, full_at - interval) end
  else                                                     -- wait, then charged
    if not full_at or full_at < now then full_at = now end
    local wait = full_at + interval - window - now
    if wait > 0 then
      waits[i] = wait
      refused = true
    end
    table.insert(charges, {key, full_at + interval})
  end
end
if not refused then
  for _, charge in ipairs(charges) do save(charge[1], charge[2]) end
end
return waits
",
    )
});
