import { sql, type Transaction } from 'kysely'
import type { Database } from './schema.ts'

/**
 * A big event is one the planner's statistics do not know yet: estimating its seats from an
 * older, smaller table, it reads a booking's seats through the whole event (100 ms a booking
 * instead of 1–7) until autovacuum's analyze happens to run. Analyzing in the creating
 * transaction (it counts its own new rows) makes every connection replan with the event in view.
 */
const ANALYZE_FROM_SEATS = 5_000

/** An event's seats, up to 100,000 in one statement (the ids travel as one array parameter). */
export async function insertSeats (trx: Transaction<Database>, eventId: string, seatIds: readonly string[]): Promise<void> {
  if (seatIds.length === 0) return
  await sql`insert into seats (event_id, seat_id) select ${eventId}, unnest(${[...seatIds]}::text[])`.execute(trx)
  if (seatIds.length >= ANALYZE_FROM_SEATS) await sql`analyze seats`.execute(trx)
}
