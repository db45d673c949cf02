-- Kakehashi quota scripts (policies/quota_redis.py). Each bucket is two keys:
--   KEYS[2i-1]  hash  {used, held}           settled usage and the sum of live holds
--   KEYS[2i]    zset  member "<hold>:<amount>", score = the hold's expiry (ms)
-- Expired holds are purged before every decision, so a crashed replica's reservation returns
-- by itself. The script body after "-- @reserve", "-- @settle" or "-- @read" is one script;
-- this common part is prepended to each.

local function purge(counter, holds, now)
  local expired = redis.call('ZRANGEBYSCORE', holds, '-inf', now)
  if #expired > 0 then
    local total = 0
    for _, member in ipairs(expired) do
      total = total + tonumber(string.match(member, ':(%d+)$'))
    end
    redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
    redis.call('HINCRBY', counter, 'held', string.format('%d', -total))
  end
end

local function level(counter)
  local values = redis.call('HMGET', counter, 'used', 'held')
  return tonumber(values[1] or '0'), tonumber(values[2] or '0')
end

-- @reserve
-- ARGV: now_ms, hold_expires_ms, hold_id, then per bucket: limit (-1: none), amount, key_expires_ms
-- Returns {1, used1, held1, ...} after holding every bucket, or {0, i, used1, held1, ...}
-- (levels as found) when bucket i would go over its limit; then nothing is held.
local now = tonumber(ARGV[1])
local n = #KEYS / 2
local levels = {}
local refused = 0
for i = 1, n do
  local counter, holds = KEYS[2 * i - 1], KEYS[2 * i]
  purge(counter, holds, now)
  local used, held = level(counter)
  local limit, amount = tonumber(ARGV[4 + 3 * (i - 1)]), tonumber(ARGV[5 + 3 * (i - 1)])
  if refused == 0 and limit >= 0 and used + held + amount > limit then
    refused = i
  end
  levels[2 * i - 1], levels[2 * i] = used, held
end
if refused > 0 then
  local out = {0, refused}
  for j = 1, #levels do out[j + 2] = levels[j] end
  return out
end
local out = {1}
for i = 1, n do
  local counter, holds = KEYS[2 * i - 1], KEYS[2 * i]
  -- Amounts stay strings: Lua would print large numbers as 1e+15.
  local amount, expires = ARGV[5 + 3 * (i - 1)], ARGV[6 + 3 * (i - 1)]
  out[2 * i] = levels[2 * i - 1]
  out[2 * i + 1] = redis.call('HINCRBY', counter, 'held', amount)
  redis.call('ZADD', holds, ARGV[2], ARGV[3] .. ':' .. amount)
  redis.call('PEXPIREAT', counter, expires)
  redis.call('PEXPIREAT', holds, expires)
end
return out

-- @settle
-- KEYS: the buckets' keys, then the hold's settled marker.
-- ARGV: now_ms, hold_id, marker_ttl_ms, then per bucket: reserved amount, actual amount,
-- key_expires_ms. Returns 1, or 0 when this hold was settled before (a retry after a lost
-- reply, or a replay from a spool): the usage is charged once, never twice.
local now = tonumber(ARGV[1])
if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', ARGV[3]) then
  return 0
end
for i = 1, (#KEYS - 1) / 2 do
  local counter, holds = KEYS[2 * i - 1], KEYS[2 * i]
  local reserved, actual = ARGV[4 + 3 * (i - 1)], ARGV[5 + 3 * (i - 1)]
  purge(counter, holds, now)
  if redis.call('ZREM', holds, ARGV[2] .. ':' .. reserved) == 1 then
    redis.call('HINCRBY', counter, 'held', string.format('%d', -tonumber(reserved)))
  end
  redis.call('HINCRBY', counter, 'used', actual)
  redis.call('PEXPIREAT', counter, ARGV[6 + 3 * (i - 1)])
end
return 1

-- @read
-- ARGV: now_ms. Returns {used1, held1, ...}.
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local counter, holds = KEYS[2 * i - 1], KEYS[2 * i]
  purge(counter, holds, now)
  out[2 * i - 1], out[2 * i] = level(counter)
end
return out
