import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// The whole reserved-seat booking in one round trip: the worker's hottest path. Statement by
// statement it would be eight: replay a recorded result, lock the seats, refuse a stale fencing
// number, refuse what is missing or taken, else book; and record the result.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-11-21T01-book-seats-function.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists seatline_book_seats(uuid, uuid, uuid, text[], bigint[])`.execute(db)
}
