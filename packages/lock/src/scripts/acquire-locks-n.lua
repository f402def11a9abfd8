-- Takes every lock of a set, or none, and draws the set's fencing number: one call per job.
-- KEYS[1..n-1] lock keys, KEYS[n] the fence counter; ARGV[1] owner token, ARGV[2] time to live
-- in milliseconds. Returns the fencing number, or 0 when another owner holds any of the locks.
-- For one Redis only: a Redis Cluster keeps each lock in a slot of its own (acquire-lock-1.lua).
local n = #KEYS - 1
for i = 1, n do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= ARGV[1] then
    return 0
  end
end
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
-- As draw-fence-1.lua: never below the server clock in microseconds.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local fence = redis.call('INCR', KEYS[#KEYS])
if fence < now then
  redis.call('SET', KEYS[#KEYS], now)
  fence = now
end
return fence
