-- One admission step of one event, run once a second by whichever worker holds the turn.
-- ARGV: 1 now (ms), 2 '1' once the sale has opened, 3 '1' once it has closed, 4 '1' while paused,
-- 5 '1' when nothing is left that could come back (sold out), 6 places neither booked nor held,
-- 7 admitted buyers who are shopping (a running hold or a booking), 8 admissions a minute,
-- 9 how long an admission lasts (ms).
-- Admissions that ran out are moved to `expired`. Then, while the sale is open and not paused,
-- the next buyers in line are admitted: at most this second's share of the rate (a stalled step
-- does not make up the time it lost), and only while the places left outnumber the admitted
-- buyers who are not shopping. Sold out and closed are final (the keys then expire a day later).
-- Returns { status, served, waiting,
-- admitted, expired, admitted now, ended now }.
local now = tonumber(ARGV[1])
local ended = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
for _, ticket in ipairs(ended) do
  redis.call('SADD', KEYS[5], ticket)
end
if #ended > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
end

local state = redis.call('HMGET', KEYS[6], 'status', 'served', 'carry', 'last')
local status = state[1] or 'waiting'
if ARGV[3] == '1' then
  status = 'closed'
elseif ARGV[5] == '1' and status ~= 'closed' then
  status = 'sold-out'
end
local served = tonumber(state[2] or '0')
local carry = 0
local admittedNow = {}
if status == 'waiting' and ARGV[2] == '1' and ARGV[4] == '0' then
  local perSecond = tonumber(ARGV[8]) / 60
  local last = tonumber(state[4] or '0')
  local elapsed = last > 0 and math.min(1, math.max(0, (now - last) / 1000)) or 1
  local budget = math.min(tonumber(state[3] or '0') + perSecond * elapsed, math.max(perSecond, 1))
  local idle = math.max(0, redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[7]))
  local admit = math.min(math.floor(budget), tonumber(ARGV[6]) - idle, redis.call('ZCARD', KEYS[1]))
  if admit > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], admit)
    local admittedUntil = now + tonumber(ARGV[9])
    for i = 1, #popped, 2 do
      local ticket = popped[i]
      redis.call('ZADD', KEYS[4], admittedUntil, ticket)
      local info = redis.call('HGET', KEYS[2], ticket)
      redis.call('HSET', KEYS[2], ticket, string.match(info, '^[^|]*|[^|]*') .. '|' .. now)
      admittedNow[#admittedNow + 1] = ticket
    end
    served = served + #admittedNow
  end
  carry = budget - math.floor(budget)
end
redis.call('HSET', KEYS[6], 'status', status, 'served', served, 'carry', carry, 'last', now, 'seats', ARGV[6])
-- A final room is kept a day, for its buyers to read their tickets, then goes: Redis does not grow
-- with the sales of the past.
if status ~= 'waiting' then
  for i = 1, 6 do
    redis.call('EXPIRE', KEYS[i], 86400, 'NX')
  end
end
return { status, served, redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[4]), redis.call('SCARD', KEYS[5]), admittedNow, ended }
