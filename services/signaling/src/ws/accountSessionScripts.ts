// The Lua side of RedisAccountSessions. Each account's sessions are one sorted set: member
// `<price> <session> <replica>`, score the millisecond its reservation lapses unless the
// replica holding the session refreshes it. Every script takes the time from Redis (TIME), so
// replicas whose clocks disagree still agree on what has lapsed; and every script first drops
// what lapsed and what is not a member at all, so neither counts against the account.
import { z } from 'zod';

/** `<price> <session> <replica>`, as written by RedisAccountSessions and matched by WELL_FORMED below. */
export const MEMBER = /^(\d{1,40}) ([A-Za-z0-9-]{1,64}) ([A-Za-z0-9._-]{1,128})$/;

/** One member, parsed: what the account pays for it, and who holds it. */
export const Member = z
  .string()
  .regex(MEMBER, 'not <price> <session> <replica>')
  .transform((m) => {
    const [, price, session, replica] = MEMBER.exec(m)!;
    return { pricePerSecond: BigInt(price!), session: session!, replica: replica! };
  });

/** What the sweeping scripts answer: the members that count, and the malformed ones they dropped. */
export const SweepReply = z.tuple([z.array(z.string()), z.array(z.string())]);
export const ReserveReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.array(z.string()), z.array(z.string())]);

// Lua patterns have no {m,n}: the lengths are checked after the match. Scores are written with
// %d, as Lua's own number formatting would switch to exponents for large ones.
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function well_formed(m)
  local p, s, r = string.match(m, '^(%d+) ([%w%-]+) ([%w%._%-]+)$')
  return p ~= nil and #p <= 40 and #s <= 64 and #r <= 128
end
local function sweep(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local live, malformed = {}, {}
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if well_formed(m) then live[#live + 1] = m else malformed[#malformed + 1] = m end
  end
  for _, m in ipairs(malformed) do redis.call('ZREM', key, m) end
  return live, malformed
end
-- The key outlives its last reservation and no more; a replica with a longer lease is not cut short.
local function keep(key, lease)
  if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
end
`;

/** KEYS: the account's set. ARGV: member, max, lease ms. Returns {admitted, live members, malformed}. */
export const RESERVE = `${PRELUDE}
local key, member, max, lease = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local live, malformed = sweep(key, now)
local held = redis.call('ZSCORE', key, member)
if not held and #live >= max then return { 0, live, malformed } end
if not held then live[#live + 1] = member end
redis.call('ZADD', key, string.format('%d', now + lease), member)
keep(key, lease)
return { 1, live, malformed }
`;

/** KEYS: the account's set. Returns {live members, malformed}. */
export const LIST = `${PRELUDE}
local live, malformed = sweep(KEYS[1], now_ms())
return { live, malformed }
`;

/**
 * KEYS: the account's set. ARGV: lease ms, then this replica's members of it. A member that
 * lapsed meanwhile (Redis out of reach for a whole lease) is written back: its session is
 * still open and billed, so its price must count again even if that puts the account over.
 */
export const REFRESH = `${PRELUDE}
local key, lease = KEYS[1], tonumber(ARGV[1])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local score = string.format('%d', now + lease)
for i = 2, #ARGV do redis.call('ZADD', key, score, ARGV[i]) end
keep(key, lease)
return #ARGV - 1
`;
