import t from 'tap'
import { call, createEvent, poll, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

const stack = await startStack({ workers: 2 })
t.teardown(() => stack.stop())
const [alice, bob] = [await signup(stack.url), await signup(stack.url)]

function hold (token: string, eventId: string, body: unknown) {
  return call(stack.url, 'POST', `/v1/events/${eventId}/holds`, { token, body })
}

async function seatMap (eventId: string, status?: string): Promise<any[]> {
  const res = await call(stack.url, 'GET', `/v1/events/${eventId}/seats?limit=1000${status ? `&status=${status}` : ''}`)
  if (res.status !== 200) throw new Error(`seat map: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.items
}

t.test('hold, conflict, ownership, confirm', async (t) => {
  const event = await createEvent(stack.url, alice.token, { seats: seatIds('A', 8) })

  const before = Date.now()
  const held = await hold(alice.token, event.id, { seatIds: ['A1', 'A2'] })
  t.equal(held.status, 201, 'Alice holds A1 and A2')
  t.match(held.body, { holdId: /^[0-9a-f-]{36}$/, eventId: event.id, expiresAt: String })
  t.same([...held.body.seatIds].sort(), ['A1', 'A2'])
  const ttl = Date.parse(held.body.expiresAt) - before
  t.ok(ttl > 50_000 && ttl < 62_000, `the default hold lasts about 60 s (got ${ttl} ms)`)
  const holdId: string = held.body.holdId
  t.equal(held.headers.get('location'), `/v1/holds/${holdId}`, 'Location names the hold')

  const conflict = await hold(bob.token, event.id, { seatIds: ['A2', 'A3'] })
  t.equal(conflict.status, 409, "Bob's overlapping hold is refused")
  t.equal(conflict.body.code, 'SEATS_UNAVAILABLE')
  t.equal(conflict.body.seats?.length, 1, 'only A2 is refused')
  t.match(conflict.body.seats?.[0], { seatId: 'A2', status: 'held' })
  const retryAfter = conflict.body.seats?.[0]?.retryAfterSeconds
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retryAfterSeconds is whole seconds in 1..60 (got ${retryAfter})`)
  const header = conflict.headers.get('retry-after')
  t.ok(header !== null && /^\d+$/.test(header) && Number(header) >= 1 && Number(header) <= 60, `a Retry-After header, since A2 is only held (got ${header})`)
  t.ok((await seatMap(event.id, 'available')).some((s) => s.seatId === 'A3'), 'A3 stays available (all or nothing)')
  const a3 = await stack.db.selectFrom('seats').select(['status', 'hold_id']).where('event_id', '=', event.id).where('seat_id', '=', 'A3').executeTakeFirstOrThrow()
  t.same(a3, { status: 'available', hold_id: null }, 'A3 untouched in the database')

  const stolen = await call(stack.url, 'POST', `/v1/holds/${holdId}/confirm`, { token: bob.token })
  t.equal(stolen.status, 403, "Bob cannot confirm Alice's hold")
  t.equal(stolen.body.code, 'NOT_HOLD_OWNER')

  const peek = await call(stack.url, 'GET', `/v1/holds/${holdId}`, { token: bob.token })
  t.equal(peek.status, 404, "Bob cannot see Alice's hold")
  t.equal(peek.body.code, 'HOLD_NOT_FOUND')

  const view = await call(stack.url, 'GET', `/v1/holds/${holdId}`, { token: alice.token })
  t.equal(view.status, 200)
  t.match(view.body, { holdId, eventId: event.id, expiresAt: held.body.expiresAt, status: 'active' }, 'Alice sees her active hold')
  t.notOk(view.body.bookingId, 'no booking yet')

  // Sent as many clients do: a JSON content type on a bodiless command.
  const confirmed = await call(stack.url, 'POST', `/v1/holds/${holdId}/confirm`, { token: alice.token, headers: { 'content-type': 'application/json' } })
  t.equal(confirmed.status, 201, 'Alice confirms')
  t.match(confirmed.body, { bookingId: /^[0-9a-f-]{36}$/, eventId: event.id, userId: alice.userId, status: 'confirmed', createdAt: String })
  t.same([...confirmed.body.seatIds].sort(), ['A1', 'A2'])
  const bookingId: string = confirmed.body.bookingId
  t.equal(confirmed.headers.get('location'), `/v1/bookings/${bookingId}`, 'Location names the booking')

  const again = await call(stack.url, 'POST', `/v1/holds/${holdId}/confirm`, { token: alice.token })
  t.equal(again.status, 409, 'a hold is confirmed once')
  t.equal(again.body.code, 'HOLD_NOT_ACTIVE')

  const after = await call(stack.url, 'GET', `/v1/holds/${holdId}`, { token: alice.token })
  t.match(after.body, { holdId, status: 'confirmed', bookingId }, 'the hold names its booking')

  const booked = await seatMap(event.id, 'booked')
  t.same(booked.map((s) => s.seatId), ['A1', 'A2'], 'the seat map shows A1 and A2 booked')
  const bookings = await stack.db.selectFrom('bookings').select(['id', 'status']).where('event_id', '=', event.id).execute()
  t.same(bookings, [{ id: bookingId, status: 'confirmed' }], 'one booking in the database')
  const row = await stack.db.selectFrom('holds').select(['status', 'booking_id']).where('id', '=', holdId).executeTakeFirstOrThrow()
  t.same(row, { status: 'confirmed', booking_id: bookingId })
})

t.test('an expired hold frees its seat the moment it expires', async (t) => {
  const event = await createEvent(stack.url, alice.token, { seats: seatIds('A', 8) })

  const before = Date.now()
  const held = await hold(alice.token, event.id, { seatIds: ['A5'], ttlSeconds: 5 })
  t.equal(held.status, 201, 'Alice holds A5 for 5 s')
  const expiresAt = Date.parse(held.body.expiresAt)
  t.ok(expiresAt - before > 3_000 && expiresAt - before < 7_000, `expiresAt is about 5 s away (got ${expiresAt - before} ms)`)

  const heldSeats = await seatMap(event.id, 'held')
  t.equal(heldSeats.length, 1, 'one held seat')
  t.equal(heldSeats[0]?.seatId, 'A5')
  t.equal(heldSeats[0]?.status, 'held')
  t.ok(Math.abs(Date.parse(heldSeats[0]?.holdExpiresAt) - expiresAt) < 1000, 'the seat map shows when the hold expires')
  const during = await call(stack.url, 'GET', `/v1/events/${event.id}`)
  t.match(during.body.seats, { total: 8, available: 7, held: 1, booked: 0 })

  const available = await poll(() => seatMap(event.id, 'available'), (items) => items.some((s) => s.seatId === 'A5'), 8_000)
  t.ok(available.some((s) => s.seatId === 'A5'), 'after the expiry A5 reads as available')
  t.ok(Date.now() >= expiresAt - 1000, 'and not before its hold expired')
  const a5 = (await seatMap(event.id)).find((s) => s.seatId === 'A5')
  t.match(a5, { seatId: 'A5', status: 'available', version: Number }, 'available')
  t.notOk('holdExpiresAt' in a5, 'with no holdExpiresAt')
  t.same(await seatMap(event.id, 'held'), [], 'nothing reads as held')
  const counts = await call(stack.url, 'GET', `/v1/events/${event.id}`)
  t.match(counts.body.seats, { total: 8, available: 8, held: 0, booked: 0 }, 'the event counts it available')

  const late = await call(stack.url, 'POST', `/v1/holds/${held.body.holdId}/confirm`, { token: alice.token })
  t.equal(late.status, 410, 'confirming an expired hold')
  t.equal(late.body.code, 'HOLD_EXPIRED')
  const view = await call(stack.url, 'GET', `/v1/holds/${held.body.holdId}`, { token: alice.token })
  t.equal(view.body.status, 'expired', 'the hold reads as expired')

  const bobs = await hold(bob.token, event.id, { seatIds: ['A5'] })
  t.equal(bobs.status, 201, 'Bob can hold A5 now')
  const row = await stack.db.selectFrom('seats').select(['status', 'hold_id']).where('event_id', '=', event.id).where('seat_id', '=', 'A5').executeTakeFirstOrThrow()
  t.same(row, { status: 'held', hold_id: bobs.body.holdId }, "A5 is held by Bob's hold in the database")
  t.same(await stack.db.selectFrom('bookings').select('id').where('event_id', '=', event.id).execute(), [], 'no booking came of the expired hold')
})

t.test('releasing a hold frees its seats at once', async (t) => {
  const event = await createEvent(stack.url, alice.token, { seats: seatIds('A', 8) })

  const held = await hold(alice.token, event.id, { seatIds: ['A7'] })
  t.equal(held.status, 201)
  const released = await call(stack.url, 'DELETE', `/v1/holds/${held.body.holdId}`, { token: alice.token })
  t.equal(released.status, 204, 'Alice releases her hold')
  t.notOk(released.body, '204 has no body')

  const booking = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: bob.token, body: { seatIds: ['A7'] } })
  t.equal(booking.status, 201, 'Bob books A7 right away')

  const twice = await call(stack.url, 'DELETE', `/v1/holds/${held.body.holdId}`, { token: alice.token })
  t.equal(twice.status, 409, 'a hold is released once')
  t.equal(twice.body.code, 'HOLD_NOT_ACTIVE')
  const view = await call(stack.url, 'GET', `/v1/holds/${held.body.holdId}`, { token: alice.token })
  t.equal(view.body.status, 'released')
  const confirm = await call(stack.url, 'POST', `/v1/holds/${held.body.holdId}/confirm`, { token: alice.token })
  t.equal(confirm.status, 409, 'a released hold cannot be confirmed')
  t.equal(confirm.body.code, 'HOLD_NOT_ACTIVE')

  const other = await hold(alice.token, event.id, { seatIds: ['A8'] })
  t.equal(other.status, 201)
  const foreign = await call(stack.url, 'DELETE', `/v1/holds/${other.body.holdId}`, { token: bob.token })
  t.equal(foreign.status, 403, "Bob cannot release Alice's hold")
  t.equal(foreign.body.code, 'NOT_HOLD_OWNER')
  const still = await call(stack.url, 'GET', `/v1/holds/${other.body.holdId}`, { token: alice.token })
  t.equal(still.body.status, 'active', 'and it stays active')
})

// Everything else about a hold request that is refused, the gateway refuses by itself:
// test/request-validation.test.ts.
t.test('an unknown seat is refused by the worker; the longest hold is allowed', async (t) => {
  const event = await createEvent(stack.url, alice.token, { seats: seatIds('A', 8) })
  const unknownSeat = await hold(alice.token, event.id, { seatIds: ['A1', 'Z9'] })
  t.equal(unknownSeat.status, 404, 'an unknown seat: status')
  t.equal(unknownSeat.body?.code, 'SEAT_NOT_FOUND', 'an unknown seat: code')

  t.same(await stack.db.selectFrom('holds').select('id').where('event_id', '=', event.id).execute(), [], 'no hold was made')
  t.same(await seatMap(event.id, 'held'), [], 'no seat is held')

  const longest = await hold(alice.token, event.id, { seatIds: ['A1'], ttlSeconds: 900 })
  t.equal(longest.status, 201, 'ttlSeconds 900 is allowed')
  const ttl = Date.parse(longest.body.expiresAt) - Date.now()
  t.ok(ttl > 890_000 && ttl <= 901_000, `and lasts 900 s (got ${ttl} ms)`)
})
