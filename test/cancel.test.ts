import t from 'tap'
import { call, createEvent, type Reply, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

const stack = await startStack({ workers: 2 })
t.teardown(() => stack.stop())

function book (token: string, eventId: string, seats: string[]) {
  return call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: seats } })
}

/** Follows nextCursor from the first page to the last; returns the pages. */
async function allPages (path: string, token?: string): Promise<any[][]> {
  const pages: any[][] = []
  let cursor: string | null = null
  do {
    const sep = path.includes('?') ? '&' : '?'
    const res: Reply = await call(stack.url, 'GET', cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path, token ? { token } : {})
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`)
    pages.push(res.body.items)
    cursor = res.body.nextCursor
    if (pages.length > 1000) throw new Error(`${path}: the cursor never ends`)
  } while (cursor !== null)
  return pages
}

t.test('cancelling a booking frees its seat at once', async (t) => {
  const [alice, bob] = [await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, alice.token, { seats: seatIds('A', 3) })

  const mine = await book(alice.token, event.id, ['A1'])
  t.equal(mine.status, 201, 'Alice books A1')
  const bookingId: string = mine.body.bookingId

  const taken = await book(bob.token, event.id, ['A1'])
  t.equal(taken.status, 409, 'Bob cannot book A1 while it is booked')
  t.equal(taken.body.code, 'SEATS_UNAVAILABLE')
  t.match(taken.body.seats, [{ seatId: 'A1', status: 'booked' }])

  const foreign = await call(stack.url, 'DELETE', `/v1/bookings/${bookingId}`, { token: bob.token })
  t.equal(foreign.status, 403, "Bob cannot cancel Alice's booking")
  t.equal(foreign.body.code, 'NOT_BOOKING_OWNER')
  const still = await call(stack.url, 'GET', `/v1/bookings/${bookingId}`, { token: alice.token })
  t.equal(still.body.status, 'confirmed', 'and it stays confirmed')

  const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${bookingId}`, { token: alice.token })
  t.equal(cancelled.status, 200, 'Alice cancels')
  t.match(cancelled.body, { bookingId, eventId: event.id, userId: alice.userId, status: 'cancelled', seatIds: ['A1'] })
  const view = await call(stack.url, 'GET', `/v1/bookings/${bookingId}`, { token: alice.token })
  t.equal(view.body.status, 'cancelled', 'the booking reads as cancelled')

  const rebooked = await book(bob.token, event.id, ['A1'])
  t.equal(rebooked.status, 201, 'Bob books A1 right after')
  t.equal(rebooked.body.userId, bob.userId)

  const again = await call(stack.url, 'DELETE', `/v1/bookings/${bookingId}`, { token: alice.token })
  t.equal(again.status, 409, 'a booking is cancelled once')
  t.equal(again.body.code, 'ALREADY_CANCELLED')

  const active = await stack.db.selectFrom('booking_seats').select(['booking_id', 'seat_id'])
    .where('event_id', '=', event.id).where('active', '=', true).execute()
  t.same(active, [{ booking_id: rebooked.body.bookingId, seat_id: 'A1' }], "only Bob's booking holds A1")
  const rows = await stack.db.selectFrom('bookings').select(['id', 'status']).where('event_id', '=', event.id).orderBy('created_at').execute()
  t.same(rows, [{ id: bookingId, status: 'cancelled' }, { id: rebooked.body.bookingId, status: 'confirmed' }])
  const seat = await stack.db.selectFrom('seats').select(['status', 'booking_id']).where('event_id', '=', event.id).where('seat_id', '=', 'A1').executeTakeFirstOrThrow()
  t.same(seat, { status: 'booked', booking_id: rebooked.body.bookingId })

  t.test('listing bookings by status and event', async (t) => {
    const other = await createEvent(stack.url, alice.token, { seats: ['B1'] })
    const second = await book(alice.token, other.id, ['B1'])
    t.equal(second.status, 201)

    const cancelledList = await call(stack.url, 'GET', '/v1/bookings?status=cancelled', { token: alice.token })
    t.equal(cancelledList.status, 200)
    t.same(cancelledList.body.items.map((b: any) => b.bookingId), [bookingId], "Alice's cancelled booking, and only it")
    t.equal(cancelledList.body.items[0]?.status, 'cancelled')

    const confirmedList = await call(stack.url, 'GET', '/v1/bookings?status=confirmed', { token: alice.token })
    t.same(confirmedList.body.items.map((b: any) => b.bookingId), [second.body.bookingId], 'her confirmed one')

    const byEvent = await call(stack.url, 'GET', `/v1/bookings?eventId=${event.id}`, { token: alice.token })
    t.same(byEvent.body.items.map((b: any) => b.bookingId), [bookingId], 'eventId filters')
    const byOther = await call(stack.url, 'GET', `/v1/bookings?eventId=${other.id}`, { token: alice.token })
    t.same(byOther.body.items.map((b: any) => b.bookingId), [second.body.bookingId], 'eventId filters the other way')
    const both = await call(stack.url, 'GET', `/v1/bookings?eventId=${event.id}&status=confirmed`, { token: alice.token })
    t.same(both.body.items, [], 'filters combine')

    const bobs = await call(stack.url, 'GET', '/v1/bookings', { token: bob.token })
    t.same(bobs.body.items.map((b: any) => b.bookingId), [rebooked.body.bookingId], 'Bob sees only his own')
  })
})

t.test('cursor pagination', async (t) => {
  const carol = await signup(stack.url)
  const event = await createEvent(stack.url, carol.token, { seats: seatIds('P', 5) })
  const ids: string[] = []
  for (const seat of seatIds('P', 5)) {
    const res = await book(carol.token, event.id, [seat])
    t.equal(res.status, 201, `booked ${seat}`)
    ids.push(res.body.bookingId)
  }

  const pages = await allPages('/v1/bookings?limit=2', carol.token)
  t.same(pages.map((p) => p.length), [2, 2, 1], 'bookings: pages of 2, 2 and 1, then nextCursor null')
  const seen = pages.flat().map((b) => b.bookingId)
  t.equal(new Set(seen).size, seen.length, 'no booking twice')
  t.same(new Set(seen), new Set(ids), 'every booking once')

  const filtered = await allPages(`/v1/bookings?limit=2&eventId=${event.id}&status=confirmed`, carol.token)
  t.same(new Set(filtered.flat().map((b) => b.bookingId)), new Set(ids), 'filters hold across pages')

  const created = []
  for (let i = 0; i < 3; i++) created.push((await createEvent(stack.url, carol.token, { name: `Page ${i}`, seats: ['X1'] })).id)
  const eventPages = await allPages('/v1/events?limit=1')
  t.ok(eventPages.every((p) => p.length === 1), 'events: one per page')
  const eventIds = eventPages.flat().map((e) => e.id)
  t.equal(new Set(eventIds).size, eventIds.length, 'no event twice')
  const total = await stack.db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  t.equal(eventIds.length, Number(total.n), 'every event once')
  t.ok(created.every((id) => eventIds.includes(id)), 'the new events among them')
})
