import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { EventsRepository } from '../apps/gateway/src/repositories/events.ts'
import { freshDatabase } from './helpers/stack.ts'

/**
 * A long-lived worker connection books on a small event first; then an event far bigger than
 * anything the statistics knew is created through the API's own repository. The booking on it
 * must find its seat by the whole key (event and seat), not read through every seat of the
 * event: that was 100 ms a booking instead of 1–7, until autovacuum's analyze happened to run.
 * The plans are read from auto_explain, on the warm connection itself.
 */
/** An event made through the repository, as the route makes it (no quota: a repository without one). */
async function create (events: EventsRepository, userId: string, body: { name: string, seats: string[] }) {
  const event = await events.create(userId, body)
  if (typeof event === 'string' || 'quotaRetryAfterS' in event) throw new Error(`event not made: ${JSON.stringify(event)}`)
  return event
}

t.test('a warm connection books a seat of a newly created big event by its key', async (t) => {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  // Autovacuum's analyze would repair the statistics some time later, when it happens to run.
  await sql`alter table seats set (autovacuum_enabled = false)`.execute(db)
  const events = new EventsRepository(db)
  const user = await db.insertInto('users').values({ email: `${randomUUID()}@example.com`, password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const seats = (n: number) => Array.from({ length: n }, (_, i) => `S${i + 1}`)

  const small = (await create(events, user.id, { name: 'Small', seats: seats(20) }))!
  await sql`analyze seats`.execute(db)

  // One connection, as a worker's is: its plpgsql statements keep their plans between calls.
  const worker = new pg.Client({ connectionString: database.url })
  await worker.connect()
  t.teardown(() => worker.end())
  const book = (eventId: string, seat: string) => worker.query<{ result: { ok: boolean } }>(
    'select seatline_book_seats($1::jsonb, 1) as result',
    [JSON.stringify({ type: 'book-seats', requestId: randomUUID(), userId: user.id, eventId, seatIds: [seat] })])
  for (let i = 1; i <= 12; i++) t.equal((await book(small.id, `S${i}`)).rows[0]!.result.ok, true, `small event seat S${i} booked`)

  const big = (await create(events, user.id, { name: 'Big', seats: seats(100_000) }))!

  const plans: string[] = []
  worker.on('notice', (notice) => { if (/plan:/.test(notice.message ?? '')) plans.push(notice.message!) })
  await worker.query('load \'auto_explain\'')
  for (const setting of ['auto_explain.log_min_duration = 0', 'auto_explain.log_nested_statements = on', 'auto_explain.log_analyze = on', 'client_min_messages = log']) {
    await worker.query(`set ${setting}`)
  }
  t.equal((await book(big.id, 'S77777')).rows[0]!.result.ok, true, 'a seat of the big event is booked')
  await worker.query('set client_min_messages = notice')

  const seatScans = plans.flatMap((plan) => plan.split('\n').flatMap((line, i, lines) =>
    /Scan.* on seats\b/.test(line) ? [{ line: line.trim(), cond: lines[i + 1]?.trim() ?? '' }] : []))
  t.ok(seatScans.length >= 3, `the booking's reads of seats were seen (${seatScans.length})`)
  t.same(seatScans.filter((s) => /Seq Scan/.test(s.line)), [], 'no sequential scan of seats')
  t.same(seatScans.filter((s) => !/seat_id/.test(s.cond)), [], 'every read of seats finds its rows by event and seat, not by event alone')
})

/**
 * A new database whose seats were never analyzed (events under 5,000 seats are not analyzed at
 * creation), and a warm connection whose booking statements keep one generic plan: each seat is
 * still found by its key. Asked for as `seat_id = any($2)`, the generic plan read every seat of
 * the event instead (2,000 rows a statement, 1.5 ms each in the flash-sale bench).
 */
t.test('a never-analyzed table: a warm connection books each seat of a 2,000-seat event by its key', async (t) => {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  await sql`alter table seats set (autovacuum_enabled = false)`.execute(db)
  const events = new EventsRepository(db)
  const user = await db.insertInto('users').values({ email: `${randomUUID()}@example.com`, password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const event = (await create(events, user.id, { name: 'Flash', seats: Array.from({ length: 2_000 }, (_, i) => `S${i + 1}`) }))!
  const { rows: [stats] } = await sql<{ reltuples: number }>`select reltuples from pg_class where relname = 'seats'`.execute(db)
  t.equal(stats!.reltuples, -1, 'the statistics know nothing of the seats')

  const worker = new pg.Client({ connectionString: database.url })
  await worker.connect()
  t.teardown(() => worker.end())
  const plans: string[] = []
  worker.on('notice', (notice) => { if (/plan:/.test(notice.message ?? '')) plans.push(notice.message!) })
  await worker.query('load \'auto_explain\'')
  for (const setting of ['auto_explain.log_min_duration = 0', 'auto_explain.log_nested_statements = on', 'client_min_messages = log']) {
    await worker.query(`set ${setting}`)
  }
  for (let i = 1; i <= 12; i++) {
    const { rows } = await worker.query<{ result: { ok: boolean } }>('select seatline_book_seats_many($1::jsonb, 1) as result',
      [JSON.stringify([{ type: 'book-seats', requestId: randomUUID(), userId: user.id, eventId: event.id, seatIds: [`S${i}`] }])])
    t.ok(rows[0]!.result, `seat S${i} booked`)
  }
  await worker.query('set client_min_messages = notice')
  const seatScans = plans.flatMap((plan) => plan.split('\n').flatMap((line, i, lines) =>
    /Scan.* on seats\b/.test(line) ? [{ line: line.trim(), cond: lines[i + 1]?.trim() ?? '' }] : []))
  t.ok(seatScans.length >= 12 * 2, `the bookings' reads and writes of seats were seen (${seatScans.length})`)
  t.same(seatScans.filter((s) => !/Index.* Scan/.test(s.line) || !/seat_id/.test(s.cond)), [], 'every one finds its seat by event and seat')
})
