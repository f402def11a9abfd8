import type { Db } from '@seatline/db'
import { sql } from 'kysely'

let autovacuumOff: Promise<boolean> | undefined

/**
 * Where autovacuum is off (some CI and hand-tuned servers), rows retention deletes would stay as
 * dead tuples and the tables would grow as if nothing were deleted: vacuum the three tables it
 * deletes from, skipping any table another transaction holds. Where autovacuum runs, it does
 * this at its own pace, and this costs one cached `show` a tick.
 */
export async function vacuumDeletedIfNeeded (db: Db): Promise<boolean> {
  autovacuumOff ??= sql<{ autovacuum: string }>`show autovacuum`.execute(db).then(({ rows }) => rows[0]?.autovacuum === 'off')
  if (!await autovacuumOff.catch(() => { autovacuumOff = undefined; return false })) return false
  await sql`vacuum (skip_locked) requests, idempotency_keys, holds`.execute(db)
  return true
}
