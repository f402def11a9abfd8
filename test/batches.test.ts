import { randomUUID } from 'node:crypto'
import type { Command } from '@seatline/contracts'
import { RequestRecords } from '@seatline/db'
import { ResourceLocks } from '@seatline/lock'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import t from 'tap'
import { StaleFenceError } from '../apps/worker/src/fencing.ts'
import { handlerFor } from '../apps/worker/src/commands/index.ts'
import { runCommands } from '../apps/worker/src/run-commands.ts'
import { poll } from './helpers/api.ts'
import { clearRedisPrefix, freshDatabase, REDIS_URL, uniqueName } from './helpers/stack.ts'

const prefix = uniqueName('batches')
const redis = new Redis(REDIS_URL)
t.teardown(async () => {
  await clearRedisPrefix(prefix)
  redis.disconnect()
})

async function setUp (t: { teardown (fn: () => unknown): void }, seats: string[]) {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  const users = await db.insertInto('users')
    .values(['a', 'b', 'c'].map((n) => ({ email: `${n}-${randomUUID()}@example.com`, password_hash: 'x' })))
    .returning('id').execute()
  const event = await db.insertInto('events').values({ name: 'Batched', created_by: users[0]!.id }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('seats').values(seats.map((seat) => ({ event_id: event.id, seat_id: seat }))).execute()
  const context = { db, locks: new ResourceLocks(redis, { prefix }), records: new RequestRecords(db), holdSeatsPerUser: 0 }
  const book = (user: number, ...seatIds: string[]): Command =>
    ({ type: 'book-seats', requestId: randomUUID(), userId: users[user]!.id, eventId: event.id, seatIds })
  return { db, context, eventId: event.id, users: users.map((u) => u.id), book }
}

t.test('one seat asked for several times in a batch goes to the first asker only', async (t) => {
  const { db, context, eventId, users, book } = await setUp(t, ['A1', 'A2'])
  const batch = [book(0, 'A1'), book(1, 'A1'), book(2, 'A1', 'A2'), book(1, 'A2')]
  const results = await runCommands(context, batch)

  t.match(results[0], { ok: true, kind: 'booking', booking: { userId: users[0], seatIds: ['A1'] } }, 'the first asker books A1')
  t.match(results[1], { ok: false, code: 'SEATS_UNAVAILABLE', seats: [{ seatId: 'A1', status: 'booked' }] }, 'the second is told it is booked')
  t.match(results[2], { ok: false, code: 'SEATS_UNAVAILABLE' }, 'all or nothing: A2 is not booked for the third')
  t.match(results[3], { ok: true, booking: { userId: users[1], seatIds: ['A2'] } }, 'so the fourth gets A2')

  const active = await db.selectFrom('booking_seats').select('seat_id').where('event_id', '=', eventId).where('active', '=', true).orderBy('seat_id').execute()
  t.same(active.map((r) => r.seat_id), ['A1', 'A2'], 'one active booking per seat')
  const bookings = await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).orderBy('id').execute()
  t.same(bookings.map((b) => b.id), [batch[0]!.requestId, batch[3]!.requestId].sort(), 'each booking carries the id of the request that made it')
  const recorded = await db.selectFrom('requests').select('id').where('id', 'in', batch.map((c) => c.requestId)).execute()
  t.same(recorded, [], 'plain requests leave no record: their bookings are their results')
})

t.test('a batch runs its commands in order, whatever their kind', async (t) => {
  const { db, context, eventId, users, book } = await setUp(t, ['B1', 'B2'])
  const [first] = await runCommands(context, [book(0, 'B1')])
  const bookingId = first!.ok && first!.kind === 'booking' ? first!.booking.bookingId : ''

  const cancel: Command = { type: 'cancel-booking', requestId: randomUUID(), userId: users[0]!, eventId, bookingId, seatIds: ['B1'], sectionId: null }
  const hold: Command = { type: 'hold-seats', requestId: randomUUID(), userId: users[2]!, eventId, seatIds: ['B2'], ttlSeconds: 60 }
  const results = await runCommands(context, [book(1, 'B1'), cancel, book(1, 'B1'), hold, book(1, 'B2')])

  t.match(results.map((r) => r.ok ? r.kind : r.code), ['SEATS_UNAVAILABLE', 'cancellation', 'booking', 'hold', 'SEATS_UNAVAILABLE'],
    'booked before the cancel, free after it; held before the last booking')
  t.match(results[4], { seats: [{ seatId: 'B2', status: 'held' }] })
  const b1 = await db.selectFrom('seats').select(['status', 'booking_id']).where('event_id', '=', eventId).where('seat_id', '=', 'B1').executeTakeFirstOrThrow()
  t.equal(b1.status, 'booked')
  t.equal(b1.booking_id, results[2]!.ok && results[2]!.kind === 'booking' ? results[2]!.booking.bookingId : 'none', 'B1 belongs to the booking made after the cancel')
})

t.test('a batch run again (a retried job) replays every result and books nothing more', async (t) => {
  const { db, context, eventId, book } = await setUp(t, ['C1', 'C2'])
  const batch = [book(0, 'C1'), book(1, 'C1'), book(1, 'C2')]
  const first = await runCommands(context, batch)
  const again = await runCommands(context, batch)
  t.same(again, first, 'the same answers')
  const bookings = await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).execute()
  t.equal(bookings.length, 2, 'two bookings, as the first run made')
})

t.test("one command's fault fails the job after the commands before it, never losing them", async (t) => {
  const { db, context, eventId, book } = await setUp(t, ['D1', 'D2', 'D3'])
  // A newer lock holder has written D2: its booking must be refused, not forced through.
  await db.updateTable('seats').set({ fence: '9007199254740991' }).where('event_id', '=', eventId).where('seat_id', '=', 'D2').execute()
  const batch = [book(0, 'D1'), book(1, 'D2'), book(2, 'D3')]
  await t.rejects(runCommands(context, batch), StaleFenceError, 'the job fails, so BullMQ retries it')

  const bookings = await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).execute()
  t.same(bookings, [{ id: batch[0]!.requestId }], 'the command before the fault is committed, the others not at all')
  const seats = await db.selectFrom('seats').select(['seat_id', 'status']).where('event_id', '=', eventId).orderBy('seat_id').execute()
  t.same(seats.map((s) => s.status), ['booked', 'available', 'available'], 'nothing after the fault was changed')
})

t.test('a recorded command given up by its gateway and re-sent from its record changes nothing, whichever comes first', async (t) => {
  const { db, context, eventId, book } = await setUp(t, ['D1', 'D2'])
  // The gateway recorded it pending, then could not enqueue it; meanwhile a worker, recovering
  // from a Redis data loss, sent it again from its pending record.
  const withdrawnFirst = book(0, 'D1')
  await context.records.recordPending(withdrawnFirst)
  t.equal(await context.records.recordGaveUp(withdrawnFirst), undefined, 'given up first: the client may be told nothing changed')
  const [late] = await runCommands(context, [withdrawnFirst])
  t.match(late, { ok: false, code: 'UNAVAILABLE' }, 'the late run replays the refusal')
  const d1 = await db.selectFrom('seats').select('status').where('event_id', '=', eventId).where('seat_id', '=', 'D1').executeTakeFirstOrThrow()
  t.equal(d1.status, 'available', 'and books nothing')

  const ranFirst = book(1, 'D2')
  await context.records.recordPending(ranFirst)
  const [booked] = await runCommands(context, [ranFirst])
  t.match(booked, { ok: true, kind: 'booking' })
  t.same(await context.records.recordGaveUp(ranFirst), booked, 'ran first: giving up returns the booking, which the client must be told')
  const record = await db.selectFrom('requests').select('status').where('id', '=', ranFirst.requestId).executeTakeFirstOrThrow()
  t.equal(record.status, 'succeeded', 'and the record keeps it')
})

/**
 * A worker frozen inside its transaction while the job runs again elsewhere: the second run waits
 * for the first's row locks, and must then answer with what the first made, not refuse the seats
 * the first took (there is no record of a plain request to tell it).
 */
t.test('a second run of a plain command that waited for the first replays it, booking or hold', async (t) => {
  const { db, context, eventId, book, users } = await setUp(t, ['E1', 'E2'])
  const hold: Command = { type: 'hold-seats', requestId: randomUUID(), userId: users[1]!, eventId, seatIds: ['E2'], ttlSeconds: 60 }
  for (const command of [book(0, 'E1'), hold]) {
    let finishFirst!: () => void
    let firstResult: unknown
    const gate = new Promise<void>((resolve) => { finishFirst = resolve })
    const firstRun = db.transaction().execute(async (trx) => {
      // The frozen run, fenced below anything Redis hands out: its writes are the older ones.
      const [result] = await handlerFor(command).run(trx, [command], { fence: 1, records: context.records, holdSeatsPerUser: 0 })
      firstResult = result
      await gate
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const secondRun = runCommands(context, [command])
    const waiting = await poll(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)).rows[0]!.n, (n) => n > 0, 5_000)
    t.ok(waiting > 0, `${command.type}: the second run waits for the first's locks`)
    finishFirst()
    await firstRun
    const [second] = await secondRun
    t.same(second, firstResult, `${command.type}: the second run answers with what the first made`)
  }
  const bookings = await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).execute()
  const holds = await db.selectFrom('holds').select('id').where('event_id', '=', eventId).execute()
  t.equal(bookings.length + holds.length, 2, 'one booking and one hold, made once each')
})

/**
 * A request answered 202 has its record written by the gateway after the command was sent, so
 * the run may be inside its transaction meanwhile. Whichever of the two commits first, the record
 * must end with the run's result: a booking at once; a refusal, which leaves nothing else behind,
 * at once when the record came first, else when the sweeper sends the command again.
 */
t.test("a 202's record written while the run is in its transaction ends with the run's result, whichever commits first", async (t) => {
  const { db, context, book } = await setUp(t, ['F1', 'F2', 'F3', 'F4'])
  const waitingOnLocks = async () => poll(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)).rows[0]!.n, (n) => n > 0, 5_000)
  const recordOf = async (command: Command) => db.selectFrom('requests').select(['status', 'result']).where('id', '=', command.requestId).executeTakeFirstOrThrow()
  await runCommands(context, [book(2, 'F4')])

  for (const seat of ['F1', 'F4']) {
    // The run first: frozen after its work, before its commit; the gateway writes the record.
    const command = book(0, seat)
    let commitRun!: () => void
    const gate = new Promise<void>((resolve) => { commitRun = resolve })
    let ran: unknown
    const run = db.transaction().execute(async (trx) => {
      ran = (await handlerFor(command).run(trx, [command], { fence: Number.MAX_SAFE_INTEGER, records: context.records, holdSeatsPerUser: 0 }))[0]
      await gate
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const recording = context.records.recordPending(command)
    t.ok(await waitingOnLocks() > 0, `${seat}, run first: the record waits for the run's commit`)
    commitRun()
    await run
    await recording
    if (seat === 'F1') {
      t.match(await recordOf(command), { status: 'succeeded', result: ran }, `${seat}, run first: the record holds the booking it made`)
    } else {
      // A refusal leaves nothing to find: the record waits for the sweeper's re-send (30 s on).
      t.match(await recordOf(command), { status: 'pending' }, `${seat}, run first: a refusal leaves the record pending`)
      const [again] = await runCommands(context, [command])
      t.same(again, ran, `${seat}: the re-send refuses it again`)
      t.match(await recordOf(command), { status: 'failed', result: ran }, `${seat}: and completes the record with the refusal`)
    }
  }

  for (const [seat, expected] of [['F2', 'succeeded'], ['F4', 'failed']] as const) {
    // The gateway first: its record written, not yet committed; the run comes meanwhile.
    const command = book(1, seat)
    let commitRecord!: () => void
    const gate = new Promise<void>((resolve) => { commitRecord = resolve })
    const recording = db.transaction().execute(async (trx) => {
      await context.records.recordPending(command, trx)
      await gate
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const run = runCommands(context, [command])
    t.ok(await waitingOnLocks() > 0, `${seat}, record first: the run waits for the record's commit`)
    commitRecord()
    await recording
    const [result] = await run
    t.match(result, { ok: expected === 'succeeded' })
    t.match(await recordOf(command), { status: expected, result }, `${seat}, record first: the run completed the record`)
  }
})
