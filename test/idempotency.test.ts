import { randomUUID } from 'node:crypto'
import t from 'tap'
import { call, createEvent, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

const stack = await startStack({ workers: 2 })
t.teardown(() => stack.stop())

function post (token: string, path: string, body: unknown, key: string) {
  return call(stack.url, 'POST', path, { token, body, headers: { 'idempotency-key': key } })
}

async function count (table: 'bookings' | 'holds', eventId: string): Promise<number> {
  const row = await stack.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.n)
}

t.test('one key, twenty concurrent bookings: one booking, one reply', async (t) => {
  const [ada, bob, cy] = [await signup(stack.url), await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, ada.token, { seats: ['A1', 'A2', 'A3'] })
  const path = `/v1/events/${event.id}/bookings`
  const key = randomUUID()

  const replies = await Promise.all(Array.from({ length: 20 }, () => post(ada.token, path, { seatIds: ['A1'] }, key)))
  t.same(replies.map((r) => r.status), Array(20).fill(201), 'all 20 replies are 201')
  const first = replies[0]!
  t.match(first.body, { bookingId: /^[0-9a-f-]{36}$/, userId: ada.userId, status: 'confirmed', seatIds: ['A1'] })
  // Identical as JSON values: member order is not significant (a replay may come from jsonb).
  t.same(replies.map((r) => r.body), Array(20).fill(first.body), 'all 20 bodies are identical')
  t.ok(replies.every((r) => r.headers.get('location') === `/v1/bookings/${first.body.bookingId}`), 'and so are their Locations')
  t.equal(await count('bookings', event.id), 1, 'the database has exactly one booking')

  const changed = await post(ada.token, path, { seatIds: ['A2'] }, key)
  t.equal(changed.status, 422, 'the same key with another body')
  t.equal(changed.body.code, 'IDEMPOTENCY_KEY_REUSED')
  const a2 = await stack.db.selectFrom('seats').select('status').where('event_id', '=', event.id).where('seat_id', '=', 'A2').executeTakeFirstOrThrow()
  t.equal(a2.status, 'available', 'A2 was not booked')

  const later = await post(ada.token, path, { seatIds: ['A1'] }, key)
  t.equal(later.status, 201, 'the same key and body later: the first reply again')
  t.same(later.body, first.body, 'same booking, same body')
  t.equal(await count('bookings', event.id), 1, 'still one booking')

  const bobs = await post(bob.token, path, { seatIds: ['A1'] }, key)
  t.equal(bobs.status, 409, "another user's key is their own: Bob's request runs and finds A1 booked")
  t.equal(bobs.body.code, 'SEATS_UNAVAILABLE')
  const bobsAgain = await post(bob.token, path, { seatIds: ['A1'] }, key)
  t.equal(bobsAgain.status, 409, 'and his retry gets his first reply again')
  t.same(bobsAgain.body.seats, bobs.body.seats)

  const cys = await post(cy.token, path, { seatIds: ['A3'] }, key)
  t.equal(cys.status, 201, "Cy's request with the same key and another body is not a reuse")
  t.equal(cys.body.userId, cy.userId)
  t.not(cys.body.bookingId, first.body.bookingId)
  t.equal(await count('bookings', event.id), 2, "Ada's booking and Cy's")
})

t.test('one key, repeated holds: one hold', async (t) => {
  const ada = await signup(stack.url)
  const event = await createEvent(stack.url, ada.token, { seats: ['A1', 'A2'] })
  const path = `/v1/events/${event.id}/holds`
  const key = randomUUID()

  const [one, two] = await Promise.all([
    post(ada.token, path, { seatIds: ['A1'] }, key),
    post(ada.token, path, { seatIds: ['A1'] }, key),
  ])
  t.equal(one.status, 201)
  t.equal(two.status, 201, 'a duplicate does not find the seat held by its twin')
  t.same(two.body, one.body, 'same hold, same body')
  const three = await post(ada.token, path, { seatIds: ['A1'] }, key)
  t.equal(three.status, 201)
  t.equal(three.body.holdId, one.body.holdId, 'a later retry too')
  t.equal(three.headers.get('location'), `/v1/holds/${one.body.holdId}`)
  t.equal(await count('holds', event.id), 1, 'one hold row')

  const otherBody = await post(ada.token, path, { seatIds: ['A1'], ttlSeconds: 30 }, key)
  t.equal(otherBody.status, 422, 'a different body under the same key')
  t.equal(otherBody.body.code, 'IDEMPOTENCY_KEY_REUSED')
  t.equal(await count('holds', event.id), 1, 'still one hold row')
})
