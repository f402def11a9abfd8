import t from 'tap'
import { call, createEvent, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('overlapping multi-seat bookings are all or nothing', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const [alice, bob] = [await signup(stack.url), await signup(stack.url)]

  for (let round = 0; round < 10; round++) {
    const seats = ['A', 'B', 'C', 'D', 'E'].map((row) => `${row}${round}`)
    const event = await createEvent(stack.url, alice.token, { seats })
    // Their groups differ (smallest seats A and C), so only the seat locks keep them apart.
    const [first, second] = await Promise.all([
      call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: alice.token, body: { seatIds: [seats[0], seats[1], seats[2]] } }),
      call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: bob.token, body: { seatIds: [seats[2], seats[3], seats[4]] } }),
    ])
    const statuses = [first.status, second.status].sort()
    t.same(statuses, [201, 409], `round ${round}: one wins, one is refused`)
    const loser = first.status === 409 ? first : second
    t.same(loser.body.seats, [{ seatId: seats[2], status: 'booked' }], 'the refusal names only the contested seat')

    const rows = await stack.db.selectFrom('seats').select(['seat_id', 'status']).where('event_id', '=', event.id).orderBy('seat_id').execute()
    const booked = rows.filter((r) => r.status === 'booked').map((r) => r.seat_id)
    const winnerSeats = (first.status === 201 ? first : second).body.seatIds
    t.same(booked.sort(), [...winnerSeats].sort(), "only the winner's seats are booked; the loser's other seats stay free")
  }
})

t.test('a multi-seat booking naming a missing seat books nothing', async (t) => {
  const stack = await startStack({ workers: 1 })
  t.teardown(() => stack.stop())
  const user = await signup(stack.url)
  const event = await createEvent(stack.url, user.token, { seats: ['A1', 'A2'] })
  const res = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: user.token, body: { seatIds: ['A1', 'Z9'] } })
  t.equal(res.status, 404)
  t.equal(res.body.code, 'SEAT_NOT_FOUND')
  t.same(res.body.seatIds, ['Z9'])
  const booked = await stack.db.selectFrom('seats').select('seat_id').where('event_id', '=', event.id).where('status', '=', 'booked').execute()
  t.same(booked, [], 'A1 stays available')
})
