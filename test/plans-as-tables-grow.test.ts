import { randomUUID } from 'node:crypto'
import { createDb } from '@seatline/db'
import { sql } from 'kysely'
import t from 'tap'
import { freshDatabase } from './helpers/stack.ts'

/**
 * A long-lived worker connection books on a small event first, then on an event far bigger
 * than any the tables held when its statements were planned. A plan cached for the tiny table
 * (a sequential scan) must not follow it to the big one: each booking reads its seats by key.
 */
t.test('a warm connection books a seat of a newly created big event by index, not by scanning every seat', async (t) => {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  // One connection, as a worker's is: its plpgsql statements keep their plans between calls.
  const db = createDb(database.url, { max: 1 })
  t.teardown(() => db.destroy())
  // Autovacuum's analyze would repair the plan some time later, when it happens to run.
  await sql`alter table seats set (autovacuum_enabled = false)`.execute(db)

  const user = await db.insertInto('users').values({ email: `${randomUUID()}@example.com`, password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const event = async (name: string, seats: number) => {
    const row = await db.insertInto('events').values({ name, created_by: user.id }).returning('id').executeTakeFirstOrThrow()
    await sql`insert into seats (event_id, seat_id) select ${row.id}, 'S' || g from generate_series(1, ${seats}) g`.execute(db)
    return row.id
  }
  const book = (eventId: string, seat: string) => sql<{ result: any }>`
    select seatline_book_seats(${JSON.stringify({ type: 'book-seats', requestId: randomUUID(), userId: user.id, eventId, seatIds: [seat] })}::jsonb, 1) as result`

  const small = await event('Small', 20)
  await sql`analyze seats`.execute(db)
  for (let i = 1; i <= 12; i++) {
    const { rows } = await book(small, `S${i}`).execute(db)
    t.equal(rows[0]!.result.ok, true, `small event seat S${i} booked`)
  }

  const big = await event('Big', 100_000)
  const scans = await db.transaction().execute(async (trx) => {
    const { rows } = await book(big, 'S77777').execute(trx)
    t.equal(rows[0]!.result.ok, true, 'a seat of the big event is booked')
    const { rows: stats } = await sql<{ seq_scan: string }>`select seq_scan from pg_stat_xact_user_tables where relname = 'seats'`.execute(trx)
    return Number(stats[0]?.seq_scan ?? 0)
  })
  t.equal(scans, 0, 'the booking read no seats sequentially')
})
