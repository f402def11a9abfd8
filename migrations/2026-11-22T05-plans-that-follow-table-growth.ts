import { type Kysely, sql } from 'kysely'

// A plpgsql function keeps its statements' plans per connection, and after five calls settles
// on a generic plan made with the tables as they were. Planned while `seats` was tiny, that is
// a sequential scan, and a worker kept it for a 100,000-seat event created later (100 ms a
// booking instead of 1–7 ms) until autovacuum's analyze happened to run. Custom plans are made
// for each call with the tables as they are now; their planning costs microseconds.
const FUNCTIONS = ['seatline_book_seats(jsonb, bigint)', 'seatline_seats_refusal(uuid, text[])']

export async function up (db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) await sql`alter function ${sql.raw(fn)} set plan_cache_mode = force_custom_plan`.execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) await sql`alter function ${sql.raw(fn)} reset plan_cache_mode`.execute(db)
}
