import type { Db } from '@seatline/db'
import { sql } from 'kysely'

/** Batches one tick runs per table, at most: a backlog drains over several ticks, never in one long run. */
export const BATCHES_PER_TICK = 10

export interface RetentionSettings {
  /** RETENTION_SECONDS: what is older goes. */
  seconds: number
  /** RETENTION_BATCH_SIZE: rows a delete statement takes. */
  batchSize: number
}

export interface Deleted {
  requests: number
  idempotencyKeys: number
  holds: number
  /** Delete statements run, each its own short transaction. */
  batches: number
  /** A table filled every batch this tick may run: what is left waits for the next tick. */
  more: boolean
}

/** How often retention runs: a tenth of the retention, between 1 s and a minute. */
export function retentionEveryMs (seconds: number): number {
  return Math.min(60_000, Math.max(1_000, seconds * 100))
}

/**
 * Deletes the request records completed more than the retention ago, with their idempotency
 * keys. A pending record is never deleted: its command has not run, and the requeue sweeper
 * sends it again; once it completes it is kept a full retention, for its poller. Rows another
 * transaction has locked (a command's run reading its record) are skipped, for the next batch.
 */
async function deleteRecords (db: Db, { seconds, batchSize }: RetentionSettings) {
  // The ids as one array, deleted by `= any`: a join with the batch's rows was planned as a hash
  // of the whole table.
  const { rows: [row] } = await sql<{ requests: number, keys: number }>`
    with old as (
      select array(
        select id from requests
         where created_at < now() - make_interval(secs => ${seconds})
           and status <> 'pending'
           and coalesce(completed_at, created_at) < now() - make_interval(secs => ${seconds})
         order by created_at
         limit ${batchSize}
           for update skip locked) as ids),
    keys as (delete from idempotency_keys where request_id = any ((select ids from old)::uuid[]) returning 1),
    gone as (delete from requests where id = any ((select ids from old)::uuid[]) returning 1)
    select (select count(*) from gone)::int as requests, (select count(*) from keys)::int as keys`.execute(db)
  return row!
}

/**
 * Deletes the holds that ended more than the retention ago. A hold has ended by its expiry at
 * the latest, whatever its status, and nothing refers to it once it has: its seats were let go
 * (the sweeper clears an expired hold's seats within seconds) and its request record, if any,
 * goes by the same retention.
 */
async function deleteHolds (db: Db, { seconds, batchSize }: RetentionSettings): Promise<number> {
  const { rows: [row] } = await sql<{ holds: number }>`
    with gone as (
      delete from holds
       where id = any (array(
         select id from holds
          where expires_at < now() - make_interval(secs => ${seconds})
          order by expires_at
          limit ${batchSize}
            for update skip locked))
      returning 1)
    select count(*)::int as holds from gone`.execute(db)
  return row!.holds
}

/** Runs `batch` until one deletes less than a full batch, BATCHES_PER_TICK times at most. */
async function inBatches (deleted: Deleted, batchSize: number, batch: () => Promise<number>): Promise<void> {
  for (let i = 0; i < BATCHES_PER_TICK; i++) {
    deleted.batches++
    if (await batch() < batchSize) return
  }
  deleted.more = true
}

/**
 * One retention tick: batches of at most `batchSize` rows by primary key, oldest first, each
 * statement its own transaction, so no lock is held longer than one batch; at most
 * BATCHES_PER_TICK batches per table.
 */
export async function deleteExpiredRecords (db: Db, settings: RetentionSettings): Promise<Deleted> {
  const deleted: Deleted = { requests: 0, idempotencyKeys: 0, holds: 0, batches: 0, more: false }
  await inBatches(deleted, settings.batchSize, async () => {
    const { requests, keys } = await deleteRecords(db, settings)
    deleted.requests += requests
    deleted.idempotencyKeys += keys
    return requests
  })
  await inBatches(deleted, settings.batchSize, async () => {
    const holds = await deleteHolds(db, settings)
    deleted.holds += holds
    return holds
  })
  return deleted
}
