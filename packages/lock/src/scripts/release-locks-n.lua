-- Deletes each lock of a set that the caller still owns, in one call: a late release never frees
-- a lock that expired and was taken by someone else.
-- KEYS lock keys; ARGV[1] owner token. Returns how many were released.
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    released = released + redis.call('DEL', KEYS[i])
  end
end
return released
