/**
 * A seat the gateways know is booked is refused without the queue for every kind of request:
 * plain, keyed (Idempotency-Key) and async (Prefer: respond-async) alike, the last two with the
 * refusal in their record. Proven with no worker running: anything that reached the queue
 * would wait and answer 202.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { call, createEvent, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('keyed and async requests for a seat known to be booked are refused at once, and their records say so', async (t) => {
  const stack = await startStack({ workers: 1, env: { BOOKING_WAIT_MS: '1500' } })
  t.teardown(() => stack.stop())
  const [organiser, first, scalper] = [await signup(stack.url), await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, organiser.token, { seats: ['A1', 'A2'] })
  const path = `/v1/events/${event.id}/bookings`
  t.equal((await call(stack.url, 'POST', path, { token: first.token, body: { seatIds: ['A1'] } })).status, 201, 'A1 is booked')

  await stack.workers[0]!.kill()
  const free = await call(stack.url, 'POST', path, { token: scalper.token, body: { seatIds: ['A2'] }, headers: { 'idempotency-key': randomUUID() } })
  t.equal(free.status, 202, 'control: with no worker, a command that reaches the queue waits and is answered 202')

  const key = randomUUID()
  const started = performance.now()
  const keyed = await call(stack.url, 'POST', path, { token: scalper.token, body: { seatIds: ['A1'] }, headers: { 'idempotency-key': key } })
  const keyedMs = performance.now() - started
  t.equal(keyed.status, 409, 'a keyed request for A1 is refused')
  t.equal(keyed.body.code, 'SEATS_UNAVAILABLE')
  t.same(keyed.body.seats, [{ seatId: 'A1', status: 'booked' }])
  t.ok(keyedMs < 1_000, `at once, not after the wait (${keyedMs.toFixed(0)} ms)`)
  const replay = await call(stack.url, 'POST', path, { token: scalper.token, body: { seatIds: ['A1'] }, headers: { 'idempotency-key': key } })
  t.equal(replay.status, 409, 'the same key replays the refusal')
  t.same(replay.body, keyed.body)

  const later = await call(stack.url, 'POST', path, { token: scalper.token, body: { seatIds: ['A1'] }, headers: { prefer: 'respond-async' } })
  t.equal(later.status, 202, 'an async request is answered 202, as it asked')
  const polled = await call(stack.url, 'GET', later.headers.get('location')!, { token: scalper.token })
  t.equal(polled.status, 200)
  t.equal(polled.body.status, 'failed', 'and its poll has the refusal already, with no worker running')
  t.equal(polled.body.error?.code, 'SEATS_UNAVAILABLE')

  const records = await stack.db.selectFrom('requests').select(['status']).where('user_id', '=', scalper.userId).execute()
  t.same(records.map((r) => r.status).sort(), ['failed', 'failed', 'pending'], 'two refusals recorded, and the control still pending in the queue')
})
