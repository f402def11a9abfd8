import { randomUUID } from 'node:crypto'
import t from 'tap'
import { call, createEvent, signup, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

const stack = await startStack({ workers: 2 })
t.teardown(() => stack.stop())

async function sectionRemaining (sectionId: string): Promise<number> {
  const row = await stack.db.selectFrom('sections').select('remaining').where('id', '=', sectionId).executeTakeFirstOrThrow()
  return row.remaining
}

t.test('20 buyers for 5 general-admission places: exactly 5 sold', async (t) => {
  const users = await signupMany(stack.url, 20)
  const event = await createEvent(stack.url, users[0]!.token, { sections: [{ name: 'Floor', capacity: 5 }] })
  const sectionId: string = event.sections[0].id
  t.equal(event.sections[0].remaining, 5, 'a new section has all its places')

  const replies = await Promise.all(users.map((user) => call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, {
    token: user.token,
    body: { sectionId, quantity: 1 },
  })))

  const created = replies.filter((r) => r.status === 201)
  const refused = replies.filter((r) => r.status === 409)
  t.equal(created.length, 5, 'exactly 5 × 201')
  t.equal(refused.length, 15, 'exactly 15 × 409')
  t.ok(refused.every((r) => r.body.code === 'SOLD_OUT'), 'every 409 is SOLD_OUT')
  t.ok(refused.every((r) => typeof r.body.remaining === 'number'), 'every SOLD_OUT carries remaining')
  t.ok(refused.every((r) => r.body.remaining === 0), 'a buyer of one place is refused only when none remain')
  t.ok(refused.every((r) => r.headers.get('content-type')?.startsWith('application/problem+json')), '409s are problem+json')
  for (const r of created) {
    t.match(r.body, { eventId: event.id, status: 'confirmed', sectionId, quantity: 1 }, 'a GA booking names its section and quantity')
    t.equal(r.headers.get('location'), `/v1/bookings/${r.body.bookingId}`, 'Location names the booking')
  }
  t.equal(new Set(created.map((r) => r.body.userId)).size, 5, 'five different buyers got the places')

  const detail = await call(stack.url, 'GET', `/v1/events/${event.id}`)
  t.equal(detail.status, 200)
  t.equal(detail.body.sections[0].remaining, 0, 'the event shows the section sold out')

  t.equal(await sectionRemaining(sectionId), 0, 'sections.remaining is 0 in the database')
  const bookings = await stack.db.selectFrom('bookings').select(['id', 'quantity'])
    .where('section_id', '=', sectionId).where('status', '=', 'confirmed').execute()
  t.equal(bookings.reduce((sum, b) => sum + (b.quantity ?? 0), 0), 5, 'confirmed bookings of the section add up to 5 places')
  t.same(new Set(bookings.map((b) => b.id)), new Set(created.map((r) => r.body.bookingId)), 'every 201 is in the database, nothing else is')
})

t.test('asking for more than remains, and bad GA requests', async (t) => {
  const [alice, bob] = [await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, alice.token, { seats: ['A1'], sections: [{ name: 'Floor', capacity: 5 }] })
  const sectionId: string = event.sections[0].id
  const path = `/v1/events/${event.id}/bookings`

  const first = await call(stack.url, 'POST', path, { token: alice.token, body: { sectionId, quantity: 3 } })
  t.equal(first.status, 201, 'three of five places')
  t.equal(first.body.quantity, 3)

  const tooMany = await call(stack.url, 'POST', path, { token: bob.token, body: { sectionId, quantity: 3 } })
  t.equal(tooMany.status, 409, 'three more than the two remaining')
  t.equal(tooMany.body.code, 'SOLD_OUT')
  t.equal(tooMany.body.remaining, 2, 'the refusal says how many remain')
  t.equal(await sectionRemaining(sectionId), 2, 'a refused request takes nothing')

  const other = await createEvent(stack.url, alice.token, { sections: [{ name: 'Balcony', capacity: 5 }] })
  // Sections are checked by the worker; the gateway's own 400s are in test/request-validation.test.ts.
  const cases: Array<[string, unknown, number, string]> = [
    ['unknown section', { sectionId: randomUUID(), quantity: 1 }, 404, 'SECTION_NOT_FOUND'],
    ["another event's section", { sectionId: other.sections[0].id, quantity: 1 }, 404, 'SECTION_NOT_FOUND'],
  ]
  for (const [name, body, status, code] of cases) {
    const res = await call(stack.url, 'POST', path, { token: bob.token, body })
    t.equal(res.status, status, `${name}: status`)
    t.equal(res.body?.code, code, `${name}: code`)
  }
  t.equal(await sectionRemaining(sectionId), 2, 'no bad request took a place')
  t.equal(await sectionRemaining(other.sections[0].id), 5, "nor one of the other event's places")
  const seat = await stack.db.selectFrom('seats').select('status').where('event_id', '=', event.id).where('seat_id', '=', 'A1').executeTakeFirstOrThrow()
  t.equal(seat.status, 'available', 'nor the seat named beside the section')
})

t.test('cancelling a GA booking gives its places back at once', async (t) => {
  const [alice, bob] = [await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, alice.token, { sections: [{ name: 'Floor', capacity: 5 }] })
  const sectionId: string = event.sections[0].id
  const path = `/v1/events/${event.id}/bookings`

  const booking = await call(stack.url, 'POST', path, { token: alice.token, body: { sectionId, quantity: 4 } })
  t.equal(booking.status, 201)
  t.equal(await sectionRemaining(sectionId), 1)
  const refused = await call(stack.url, 'POST', path, { token: bob.token, body: { sectionId, quantity: 3 } })
  t.equal(refused.body.code, 'SOLD_OUT', 'three places do not fit while four are booked')

  const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${booking.body.bookingId}`, { token: alice.token })
  t.equal(cancelled.status, 200)
  t.match(cancelled.body, { bookingId: booking.body.bookingId, status: 'cancelled', sectionId, quantity: 4 }, 'the cancelled booking is returned')

  t.equal(await sectionRemaining(sectionId), 5, 'the four places are back in the database')
  const detail = await call(stack.url, 'GET', `/v1/events/${event.id}`)
  t.equal(detail.body.sections[0].remaining, 5, 'and in the event')

  const retry = await call(stack.url, 'POST', path, { token: bob.token, body: { sectionId, quantity: 3 } })
  t.equal(retry.status, 201, 'the places can be booked again')
  t.equal(await sectionRemaining(sectionId), 2)
})
