-- Takes one lock if it is free.
-- KEYS[1] lock key; ARGV[1] owner token, ARGV[2] time to live in milliseconds.
-- Returns 1 when taken, 0 when another owner holds it.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
