import { sql } from 'kysely'
import t from 'tap'
import { call, createEvent, seatIds, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * 64 partitions on 2 workers: up to 128 jobs may run at once, but each worker has 10 Postgres
 * clients (apps/worker/src/main.ts), so most jobs wait for one while holding their seat locks.
 * Two-seat requests that overlap put the same seat in jobs of different partitions.
 */
t.test('64 partitions, overlapping two-seat bookings: every buyer answered, no seat twice, the pool stays capped', async (t) => {
  const stack = await startStack({ workers: 2, env: { QUEUE_PARTITIONS: '64' } })
  t.teardown(() => stack.stop())

  const users = await signupMany(stack.url, 400)
  const seats = seatIds('A', 100)
  const event = await createEvent(stack.url, users[0]!.token, { seats })
  const asked = users.map((_, i) => [seats[i % 100]!, seats[(i + 37) % 100]!])

  let peakWorkerConnections = 0
  const watching = setInterval(() => {
    sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = 'seatline-worker' and datname = current_database()`
      .execute(stack.db).then(({ rows }) => { peakWorkerConnections = Math.max(peakWorkerConnections, rows[0]!.n) }, () => {})
  }, 50)
  const replies = await Promise.all(users.map((user, i) => call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, {
    token: user.token,
    body: { seatIds: asked[i] },
  })))
  clearInterval(watching)

  const statuses = replies.map((r) => r.status)
  t.ok(statuses.every((s) => s === 201 || s === 409), `every buyer got 201 or 409 (${[...new Set(statuses)].join(', ')})`)
  const created = replies.filter((r) => r.status === 201)
  t.ok(created.length > 0, `the load booked something (${created.length} bookings)`)
  const sold = created.flatMap((r) => r.body.seatIds as string[])
  t.equal(new Set(sold).size, sold.length, 'no seat answered 201 twice')
  const soldSet = new Set(sold)
  const unjustified = replies.filter((r) => r.status === 409 &&
    !(r.body.seats as Array<{ seatId: string, status: string }>).some((s) => s.status === 'booked' && soldSet.has(s.seatId)))
  t.equal(unjustified.length, 0, 'every 409 names a seat that another buyer was sold')

  const doubles = await stack.db.selectFrom('booking_seats').select(['seat_id']).select((eb) => eb.fn.countAll<number>().as('n'))
    .where('event_id', '=', event.id).where('active', '=', true).groupBy('seat_id').having((eb) => eb.fn.countAll(), '>', 1).execute()
  t.same(doubles, [], 'no seat has two active bookings')
  const bookings = await stack.db.selectFrom('bookings').select('id').where('event_id', '=', event.id).execute()
  t.same(new Set(bookings.map((b) => b.id)), new Set(created.map((r) => r.body.bookingId)), 'every 201 is in the database, nothing else is')
  t.ok(peakWorkerConnections > 0 && peakWorkerConnections <= 2 * 10, `the workers held at most 20 Postgres connections (peak ${peakWorkerConnections})`)
})
