/**
 * A worker whose lock expired (a long pause, a partition) may still reach Postgres after a newer
 * holder has written. Every write carries the lock set's fencing number; a row that has seen a
 * newer one refuses the older. The job then fails and retries under a fresh lock, which is safe
 * because the command is idempotent.
 */
export class StaleFenceError extends Error {
  override name = 'StaleFenceError'
}

/** SQLSTATE the booking function raises for a stale fence (`seatline_book_seats`). */
export const STALE_FENCE_SQLSTATE = 'SL409'

export function assertFresh (rows: Iterable<{ key: string, fence: string | number }>, fence: number): void {
  for (const row of rows) {
    if (Number(row.fence) > fence) throw new StaleFenceError(`${row.key} was written under fence ${row.fence}; this holder has ${fence}`)
  }
}
