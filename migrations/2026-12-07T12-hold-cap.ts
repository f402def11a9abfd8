import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// The seats one account may hold in one event at a time: the buyer's row locked for holds on any event. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T12-hold-cap.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`drop function seatline_held_places(uuid, uuid)`.execute(db)
  // The buyers' lock as T07 made it.
  const t07 = readFileSync(new URL('./sql/2026-12-07T07-sale-controls.sql', import.meta.url), 'utf8')
  const from = t07.indexOf('create function seatline_lock_buyers(')
  await sql.raw(t07.slice(from, t07.indexOf('$$;', from) + 3).replace('create function', 'create or replace function')).execute(db)
}
