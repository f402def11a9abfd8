import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// One definition of a seat's effective state and of why it is refused, one writer of the request
// record, and the booking functions rebuilt on them with one fencing number per lock set.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-11-22T03-one-seat-status-rule.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    drop function seatline_book_seats_many(jsonb, bigint);
    drop function seatline_book_seats(jsonb, bigint);
    drop function seatline_prior_result(uuid);
    drop function seatline_record_result(jsonb, jsonb);
    drop function seatline_seats_refusal(uuid, text[]);
    drop view seat_states;
    drop function seatline_refused_seat(text, text, timestamptz);
    drop function seatline_hold_status(text, timestamptz);
    drop function seatline_seat_status(text, timestamptz);`).execute(db)
  await sql.raw(readFileSync(new URL('./sql/2026-11-21T02-book-seats-in-batches.sql', import.meta.url), 'utf8')).execute(db)
}
