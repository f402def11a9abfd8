-- One ticket, by its id (ARGV[1]) or, with ARGV[2] set, by its buyer's id. Returns the view, or false.
local ticket = ARGV[1]
if ARGV[2] ~= '' then
  ticket = redis.call('HGET', KEYS[3], ARGV[2])
  if not ticket then
    return false
  end
end
return view(ticket)
