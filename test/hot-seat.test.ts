import t from 'tap'
import { call, createEvent, seatIds, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('200 buyers racing for 20 seats: every seat sold once, every buyer answered', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())

  const users = await signupMany(stack.url, 200)
  const seats = seatIds('A', 20)
  const event = await createEvent(stack.url, users[0]!.token, { seats })

  const replies = await Promise.all(users.map((user, i) => call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, {
    token: user.token,
    body: { seatIds: [seats[i % seats.length]] },
  })))

  const created = replies.filter((r) => r.status === 201)
  const refused = replies.filter((r) => r.status === 409)
  t.equal(created.length, 20, 'exactly one 201 per seat')
  t.equal(refused.length, 180, 'everyone else gets a definitive 409')
  t.ok(refused.every((r) => r.body.code === 'SEATS_UNAVAILABLE' && r.body.seats[0].status === 'booked'), 'each 409 says the seat is booked')
  t.ok(refused.every((r) => r.headers.get('content-type')?.startsWith('application/problem+json')), '409s are problem+json')
  t.same(new Set(created.map((r) => r.body.seatIds[0])), new Set(seats), 'each seat went to exactly one buyer')

  const bookings = await stack.db.selectFrom('bookings').select(['id', 'user_id']).where('event_id', '=', event.id).execute()
  t.equal(bookings.length, 20, 'the database holds exactly 20 bookings')
  t.same(new Set(bookings.map((b) => b.id)), new Set(created.map((r) => r.body.bookingId)), 'every 201 is in the database, nothing else is')

  const doubles = await stack.db.selectFrom('booking_seats').select(['seat_id']).select((eb) => eb.fn.countAll<number>().as('n'))
    .where('event_id', '=', event.id).where('active', '=', true).groupBy('seat_id').having((eb) => eb.fn.countAll(), '>', 1).execute()
  t.same(doubles, [], 'no seat has two active bookings')

  const booked = await call(stack.url, 'GET', `/v1/events/${event.id}/seats?status=booked&limit=100`)
  t.equal(booked.body.items.length, 20, 'the seat map shows all 20 booked')
})
