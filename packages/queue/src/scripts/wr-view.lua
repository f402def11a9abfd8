-- Included at the head of the waiting room's scripts: one ticket as stored, for the caller to
-- read (waiting-room.ts). KEYS are always: 1 line, 2 tickets, 3 buyers, 4 admitted, 5 expired, 6 state.
local function view(ticket)
  local info = redis.call('HGET', KEYS[2], ticket)
  if not info then
    return false
  end
  local state = redis.call('HMGET', KEYS[6], 'status', 'served', 'seats')
  return {
    ticket, info,
    redis.call('ZSCORE', KEYS[4], ticket) or false,
    redis.call('ZRANK', KEYS[1], ticket) or false,
    redis.call('SISMEMBER', KEYS[5], ticket),
    state[1] or false, state[2] or '0', state[3] or false,
  }
end
