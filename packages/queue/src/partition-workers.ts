import type { Command, CommandJob, CommandResult } from '@seatline/contracts'
import { Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { partitionQueueName } from './partitions.ts'

export interface PartitionWorkersOptions {
  redis: Redis
  prefix: string
  partitions: number
  /** Runs a job's commands in order; a job carries one command or a batch of them. */
  process (commands: Command[], attempt: number): Promise<CommandResult[]>
  onFailed? (commands: Command[], error: Error, final: boolean): void
}

function commandsOf (job: CommandJob): Command[] {
  return job.type === 'batch' ? job.commands : [job]
}

/**
 * One BullMQ Worker per partition in this process. Global concurrency 1 on every partition queue
 * makes the whole cluster of workers run one job per partition at a time: the queue-group order.
 */
export async function startPartitionWorkers (options: PartitionWorkersOptions): Promise<Worker[]> {
  const { redis, prefix, partitions } = options
  const workers: Worker[] = []
  for (let p = 0; p < partitions; p++) {
    const name = partitionQueueName(p)
    const queue = new Queue(name, { connection: redis, prefix })
    await queue.setGlobalConcurrency(1)
    await queue.close()
    const worker = new Worker<CommandJob, CommandResult | CommandResult[]>(
      name,
      async (job) => {
        const results = await options.process(commandsOf(job.data), job.attemptsMade + 1)
        return job.data.type === 'batch' ? results : results[0]!
      },
      { connection: redis, prefix, concurrency: 1 }
    )
    worker.on('failed', (job, error) => {
      if (!job) return
      const final = job.attemptsMade >= (job.opts.attempts ?? 1)
      options.onFailed?.(commandsOf(job.data), error, final)
    })
    worker.on('error', () => {})
    workers.push(worker)
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()))
  return workers
}
