import type { Db } from '@seatline/db'
import { sql } from 'kysely'

const BATCH = 5_000

/**
 * Tidies seats whose hold has expired back to `available`. Correctness never waits for this:
 * every read and command already sees them so, through `seatline_seat_status`. Rows a command has locked
 * are skipped and left for the next sweep, so the sweeper never queues behind a booking.
 */
export async function sweepExpiredHolds (db: Db): Promise<number> {
  let total = 0
  for (;;) {
    const { numAffectedRows } = await sql`
      update seats s
         set status = 'available', hold_id = null, hold_expires_at = null
        from (select event_id, seat_id from seats
               where status = 'held' and seatline_seat_status(status, hold_expires_at) = 'available'
               limit ${BATCH}
                 for update skip locked) expired
       where s.event_id = expired.event_id and s.seat_id = expired.seat_id`.execute(db)
    const swept = Number(numAffectedRows ?? 0)
    total += swept
    if (swept < BATCH) return total
  }
}
