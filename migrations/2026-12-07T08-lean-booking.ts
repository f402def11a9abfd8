import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// The booking path made cheaper: generic plans, one index fewer on bookings, and what a command
// makes carries its request id, so a plain request needs no record. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T08-lean-booking.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    drop function seatline_record_pending(jsonb);
    drop function seatline_finish_command(jsonb, jsonb);
    drop function seatline_prior_result(jsonb);
    create function seatline_prior_result(p_request_id uuid) returns jsonb
      language sql as $$
      select case when status <> 'pending' then result::jsonb end from requests where id = p_request_id for update
    $$;
    drop index bookings_user_event;
    create index bookings_user_created_at_id on bookings (user_id, created_at, id);
    create index bookings_event_buyer on bookings (event_id, user_id);
    alter function seatline_sale_refusal(uuid, uuid, integer) reset plan_cache_mode;`).execute(db)
  // seatline_seats_refusal as migration T03 wrote it.
  const t03 = readFileSync(new URL('./sql/2026-11-22T03-one-seat-status-rule.sql', import.meta.url), 'utf8')
  const from = t03.indexOf('create function seatline_seats_refusal(')
  await sql.raw(t03.slice(from, t03.indexOf('$fn$;', from) + 5).replace('create function', 'create or replace function')).execute(db)
  await sql`alter function seatline_seats_refusal(uuid, text[]) reset plan_cache_mode`.execute(db)
  // The booking function as migration T07 left it.
  const t07 = readFileSync(new URL('./sql/2026-12-07T07-sale-controls.sql', import.meta.url), 'utf8')
  const start = t07.indexOf('create or replace function seatline_book_seats(')
  await sql.raw(t07.slice(start, t07.indexOf('$fn$;', start) + 5)).execute(db)
}
