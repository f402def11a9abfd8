import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// Bookings in batches: the fence test becomes "newer than mine", and many bookings run in one
// statement. The SQL is this migration's own, frozen with it.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-11-21T02-book-seats-in-batches.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists seatline_book_seats_many(jsonb)`.execute(db)
  await sql.raw(readFileSync(new URL('./sql/2026-11-21T01-book-seats-function.sql', import.meta.url), 'utf8')).execute(db)
}
