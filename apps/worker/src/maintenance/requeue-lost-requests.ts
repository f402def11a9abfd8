import { aloneJob, commandGroupKey, commandJobId, partitionOf } from '@seatline/queue'
import type { RequestRecords } from '@seatline/db'
import { Job, type Queue } from 'bullmq'

const BATCH = 500

/**
 * Sends again every command still pending in Postgres after `olderThanMs`, as a job of its own
 * under its request id. Its first job may be gone (Redis lost its data, a gateway died between
 * recording and sending it) or merely slow; either way a second run is harmless: it replays
 * the recorded result, or rolls back. A job under that id that is still queued or running makes
 * the add a no-op; one that failed for good is retried.
 */
export async function requeueLostRequests (records: RequestRecords, queues: Queue[], olderThanMs: number): Promise<number> {
  const pending = await records.pendingOlderThan(olderThanMs, BATCH)
  for (const command of pending) {
    const queue = queues[partitionOf(commandGroupKey(command), queues.length)]!
    const jobId = commandJobId(command.requestId)
    const existing = await Job.fromId(queue, jobId)
    if (existing && await existing.isFailed()) await existing.retry('failed')
    else if (!existing) {
      const { name, data, opts } = aloneJob(command)
      await queue.add(name, data, opts)
    }
  }
  return pending.length
}
