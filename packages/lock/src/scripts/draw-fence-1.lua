-- Draws the next fencing number from the one counter of a stack.
-- KEYS[1] fence counter. The number never falls below the server clock in microseconds, so a
-- Redis that lost the counter (restarted without persistence, flushed) still hands out numbers
-- above every one it gave before, and Postgres keeps accepting new holders' writes. The counter
-- itself moves by one per lock set, far slower than the clock, so it never runs ahead of it.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local fence = redis.call('INCR', KEYS[1])
if fence < now then
  redis.call('SET', KEYS[1], now)
  fence = now
end
return fence
