import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// Sale controls: the sale window, the pause and the buyer limit, and the rules that apply them
// inside the booking transaction. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T07-sale-controls.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    drop function seatline_book_seats_many(jsonb, bigint);
    drop function seatline_book_seats(jsonb, bigint);
    drop function seatline_sale_status(uuid, timestamptz, timestamptz, boolean);
    drop function seatline_sale_refusal(uuid, uuid, integer);
    drop function seatline_lock_buyers(jsonb);
    drop function seatline_buyer_places(uuid, uuid);
    drop function seatline_hold_status_at(text, timestamptz, timestamptz);
    drop table event_buyers;
    drop index seats_unbooked;
    drop index holds_active_buyer;
    drop index bookings_event_created;
    drop index bookings_event_buyer;
    create index bookings_event_id on bookings (event_id);
    update bookings set quantity = null where section_id is null;
    drop index events_organiser;
    alter table events drop column sale_opens_at, drop column sale_closes_at, drop column sale_paused, drop column max_seats_per_buyer;`).execute(db)
  // The booking functions as migration T03 left them (it drops and recreates, so replay its tail).
  const t03 = readFileSync(new URL('./sql/2026-11-22T03-one-seat-status-rule.sql', import.meta.url), 'utf8')
  await sql.raw(t03.slice(t03.indexOf('-- The whole reserved-seat booking in one round trip'))).execute(db)
  await sql`drop function seatline_iso(timestamptz)`.execute(db)
}
