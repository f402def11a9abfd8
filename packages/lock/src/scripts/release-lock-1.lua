-- Deletes the lock only if the caller still owns it, so a late release never frees a lock
-- that expired and was taken by someone else.
-- KEYS[1] lock key; ARGV[1] owner token. Returns 1 if released, 0 if not the owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
