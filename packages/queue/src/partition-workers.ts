import type { Command, CommandJob, CommandResult } from '@seatline/contracts'
import { Queue, UnrecoverableError, Worker } from 'bullmq'
import { PARTITION_QUEUE_OPTIONS } from './job-options.ts'
import { partitionQueueName } from './partitions.ts'
import type { RedisClient } from './redis.ts'

export interface PartitionWorkersOptions {
  redis: RedisClient
  prefix: string
  partitions: number
  /** How long a job stays this worker's without renewal (renewed every half of it). */
  lockMs: number
  /** How often to take back jobs whose worker died. */
  stalledCheckMs: number
  /** Runs a job's commands in order and returns their results, in the same order. */
  process (commands: Command[], job: JobRun): Promise<CommandResult[]>
  onFailed? (commands: Command[], error: Error, final: boolean): void
  /** This worker found a job whose worker died or froze, and put it back to run again. */
  onStalled? (partition: number): void
}

/** What a job's run knows of it, for logs and metrics. */
export interface JobRun {
  id: string
  partition: number
  attempt: number
  /** When the job was added (ms since the epoch). */
  enqueuedAt: number
}

export interface PartitionWorkers {
  workers: Worker[]
  /** The partition queues, for putting lost commands back. */
  queues: Queue[]
  /** Puts back the settings a Redis that lost its data forgot. */
  restoreSettings (): Promise<void>
  close (): Promise<void>
}

/**
 * One BullMQ Worker per partition in this process. Global concurrency 1 on every partition queue
 * makes the whole cluster of workers run one job per partition at a time: the queue-group order.
 *
 * A worker that dies holding a job blocks its partition until the job's lock runs out and a
 * stalled check hands the job back: at most `lockMs` + `stalledCheckMs`. A live worker renews
 * the lock on a timer, so even a long Postgres stall keeps its job; only a worker whose event
 * loop stops (killed, frozen) loses it, and then its late writes are refused by the fence and
 * the request record (a second run of a command replays or rolls back).
 */
export async function startPartitionWorkers (options: PartitionWorkersOptions): Promise<PartitionWorkers> {
  const { redis, prefix, partitions } = options
  const queues = Array.from({ length: partitions }, (_, p) => new Queue(partitionQueueName(p), { connection: redis, prefix, ...PARTITION_QUEUE_OPTIONS }))
  const restoreSettings = async () => { await Promise.all(queues.map((q) => q.setGlobalConcurrency(1))) }
  await restoreSettings()
  const workers = queues.map((queue, partition) => {
    const worker = new Worker<CommandJob, CommandResult[]>(
      queue.name,
      (job) => options.process(job.data.commands, { id: job.id!, partition, attempt: job.attemptsMade + 1, enqueuedAt: job.timestamp }),
      {
        connection: redis,
        prefix,
        concurrency: 1,
        lockDuration: options.lockMs,
        stalledInterval: options.stalledCheckMs,
        // A frozen worker's job taken back is run again harmlessly; failing it would not be.
        maxStalledCount: 10,
        // After a Redis outage, fetch again within a second rather than BullMQ's 15.
        runRetryDelay: 500,
        // A worker that dies while waiting for work can take the wake-up of a job just added;
        // that job is never active, so no stalled check finds it: the others must look again
        // soon (BullMQ's default is 5 s). In seconds.
        drainDelay: Math.max(1, Math.round(options.stalledCheckMs / 1000)),
      }
    )
    worker.on('failed', (job, error) => {
      if (!job) return
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
      options.onFailed?.(job.data.commands, error, final)
    })
    worker.on('stalled', () => options.onStalled?.(partition))
    worker.on('error', () => {})
    return worker
  })
  await Promise.all(workers.map((w) => w.waitUntilReady()))
  return {
    workers,
    queues,
    restoreSettings,
    async close () {
      // Worker.close waits for the job in hand, so no command is cut in half.
      await Promise.all(workers.map((w) => w.close()))
      await Promise.all(queues.map((q) => q.close()))
    },
  }
}
