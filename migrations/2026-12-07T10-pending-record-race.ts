import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// A 202's record and the run that completes it take turns on a lock named by the request. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T10-pending-record-race.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  // Both functions as T08 wrote them.
  const t08 = readFileSync(new URL('./sql/2026-12-07T08-lean-booking.sql', import.meta.url), 'utf8')
  for (const name of ['seatline_finish_command(', 'seatline_record_pending(']) {
    const start = t08.indexOf(`create function ${name}`)
    await sql.raw(t08.slice(start, t08.indexOf('$fn$;', start) + 5).replace('create function', 'create or replace function')).execute(db)
  }
  await sql`drop function seatline_lock_request(uuid)`.execute(db)
}
