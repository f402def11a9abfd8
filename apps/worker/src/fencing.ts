/**
 * A worker whose lock expired (a long pause, a partition) may still reach Postgres after a newer
 * holder has written. Every write carries the lock's fencing number; a row that has seen a newer
 * one refuses the older. The job then fails and retries under a fresh lock, which is safe because
 * the command is idempotent.
 */
export class StaleFenceError extends Error {
  override name = 'StaleFenceError'
}

export function assertFresh (rows: Iterable<{ key: string, fence: string | number }>, fences: ReadonlyMap<string, number>): void {
  for (const row of rows) {
    const mine = fences.get(row.key)
    if (mine === undefined || Number(row.fence) > mine) {
      throw new StaleFenceError(`${row.key} was written under fence ${row.fence}; this holder has ${mine ?? 'none'}`)
    }
  }
}
