import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// The waiting room's settings on events, and the admission among the sale's rules. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T09-waiting-room.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    drop function seatline_waiting_room_figures(uuid, uuid[]);
    drop function seatline_sale_refusal(uuid, uuid, integer, timestamptz);
    drop function seatline_sale_refusal(uuid, uuid, integer);`).execute(db)
  // The sale's rules as T07 and T08 left them, and the booking function as T08 left it.
  const t07 = readFileSync(new URL('./sql/2026-12-07T07-sale-controls.sql', import.meta.url), 'utf8')
  const from = t07.indexOf('create function seatline_sale_refusal(')
  await sql.raw(t07.slice(from, t07.indexOf('$fn$;', from) + 5)).execute(db)
  await sql`alter function seatline_sale_refusal(uuid, uuid, integer) set plan_cache_mode = force_generic_plan`.execute(db)
  const t08 = readFileSync(new URL('./sql/2026-12-07T08-lean-booking.sql', import.meta.url), 'utf8')
  const start = t08.indexOf('create or replace function seatline_book_seats(')
  await sql.raw(t08.slice(start, t08.indexOf('$fn$;', start) + 5)).execute(db)
  await sql.raw(`
    drop index events_waiting_room;
    alter table events drop column admit_per_minute, drop column admission_seconds, drop column waiting_room_settled_at;`).execute(db)
}
