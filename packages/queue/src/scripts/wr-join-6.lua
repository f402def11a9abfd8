-- A buyer joins an event's line: one place per buyer. ARGV: 1 userId, 2 a new ticket id, 3 now
-- (ms), 4 '1' when joining before the opening, 5 a random score in [0, 1) for such an early
-- joiner. Early joiners are shuffled by their random scores, all below any later joiner's (1 +
-- their order of arrival): the shuffle is decided at join time, nothing moves at the opening. A
-- buyer whose admission ran out goes to the back. Returns { outcome, view }: outcome 'new',
-- 'rejoined', 'existing', or the event's final status ('sold-out', 'closed') for one who cannot join.
local status = redis.call('HGET', KEYS[6], 'status')
local final = status == 'sold-out' or status == 'closed'
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then
  local admittedUntil = redis.call('ZSCORE', KEYS[4], existing)
  local ended = redis.call('SISMEMBER', KEYS[5], existing) == 1 or (admittedUntil and tonumber(admittedUntil) <= tonumber(ARGV[3]))
  if not ended or final then
    return { final and ended and status or 'existing', view(existing) }
  end
  redis.call('ZREM', KEYS[4], existing)
  redis.call('SREM', KEYS[5], existing)
  redis.call('ZADD', KEYS[1], 1 + redis.call('HINCRBY', KEYS[6], 'seq', 1), existing)
  redis.call('HSET', KEYS[2], existing, ARGV[1] .. '|' .. ARGV[3])
  return { 'rejoined', view(existing) }
end
if final then
  return { status, false }
end
local score = ARGV[4] == '1' and tonumber(ARGV[5]) or 1 + redis.call('HINCRBY', KEYS[6], 'seq', 1)
redis.call('ZADD', KEYS[1], score, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1] .. '|' .. ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return { 'new', view(ARGV[2]) }
