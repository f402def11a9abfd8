-- Takes one lock and draws its fencing number in a single round trip.
-- KEYS[1] lock key, KEYS[2] fence counter (same hash slot)
-- ARGV[1] owner token, ARGV[2] time to live in milliseconds
-- Returns the new fencing number, or 0 when another owner holds the lock.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
