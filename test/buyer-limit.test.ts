import { commandGroupKey, partitionOf } from '@seatline/queue'
import { sql } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import t from 'tap'
import { call, createEvent, poll, seatIds, signup, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * maxSeatsPerBuyer counts a buyer's running holds and confirmed bookings, seats and
 * general-admission places alike, and holds exactly however many partitions and workers a
 * buyer's simultaneous requests meet: each limited buyer has a row every such command locks.
 */
const PARTITIONS = 4
const stack = await startStack({ workers: 2, env: { QUEUE_PARTITIONS: String(PARTITIONS) } })
t.teardown(() => stack.stop())
const organiser = await signup(stack.url)

const book = (eventId: string, token: string, body: unknown) => call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token, body })
const partitionOfSeat = (eventId: string, seatId: string) =>
  partitionOf(commandGroupKey({ type: 'book-seats', requestId: '', userId: '', eventId, seatIds: [seatId] }), PARTITIONS)

async function placesOf (eventId: string, userId: string): Promise<number> {
  const row = await stack.db.selectFrom('bookings').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('quantity'), eb.lit(0)).as('n'))
    .where('event_id', '=', eventId).where('user_id', '=', userId).where('status', '=', 'confirmed').executeTakeFirstOrThrow()
  return Number(row.n)
}

async function deadlocks (): Promise<number> {
  const { rows } = await sql<{ n: string }>`select pg_stat_clear_snapshot(), (select deadlocks from pg_stat_database where datname = current_database()) as n`.execute(stack.db)
  return Number(rows[0]!.n)
}

/** Backends of the workers waiting on a row lock: the requests really are racing. */
async function workersWaiting (): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
     where datname = current_database() and application_name = 'seatline-worker' and wait_event_type = 'Lock'`.execute(stack.db)
  return rows[0]!.n
}

/** Holds buyers' rows from outside until released: the workers' jobs for them queue up behind. */
async function holdBuyers (eventId: string, userIds: string[]) {
  const client = new pg.Client({ connectionString: stack.databaseUrl })
  await client.connect()
  await client.query('begin')
  for (const userId of userIds) {
    await client.query('insert into event_buyers (event_id, user_id) values ($1, $2) on conflict do nothing', [eventId, userId])
    await client.query('select 1 from event_buyers where event_id = $1 and user_id = $2 for update', [eventId, userId])
  }
  let released = false
  return async () => {
    if (released) return
    released = true
    await client.query('commit')
    await client.end()
  }
}

t.test("one buyer's 20 simultaneous bookings over every partition end with exactly the limit", async (t) => {
  const LIMIT = 4
  const buyer = await signup(stack.url)
  const seats = seatIds('A', 20)
  const event = await createEvent(stack.url, organiser.token, { seats, sale: { maxSeatsPerBuyer: LIMIT } })
  const partitions = new Set(seats.map((s) => partitionOfSeat(event.id, s)))
  t.equal(partitions.size, PARTITIONS, `the 20 seats fall in all ${PARTITIONS} partitions`)

  const release = await holdBuyers(event.id, [buyer.userId])
  const replies = Promise.all(seats.map((seat) => book(event.id, buyer.token, { seatIds: [seat] })))
  try {
    const waiting = await poll(workersWaiting, (n) => n >= 2, 10_000)
    t.ok(waiting >= 2, `${waiting} jobs from different partitions wait on the buyer at once: the race is real`)
  } finally {
    await release()
  }
  const answers = await replies
  const created = answers.filter((r) => r.status === 201)
  const refused = answers.filter((r) => r.status === 409)
  t.equal(created.length, LIMIT, `exactly ${LIMIT} × 201`)
  t.equal(refused.length, 20 - LIMIT, `and ${20 - LIMIT} × 409`)
  t.ok(refused.every((r) => r.body.code === 'BUYER_LIMIT_REACHED'), 'every refusal is BUYER_LIMIT_REACHED')
  t.ok(refused.every((r) => r.body.limit === LIMIT && r.body.current === LIMIT), 'each names the limit and the places the buyer has')
  t.ok(refused.every((r) => r.headers.get('content-type')?.startsWith('application/problem+json')), 'as problem+json')
  t.equal(await placesOf(event.id, buyer.userId), LIMIT, `the database holds exactly ${LIMIT} booked places for the buyer`)
  const booked = await stack.db.selectFrom('seats').select('seat_id').where('event_id', '=', event.id).where('status', '=', 'booked').execute()
  t.same(booked.map((s) => s.seat_id).sort(), created.map((r) => r.body.seatIds[0]).sort(), 'the seats booked are the ones answered 201')
})

t.test('holds, seats and general admission count alike; expiry and cancellation give places back', async (t) => {
  const [buyer, other] = [await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('B', 10), sections: [{ name: 'Floor', capacity: 50, priceCents: 2500 }], sale: { maxSeatsPerBuyer: 4 } })
  const sectionId: string = event.sections[0].id
  t.equal(event.sale.maxSeatsPerBuyer, 4)

  const held = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: buyer.token, body: { seatIds: ['B1', 'B2'], ttlSeconds: 5 } })
  t.equal(held.status, 201, 'a hold of 2 seats (2 of 4)')
  const ga = await book(event.id, buyer.token, { sectionId, quantity: 2 })
  t.equal(ga.status, 201, '2 general-admission places (4 of 4)')
  const overSeat = await book(event.id, buyer.token, { seatIds: ['B3'] })
  t.equal(overSeat.status, 409, 'one seat more is refused')
  t.match(overSeat.body, { code: 'BUYER_LIMIT_REACHED', limit: 4, current: 4 })
  t.match((await book(event.id, buyer.token, { sectionId, quantity: 1 })).body, { code: 'BUYER_LIMIT_REACHED', current: 4 }, 'so is one place more')
  t.match((await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: buyer.token, body: { seatIds: ['B3'] } })).body,
    { code: 'BUYER_LIMIT_REACHED' }, 'and a hold')
  t.equal((await book(event.id, other.token, { seatIds: ['B3', 'B4', 'B5', 'B6'] })).status, 201, 'another buyer has a count of their own')

  const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${ga.body.bookingId}`, { token: buyer.token })
  t.equal(cancelled.status, 200, 'the general-admission booking is cancelled')
  t.equal((await book(event.id, buyer.token, { seatIds: ['B7', 'B8'] })).status, 201, 'which gives its 2 places back at once')
  t.match((await book(event.id, buyer.token, { seatIds: ['B9'] })).body, { code: 'BUYER_LIMIT_REACHED', current: 4 }, 'at the limit again')

  await sleep(Math.max(0, Date.parse(held.body.expiresAt) - Date.now() + 100))
  t.equal((await book(event.id, buyer.token, { seatIds: ['B9'] })).status, 201, 'the hold expired: its 2 places came back the moment it did')
  const late = await call(stack.url, 'POST', `/v1/holds/${held.body.holdId}/confirm`, { token: buyer.token })
  t.equal(late.body.code, 'HOLD_EXPIRED', 'and the expired hold cannot be confirmed')

  const last = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: buyer.token, body: { seatIds: ['B10'] } })
  t.equal(last.status, 201, 'a hold of the last place (4 of 4)')
  const confirmed = await call(stack.url, 'POST', `/v1/holds/${last.body.holdId}/confirm`, { token: buyer.token })
  t.equal(confirmed.status, 201, 'confirming it does not change the count: allowed at the limit')
  t.equal(await placesOf(event.id, buyer.userId), 4, 'the buyer has 4 confirmed places in the database')

  const lowered = await call(stack.url, 'PATCH', `/v1/events/${event.id}`, { token: organiser.token, body: { sale: { maxSeatsPerBuyer: 2 } } })
  t.equal(lowered.body.sale.maxSeatsPerBuyer, 2, 'the organiser lowers the limit')
  t.match((await book(event.id, buyer.token, { sectionId, quantity: 1 })).body, { code: 'BUYER_LIMIT_REACHED', limit: 2, current: 4 },
    'what the buyer has stays theirs; nothing more')
  const lifted = await call(stack.url, 'PATCH', `/v1/events/${event.id}`, { token: organiser.token, body: { sale: { maxSeatsPerBuyer: null } } })
  t.equal(lifted.body.sale.maxSeatsPerBuyer, null, 'and lifts it')
  t.equal((await book(event.id, buyer.token, { sectionId, quantity: 10 })).status, 201, 'without a limit, a buyer books what is there')
})

t.test('batches of different buyers lock them in one order: no deadlock, every limit exact', async (t) => {
  const BUYERS = 8
  const EACH = 12
  const LIMIT = 9
  const buyers = await signupMany(stack.url, BUYERS)
  const seats = seatIds('C', BUYERS * EACH)
  const event = await createEvent(stack.url, organiser.token, { seats, sale: { maxSeatsPerBuyer: LIMIT } })
  const before = await deadlocks()

  // The first buyer's first request in each partition starts a job there that waits on that
  // buyer's row: meanwhile everyone else's requests pile up at the gateway, to leave as batches,
  // each holding every buyer in the order their requests arrived. A second buyer's row, held a
  // little longer, stops those batches part-way through taking their buyers' rows: when it is let
  // go, any two batches that had taken buyers in different orders would each wait for the other.
  const [first, middle] = buyers
  const firstSeats = [...Array(PARTITIONS).keys()].map((p) => seats.find((s) => partitionOfSeat(event.id, s) === p)!)
  const releaseFirst = await holdBuyers(event.id, [first!.userId])
  const releaseMiddle = await holdBuyers(event.id, [middle!.userId])
  const openers = firstSeats.map((seat) => book(event.id, first!.token, { seatIds: [seat] }))
  const rest = seats.filter((s) => !firstSeats.includes(s))
  const assignment = rest.map((seat, i) => ({ seat, buyer: buyers[i % BUYERS]! })).sort(() => Math.random() - 0.5)
  let crowd: Promise<Array<{ status: number, body: any }>>
  try {
    t.equal(await poll(workersWaiting, (n) => n >= PARTITIONS, 10_000), PARTITIONS, 'a job in every partition waits on the first buyer')
    crowd = Promise.all(assignment.map(({ seat, buyer }) => book(event.id, buyer.token, { seatIds: [seat] })))
    await sleep(500)
    await releaseFirst()
    await Promise.all(openers)
    const stalled = await poll(workersWaiting, (n) => n >= 2, 10_000)
    t.ok(stalled >= 2, `${stalled} batches wait part-way through their buyers at once`)
  } finally {
    await releaseFirst()
    await releaseMiddle()
  }
  const answers = [...await Promise.all(openers), ...await crowd!]
  const statuses = new Map<number, number>()
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
  t.same([...statuses.keys()].sort(), [201, 409], `every request answered 201 or 409 (${[...statuses].map(([s, n]) => `${n} × ${s}`).join(', ')})`)
  for (const buyer of buyers) t.equal(await placesOf(event.id, buyer.userId), LIMIT, `buyer ${buyers.indexOf(buyer) + 1} ends with exactly ${LIMIT}`)
  await sleep(1_500) // Postgres publishes its statistics within a second
  t.equal(await deadlocks(), before, 'Postgres detected no deadlock')
})
