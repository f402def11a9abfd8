import type { Db } from '@seatline/db'
import { Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { sweepExpiredHolds } from './sweep-expired-holds.ts'

const QUEUE = '{maintenance}'
const SWEEP_EVERY_MS = 5_000

/**
 * Background upkeep as a BullMQ job scheduler rather than a timer: however many worker processes
 * run, each sweep runs once, on one of them, and survives any one process stopping.
 */
export async function startMaintenance (redis: Redis, prefix: string, db: Db, log: Logger): Promise<{ close (): Promise<void> }> {
  const queue = new Queue(QUEUE, { connection: redis, prefix })
  await queue.setGlobalConcurrency(1)
  await queue.upsertJobScheduler('sweep-expired-holds', { every: SWEEP_EVERY_MS }, {
    name: 'sweep-expired-holds',
    opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
  })
  const worker = new Worker(QUEUE, async () => {
    const swept = await sweepExpiredHolds(db)
    if (swept > 0) log.info({ swept }, 'tidied expired holds')
    return { swept }
  }, { connection: redis, prefix, concurrency: 1 })
  worker.on('error', (err) => log.warn({ err }, 'maintenance worker error'))
  return {
    async close () {
      await worker.close()
      await queue.close()
    },
  }
}
