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

  const tidied = await poll(rows, (list) => list.every((r) => r.status === 'available'), 20_000)
  t.same(tidied, [
    { seat_id: 'A1', status: 'available', hold_id: null, hold_expires_at: null },
    { seat_id: 'A2', status: 'available', hold_id: null, hold_expires_at: null },
  ], 'after expiry the sweeper rewrote the rows as available')

  const stillHeld = await stack.db.selectFrom('seats').select('seat_id').where('event_id', '=', event.id).where('status', '=', 'held').execute()
  t.same(stillHeld, [], 'no held rows remain')
  const again = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: user.token, body: { seatIds: ['A1', 'A2'] } })
  t.equal(again.status, 201, 'and the seats book normally')
})
