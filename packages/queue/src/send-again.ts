import type { Command } from '@seatline/contracts'
import { Job, type Queue } from 'bullmq'
import { aloneJob, commandJobId } from './job-options.ts'
import { commandGroupKey, partitionOf } from './partitions.ts'

/**
 * Sends a recorded command again, as a job of its own under its request id. Its first job may be
 * gone (Redis lost it, or it never arrived) or merely slow; either way a second run is harmless:
 * it replays the recorded result, or rolls back. A job under that id still queued or running
 * makes this a no-op; one that failed for good is retried.
 */
export async function sendAgain (queues: Queue[], command: Command): Promise<void> {
  const queue = queues[partitionOf(commandGroupKey(command), queues.length)]!
  const existing = await Job.fromId(queue, commandJobId(command.requestId))
  if (existing && await existing.isFailed()) await existing.retry('failed')
  else if (!existing) {
    const { name, data, opts } = aloneJob(command)
    await queue.add(name, data, opts)
  }
}
