import { type Kysely, sql } from 'kysely'
import { BOOK_SEATS_FUNCTION } from './2026-11-21T01-book-seats-function.ts'

const STALE_BEFORE = 's.fence >= f.fence'
const STALE_NOW = 's.fence > f.fence'

// A worker now runs a batch of one partition's bookings under one set of locks, so a seat can be
// written twice under the same fencing number (booked by the first buyer in the batch, refused
// to the next). Only a *newer* number than the holder's own means someone else has written.
export async function up (db: Kysely<unknown>): Promise<void> {
  if (!BOOK_SEATS_FUNCTION.includes(STALE_BEFORE)) throw new Error('seatline_book_seats no longer has the fence test this migration changes')
  await sql.raw(BOOK_SEATS_FUNCTION.replace(STALE_BEFORE, STALE_NOW)).execute(db)

  // Many bookings in one statement, in the given order, each exactly as seatline_book_seats would
  // run it alone: one round trip and one commit for a whole batch.
  await sql`
create or replace function seatline_book_seats_many(p_commands jsonb) returns jsonb language plpgsql as $fn$
declare
  v_command jsonb;
  v_results jsonb := '[]'::jsonb;
begin
  for v_command in select c from jsonb_array_elements(p_commands) with ordinality x(c, n) order by n loop
    v_results := v_results || jsonb_build_array(seatline_book_seats(
      (v_command ->> 'requestId')::uuid, (v_command ->> 'userId')::uuid, (v_command ->> 'eventId')::uuid,
      array(select s from jsonb_array_elements_text(v_command -> 'seatIds') with ordinality y(s, n) order by n),
      array(select f::bigint from jsonb_array_elements_text(v_command -> 'fences') with ordinality z(f, n) order by n)));
  end loop;
  return v_results;
end
$fn$`.execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists seatline_book_seats_many(jsonb)`.execute(db)
  await sql.raw(BOOK_SEATS_FUNCTION).execute(db)
}
