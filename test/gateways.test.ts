import t from 'tap'
import { call, createEvent, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('several gateways share one queue: a seat freed through one is bookable through another', async (t) => {
  const stack = await startStack({ gateways: 2, workers: 1 })
  t.teardown(() => stack.stop())
  const [north, south] = stack.urls as [string, string]
  const [alice, bob] = [await signup(north), await signup(south)]
  const event = await createEvent(north, alice.token, { seats: ['A1'] })
  const book = (url: string, token: string) => call(url, 'POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: ['A1'] } })

  const booked = await book(north, alice.token)
  t.equal(booked.status, 201, 'Alice books A1 through the north gateway')
  const refused = await book(south, bob.token)
  t.equal(refused.status, 409, 'Bob, through the south gateway, is told it is taken')
  t.equal(refused.body.seats?.[0]?.status, 'booked')

  const cancelled = await call(north, 'DELETE', `/v1/bookings/${booked.body.bookingId}`, { token: alice.token })
  t.equal(cancelled.status, 200, 'Alice cancels through the north gateway')

  // The south gateway remembers A1 as booked for 10 s unless it learns otherwise; it learns from
  // the cancellation's result on the event stream, within milliseconds. Asking again is harmless
  // (a refusal changes nothing); 8 s is well inside the memory's 10 s.
  const started = Date.now()
  let again = await book(south, bob.token)
  while (again.status === 409 && Date.now() - started < 8_000) again = await book(south, bob.token)
  t.equal(again.status, 201, `Bob then books A1 through the south gateway (after ${Date.now() - started} ms)`)
  const active = await stack.db.selectFrom('booking_seats').select('booking_id').where('event_id', '=', event.id).where('active', '=', true).execute()
  t.same(active, [{ booking_id: again.body.bookingId }], "A1 is booked once, Bob's")
})
