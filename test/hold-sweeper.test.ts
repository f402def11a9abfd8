import t from 'tap'
import { call, createEvent, poll, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('the sweeper job tidies expired holds in the background', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const user = await signup(stack.url)
  const event = await createEvent(stack.url, user.token, { seats: ['A1', 'A2', 'A3'] })
  const held = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: user.token, body: { seatIds: ['A1', 'A2'], ttlSeconds: 5 } })
  t.equal(held.status, 201)

  const rows = () => stack.db.selectFrom('seats').select(['seat_id', 'status', 'hold_id', 'hold_expires_at'])
    .where('event_id', '=', event.id).where('seat_id', 'in', ['A1', 'A2']).orderBy('seat_id').execute()
  t.ok((await rows()).every((r) => r.status === 'held'), 'the rows say held while the hold lasts')

  const versions = () => stack.db.selectFrom('seat_states').select(['seat_id', 'version'])
    .where('event_id', '=', event.id).where('seat_id', 'in', ['A1', 'A2']).orderBy('seat_id').execute()
  const whileHeld = await versions()
  const tidied = await poll(rows, (list) => list.every((r) => r.status === 'available'), 20_000)
  t.match(tidied, [
    { seat_id: 'A1', status: 'available', hold_id: null, hold_expires_at: Date },
    { seat_id: 'A2', status: 'available', hold_id: null, hold_expires_at: Date },
  ], 'after expiry the sweeper rewrote the rows as available, keeping when the hold expired')
  const afterSweep = await versions()
  t.same(afterSweep.map((r) => BigInt(r.version) - BigInt(whileHeld.find((h) => h.seat_id === r.seat_id)!.version)), [1n, 1n],
    'each seat\'s version is one past its held version: the expiry, which the sweep does not undo')

  const stillHeld = await stack.db.selectFrom('seats').select('seat_id').where('event_id', '=', event.id).where('status', '=', 'held').execute()
  t.same(stillHeld, [], 'no held rows remain')
  const again = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: user.token, body: { seatIds: ['A1', 'A2'] } })
  t.equal(again.status, 201, 'and the seats book normally')
  const booked = await versions()
  t.ok(booked.every((r, i) => BigInt(r.version) > BigInt(afterSweep[i]!.version)), 'booking them moves their versions on')
})
