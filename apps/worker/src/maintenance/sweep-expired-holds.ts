import type { Db } from '@seatline/db'
import { sql } from 'kysely'

const BATCH = 5_000

export interface SweptSeat {
  eventId: string
  seatId: string
}

/**
 * Tidies seats whose hold has expired back to `available`. Correctness never waits for this:
 * every read and command already sees them so, through `seatline_seat_status`. Rows a command has locked
 * are skipped and left for the next sweep, so the sweeper never queues behind a booking.
 * `hold_expires_at` stays: the seat's version counts the expiry (migration T06). Returns the
 * seats tidied, for the live seat maps.
 */
export async function sweepExpiredHolds (db: Db): Promise<SweptSeat[]> {
  const swept: SweptSeat[] = []
  for (;;) {
    const { rows } = await sql<{ event_id: string, seat_id: string }>`
      update seats s
         set status = 'available', hold_id = null
        from (select event_id, seat_id from seats
               where status = 'held' and seatline_seat_status(status, hold_expires_at) = 'available'
               limit ${BATCH}
                 for update skip locked) expired
       where s.event_id = expired.event_id and s.seat_id = expired.seat_id
      returning s.event_id, s.seat_id`.execute(db)
    for (const row of rows) swept.push({ eventId: row.event_id, seatId: row.seat_id })
    if (rows.length < BATCH) return swept
  }
}
