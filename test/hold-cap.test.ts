import { commandGroupKey, partitionOf } from '@seatline/queue'
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { call, createEvent, poll, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * HOLD_SEATS_PER_USER caps the seats one account holds in one event at a time, on events with no
 * limit of the organiser's too: one free account cannot hold a whole sale. Exact however many
 * partitions a buyer's simultaneous holds meet, as the buyer limit is: each holder's row is locked.
 */
const PARTITIONS = 4
const CAP = 5
const stack = await startStack({ workers: 2, env: { QUEUE_PARTITIONS: String(PARTITIONS), HOLD_SEATS_PER_USER: String(CAP) } })
t.teardown(() => stack.stop())
const organiser = await signup(stack.url)

const hold = (eventId: string, token: string, seatIds: string[]) => call(stack.url, 'POST', `/v1/events/${eventId}/holds`, { token, body: { seatIds } })
const partitionOfSeat = (eventId: string, seatId: string) =>
  partitionOf(commandGroupKey({ type: 'hold-seats', requestId: '', userId: '', eventId, seatIds: [seatId], ttlSeconds: 60 }), PARTITIONS)

async function heldBy (eventId: string, userId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select coalesce(sum(cardinality(seat_ids)), 0)::int as n from holds
    where event_id = ${eventId} and user_id = ${userId} and status = 'active' and expires_at > now()`.execute(stack.db)
  return rows[0]!.n
}

async function workersWaiting (): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
     where datname = current_database() and application_name = 'seatline-worker' and wait_event_type = 'Lock'`.execute(stack.db)
  return rows[0]!.n
}

async function deadlocks (): Promise<number> {
  const { rows } = await sql<{ n: string }>`select pg_stat_clear_snapshot(), (select deadlocks from pg_stat_database where datname = current_database()) as n`.execute(stack.db)
  return Number(rows[0]!.n)
}

t.test("one account's 16 simultaneous one-seat holds over every partition end with exactly the cap", async (t) => {
  const buyer = await signup(stack.url)
  const seats = seatIds('A', 16)
  const event = await createEvent(stack.url, organiser.token, { seats })
  t.equal(event.sale.maxSeatsPerBuyer, null, 'an event with no limit of its own')
  t.equal(new Set(seats.map((s) => partitionOfSeat(event.id, s))).size, PARTITIONS, `the seats fall in all ${PARTITIONS} partitions`)

  // The buyer's row held from outside: the jobs from every partition queue up on it together.
  const client = new pg.Client({ connectionString: stack.databaseUrl })
  await client.connect()
  await client.query('begin')
  await client.query('insert into event_buyers (event_id, user_id) values ($1, $2) on conflict do nothing', [event.id, buyer.userId])
  await client.query('select 1 from event_buyers where event_id = $1 and user_id = $2 for update', [event.id, buyer.userId])
  const replies = Promise.all(seats.map((seat) => hold(event.id, buyer.token, [seat])))
  try {
    const waiting = await poll(workersWaiting, (n) => n >= 2, 10_000)
    t.ok(waiting >= 2, `${waiting} jobs from different partitions wait on the buyer at once: the race is real`)
  } finally {
    await client.query('commit')
    await client.end()
  }
  const answers = await replies
  const held = answers.filter((r) => r.status === 201)
  const refused = answers.filter((r) => r.status === 409)
  t.equal(held.length, CAP, `exactly ${CAP} × 201`)
  t.equal(refused.length, 16 - CAP, `and ${16 - CAP} × 409`)
  t.ok(refused.every((r) => r.body.code === 'BUYER_LIMIT_REACHED' && r.body.limit === CAP && r.body.current === CAP), 'each BUYER_LIMIT_REACHED, naming the cap and the seats held')
  t.match(refused[0]!.body.detail, /held at once per account/, 'in words that say it is about holds')
  t.equal(await heldBy(event.id, buyer.userId), CAP, `the database has exactly ${CAP} seats held by the account`)

  // Bookings are not holds: the cap does not stop buying.
  const free = seats.filter((s) => !held.some((h) => h.body.seatIds[0] === s))
  const booked = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: [free[0]!] } })
  t.equal(booked.status, 201, 'the account still books outright')
  // A released hold gives its seat back to the count at once; a confirmed one leaves it too.
  t.equal((await call(stack.url, 'DELETE', `/v1/holds/${held[0]!.body.holdId}`, { token: buyer.token })).status, 204)
  t.equal((await call(stack.url, 'POST', `/v1/holds/${held[1]!.body.holdId}/confirm`, { token: buyer.token })).status, 201)
  t.equal((await hold(event.id, buyer.token, [free[1]!, free[2]!])).status, 201, 'a release and a confirmation make room for two more')
  t.match((await hold(event.id, buyer.token, [free[3]!])).body, { code: 'BUYER_LIMIT_REACHED', current: CAP }, 'and no more')
  const other = await signup(stack.url)
  t.equal((await hold(event.id, other.token, [free[3]!])).status, 201, "another account's count is its own")
})

t.test('many accounts holding at once in batches: no deadlock, each within the cap', async (t) => {
  const before = await deadlocks()
  const buyers = await Promise.all(Array.from({ length: 6 }, () => signup(stack.url)))
  const seats = seatIds('B', 48)
  const event = await createEvent(stack.url, organiser.token, { seats })
  // Each buyer asks for 8 seats one at a time, interleaved with the others: batches mix buyers.
  const answers = await Promise.all(seats.map((seat, i) => hold(event.id, buyers[i % buyers.length]!.token, [seat]).then((r) => ({ r, buyer: buyers[i % buyers.length]! }))))
  t.ok(answers.every(({ r }) => r.status === 201 || r.status === 409), 'every request answered 201 or 409, none 5xx or 202')
  for (const buyer of buyers) {
    const mine = answers.filter((a) => a.buyer === buyer)
    t.equal(mine.filter((a) => a.r.status === 201).length, CAP, `a buyer got exactly ${CAP} of their 8`)
    t.equal(await heldBy(event.id, buyer.userId), CAP)
  }
  t.equal(await deadlocks(), before, 'and Postgres saw no deadlock')
})
