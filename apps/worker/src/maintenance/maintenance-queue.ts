import type { Db, RequestRecords } from '@seatline/db'
import { type RedisClient, SCHEDULER_QUEUE_OPTIONS } from '@seatline/queue'
import { Queue, Worker } from 'bullmq'
import type { Logger } from 'pino'
import { deleteExpiredRecords, type Deleted, retentionEveryMs, type RetentionSettings } from './delete-expired-records.ts'
import { requeueLostRequests } from './requeue-lost-requests.ts'
import { sweepExpiredHolds, type SweptSeat } from './sweep-expired-holds.ts'
import { vacuumDeletedIfNeeded } from './vacuum-deleted.ts'

const QUEUE = '{maintenance}'
const EVERY_MS = 5_000
/** Well past the gateway's wait for an answer: younger pending requests are still in hand. */
export const LOST_AFTER_MS = 30_000

export interface MaintenanceOptions {
  redis: RedisClient
  prefix: string
  db: Db
  records: RequestRecords
  partitionQueues: Queue[]
  log: Logger
  /** Told the seats each sweep tidied, once committed. */
  onSwept? (seats: SweptSeat[]): Promise<void>
  /** What is older goes (RETENTION_SECONDS, RETENTION_BATCH_SIZE). */
  retention: RetentionSettings
  /** Told what each retention tick deleted. */
  onDeleted? (deleted: Deleted): void
}

export interface Maintenance {
  /** Puts the schedules back (a Redis that lost its data forgot them) and requeues at once. */
  restore (): Promise<void>
  close (): Promise<void>
}

/**
 * Background upkeep as BullMQ job schedulers rather than timers: however many worker processes
 * run, each tick runs once, on one of them, and survives any one process stopping.
 */
export async function startMaintenance ({ redis, prefix, db, records, partitionQueues, log, onSwept, retention, onDeleted }: MaintenanceOptions): Promise<Maintenance> {
  const queue = new Queue(QUEUE, { connection: redis, prefix, ...SCHEDULER_QUEUE_OPTIONS })
  const schedule = async () => {
    await queue.setGlobalConcurrency(1)
    // A finished tick is of no use to anyone; a failed one is kept a while for whoever looks.
    const opts = { removeOnComplete: true, removeOnFail: { count: 50 } }
    await queue.upsertJobScheduler('sweep-expired-holds', { every: EVERY_MS }, { name: 'sweep-expired-holds', opts })
    await queue.upsertJobScheduler('requeue-lost-requests', { every: EVERY_MS }, { name: 'requeue-lost-requests', opts })
    await queue.upsertJobScheduler('delete-expired-records', { every: retentionEveryMs(retention.seconds) }, { name: 'delete-expired-records', opts })
  }
  await schedule()
  const requeue = async (olderThanMs: number) => {
    const requeued = await requeueLostRequests(records, partitionQueues, olderThanMs)
    if (requeued > 0) log.warn({ requeued, olderThanMs }, 'sent pending requests again')
    return requeued
  }
  // A worker starting after an outage looks at once, not at the schedule's first tick.
  requeue(LOST_AFTER_MS).catch((err: unknown) => log.warn({ err }, 'could not look for lost requests at start'))
  const worker = new Worker(QUEUE, async (job) => {
    if (job.name === 'requeue-lost-requests') return { requeued: await requeue(LOST_AFTER_MS) }
    if (job.name === 'delete-expired-records') {
      const deleted = await deleteExpiredRecords(db, retention)
      onDeleted?.(deleted)
      if (deleted.requests + deleted.holds > 0) {
        const vacuumed = await vacuumDeletedIfNeeded(db)
        log.info({ ...deleted, vacuumed }, 'deleted expired records')
      }
      return deleted
    }
    const swept = await sweepExpiredHolds(db)
    if (swept.length > 0) {
      log.info({ swept: swept.length }, 'tidied expired holds')
      await onSwept?.(swept)
    }
    return { swept: swept.length }
  }, { connection: redis, prefix, concurrency: 1, runRetryDelay: 500 })
  worker.on('error', (err) => log.warn({ err }, 'maintenance worker error'))
  return {
    async restore () {
      await schedule()
      // Every pending request's job went with the data: none is still in hand.
      await requeue(0)
    },
    async close () {
      await worker.close()
      await queue.close()
    },
  }
}
