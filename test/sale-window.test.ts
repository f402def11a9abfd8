import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { call, createEvent, poll, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * The sale's window and pause, decided in the command's transaction at the moment it runs:
 * before opensAt a hold or booking is 409 SALE_NOT_OPEN (with Retry-After and opensAt), after
 * closesAt 409 SALE_CLOSED, while paused 409 SALE_PAUSED; confirming, releasing and cancelling
 * always go through.
 */
const stack = await startStack({ workers: 2 })
t.teardown(() => stack.stop())
const [organiser, buyer] = [await signup(stack.url), await signup(stack.url)]

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString()
const book = (eventId: string, seats: string[], token = buyer.token) => call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: seats } })
const hold = (eventId: string, seats: string[], token = buyer.token) => call(stack.url, 'POST', `/v1/events/${eventId}/holds`, { token, body: { seatIds: seats } })
const patch = (eventId: string, body: unknown, token = organiser.token) => call(stack.url, 'PATCH', `/v1/events/${eventId}`, { token, body })
const saleOf = async (eventId: string) => (await call(stack.url, 'GET', `/v1/events/${eventId}`)).body.sale

async function bookingsOf (eventId: string): Promise<number> {
  const row = await stack.db.selectFrom('bookings').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Holds a seat's row from outside, so the worker's job for it starts and then waits inside its
 * transaction: what the command decides, it decides when it goes on, not when it began.
 */
async function blockSeat (eventId: string, seatId: string) {
  const client = new pg.Client({ connectionString: stack.databaseUrl })
  await client.connect()
  await client.query('begin')
  await client.query('select 1 from seats where event_id = $1 and seat_id = $2 for update', [eventId, seatId])
  // From the stack's own pool: inside the blocking transaction, pg_stat_activity would be a snapshot.
  const waiting = async () => (await sql<{ started: Date }>`
      select xact_start as started from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and application_name = 'seatline-worker'`.execute(stack.db)).rows
  return {
    /** Resolves with the waiting job's transaction start, once a worker waits on the row. */
    async workerWaiting (): Promise<Date> {
      const rows = await poll(waiting, (r) => r.length > 0, 10_000)
      if (rows.length === 0) throw new Error('no worker came to wait on the seat')
      return rows[0]!.started
    },
    async release () {
      await client.query('rollback')
      await client.end()
    },
  }
}

t.test('before opensAt: SALE_NOT_OPEN with Retry-After and opensAt; just after: booked', async (t) => {
  const opensAt = inMs(2_500)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('A', 4), sale: { opensAt } })
  t.match(event.sale, { opensAt, closesAt: null, maxSeatsPerBuyer: null, paused: false, waitingRoom: null, status: 'scheduled' }, 'the new event reads its sale as scheduled')

  const early = await book(event.id, ['A1'])
  t.equal(early.status, 409, 'a booking before the opening is refused')
  t.equal(early.body.code, 'SALE_NOT_OPEN')
  t.equal(early.body.opensAt, opensAt, 'the refusal says when the sale opens')
  t.ok(early.headers.get('content-type')?.startsWith('application/problem+json'), 'as problem+json')
  const retryAfter = Number(early.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After counts down to the opening (got ${retryAfter})`)
  const earlyHold = await hold(event.id, ['A2'])
  t.equal(earlyHold.body.code, 'SALE_NOT_OPEN', 'so is a hold')

  // The last moment before the opening, then the first after it.
  await sleep(Math.max(0, Date.parse(opensAt) - Date.now() - 300))
  const justBefore = await book(event.id, ['A1'])
  const sentBefore = Date.now()
  t.equal(justBefore.body.code, 'SALE_NOT_OPEN', `${Date.parse(opensAt) - sentBefore} ms before the opening: still refused`)
  t.equal(justBefore.headers.get('retry-after'), '1', 'Retry-After is at least 1')
  await sleep(Math.max(0, Date.parse(opensAt) - Date.now() + 20))
  const justAfter = await book(event.id, ['A1'])
  t.equal(justAfter.status, 201, 'just after the opening, the same booking goes through')
  t.equal((await saleOf(event.id)).status, 'open', 'and the sale reads open')
  t.equal(await bookingsOf(event.id), 1, 'one booking in the database: the refusals took nothing')
})

t.test('decided when the command runs: sent before the opening, run after it, it books', async (t) => {
  const opensAt = inMs(2_000)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('B', 2), sale: { opensAt } })
  const blocked = await blockSeat(event.id, 'B1')
  try {
    const answer = book(event.id, ['B1'])
    const began = await blocked.workerWaiting()
    t.ok(began.getTime() < Date.parse(opensAt), `the worker's transaction began ${Date.parse(opensAt) - began.getTime()} ms before the opening`)
    await sleep(Math.max(0, Date.parse(opensAt) - Date.now() + 100))
    await blocked.release()
    const reply = await answer
    t.equal(reply.status, 201, 'it ran on after the opening: booked')
  } finally {
    await blocked.release().catch(() => {})
  }
})

t.test('decided when the command runs: sent while open, run after closesAt, it is refused', async (t) => {
  const closesAt = inMs(2_000)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('C', 2), sale: { closesAt } })
  t.equal(event.sale.status, 'open')
  const blocked = await blockSeat(event.id, 'C1')
  try {
    const answer = book(event.id, ['C1'])
    const began = await blocked.workerWaiting()
    t.ok(began.getTime() < Date.parse(closesAt), 'the worker began while the sale was open')
    await sleep(Math.max(0, Date.parse(closesAt) - Date.now() + 100))
    await blocked.release()
    const reply = await answer
    t.equal(reply.status, 409, 'it ran on after the closing: refused')
    t.equal(reply.body.code, 'SALE_CLOSED')
    t.equal(reply.body.closesAt, closesAt, 'the refusal says when it closed')
  } finally {
    await blocked.release().catch(() => {})
  }
  t.equal(await bookingsOf(event.id), 0, 'nothing was booked')
  t.equal((await saleOf(event.id)).status, 'closed', 'the sale reads closed')
  t.equal((await hold(event.id, ['C2'])).body.code, 'SALE_CLOSED', 'a hold after the closing is refused too')
})

t.test('pause and resume: holds and bookings stop, confirm, release and cancel go on', async (t) => {
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('D', 6) })
  const toConfirm = await hold(event.id, ['D1'])
  const toRelease = await hold(event.id, ['D2'])
  const toCancel = await book(event.id, ['D3'])
  t.same([toConfirm.status, toRelease.status, toCancel.status], [201, 201, 201], 'a hold, another hold and a booking before the pause')

  const paused = await patch(event.id, { sale: { paused: true } })
  t.equal(paused.status, 200, 'the organiser pauses the sale')
  t.match(paused.body.sale, { paused: true, status: 'paused' }, 'the reply reads it paused')
  t.match(await saleOf(event.id), { paused: true, status: 'paused' }, 'and so does every read')

  const refusedBooking = await book(event.id, ['D4'])
  t.equal(refusedBooking.status, 409)
  t.equal(refusedBooking.body.code, 'SALE_PAUSED', 'a booking is refused while paused')
  t.equal((await hold(event.id, ['D5'])).body.code, 'SALE_PAUSED', 'and a hold')

  const confirmed = await call(stack.url, 'POST', `/v1/holds/${toConfirm.body.holdId}/confirm`, { token: buyer.token })
  t.equal(confirmed.status, 201, 'a hold granted before the pause can still be confirmed')
  const released = await call(stack.url, 'DELETE', `/v1/holds/${toRelease.body.holdId}`, { token: buyer.token })
  t.equal(released.status, 204, 'and released')
  const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${toCancel.body.bookingId}`, { token: buyer.token })
  t.equal(cancelled.status, 200, 'a booking can still be cancelled')

  const resumed = await patch(event.id, { sale: { paused: false } })
  t.match(resumed.body.sale, { paused: false, status: 'open' }, 'the organiser resumes it')
  t.equal((await book(event.id, ['D4'])).status, 201, 'and bookings go through again')
  const seats = await stack.db.selectFrom('seats').select(['seat_id', 'status']).where('event_id', '=', event.id).orderBy('seat_id').execute()
  t.same(seats.map((s) => `${s.seat_id}:${s.status}`), ['D1:booked', 'D2:available', 'D3:available', 'D4:booked', 'D5:available', 'D6:available'],
    'the database holds exactly what was answered')
})

t.test('the opening moves only until it has passed; closesAt must follow it', async (t) => {
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('E', 2), sale: { opensAt: inMs(60_000) } })
  const later = inMs(120_000)
  const moved = await patch(event.id, { sale: { opensAt: later } })
  t.equal(moved.status, 200, 'a scheduled opening can move')
  t.equal(moved.body.sale.opensAt, later)

  const early = await patch(event.id, { sale: { closesAt: inMs(90_000) } })
  t.equal(early.status, 400, 'a closing before the opening is refused')
  t.equal(early.body.code, 'VALIDATION_FAILED')
  t.match(early.body.errors, [{ path: 'body/sale/closesAt' }])
  t.equal((await saleOf(event.id)).closesAt, null, 'and nothing changed')

  const now = await patch(event.id, { sale: { opensAt: inMs(-1_000) } })
  t.equal(now.body.sale.status, 'open', 'moving the opening into the past opens the sale')
  const open = now.body.sale.opensAt
  const again = await patch(event.id, { sale: { opensAt: inMs(60_000) } })
  t.equal(again.status, 409, 'once open, the opening cannot move')
  t.equal(again.body.code, 'SALE_ALREADY_OPEN')
  t.equal((await patch(event.id, { sale: { opensAt: open } })).status, 200, 'sending the same opening back is no change')
  const cleared = await patch(event.id, { name: 'Renamed', sale: { closesAt: inMs(60_000), maxSeatsPerBuyer: 4 } })
  t.match(cleared.body, { name: 'Renamed', sale: { maxSeatsPerBuyer: 4, status: 'open' } }, 'name, closing and limit change together')
  const nulls = await patch(event.id, { startsAt: null, sale: { closesAt: null, maxSeatsPerBuyer: null } })
  t.match(nulls.body, { startsAt: null, sale: { closesAt: null, maxSeatsPerBuyer: null } }, 'null clears them')

  const bad = await createEvent(stack.url, organiser.token, { seats: ['X1'] }).then(() => undefined, (e: Error) => e.message)
  t.equal(bad, undefined, 'an event without sale settings is created open')
  const refused = await call(stack.url, 'POST', '/v1/events', { token: organiser.token, body: { name: 'x', seats: ['X1'], sale: { closesAt: inMs(-60_000) } } })
  t.equal(refused.status, 400, 'an event whose sale would close before it opens is refused')
  t.match(refused.body.errors, [{ path: 'body/sale/closesAt' }])
})

t.test('sold out reads as such', async (t) => {
  const event = await createEvent(stack.url, organiser.token, { seats: ['F1'], sections: [{ name: 'Floor', capacity: 1 }] })
  t.equal((await book(event.id, ['F1'])).status, 201)
  t.equal((await saleOf(event.id)).status, 'open', 'a general-admission place is still left')
  const ga = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { sectionId: event.sections[0].id, quantity: 1 } })
  t.equal(ga.status, 201)
  t.equal((await saleOf(event.id)).status, 'sold-out', 'nothing left: sold out')
  const listed = await call(stack.url, 'GET', '/v1/events?limit=100')
  t.equal(listed.body.items.find((e: { id: string }) => e.id === event.id)?.sale.status, 'sold-out', 'the list says so too')
})
