import type { Command, CommandJob } from '@seatline/contracts'
import type { JobsOptions, QueueOptions } from 'bullmq'

/**
 * Retries cover infrastructure faults only (a domain refusal completes the job). A completed job
 * is removed at once: its results went out on the event stream and live on in the request
 * records, so Redis holds only what is in flight, however many seats were ever sold. A job
 * added again under a finished one's id simply replays the recorded results. Failed jobs are
 * kept a while, for whoever looks into them.
 */
export const COMMAND_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 100 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3_600, count: 1_000 },
}

/**
 * Every partition queue, wherever it is opened. Its event stream, which carries each job's
 * results to the gateways, is trimmed to about this many entries: enough for a gateway that
 * reconnects to catch up on the last few seconds, bounded whatever the sale.
 */
export const PARTITION_QUEUE_OPTIONS: Pick<QueueOptions, 'streams'> = { streams: { events: { maxLen: 2_000 } } }

/**
 * The schedulers' queues (maintenance, admission steps): nobody reads their event streams, so
 * they keep a few hundred entries rather than BullMQ's default 10,000, which a tick a second
 * takes about an hour to fill: a Redis that grows through a sale's first hour, then stops.
 */
export const SCHEDULER_QUEUE_OPTIONS: Pick<QueueOptions, 'streams'> = { streams: { events: { maxLen: 500 } } }

/** BullMQ forbids `:` and all-digit job ids; a prefixed UUID is neither. */
export function commandJobId (requestId: string): string {
  return `req-${requestId}`
}

/** What `Queue.add`/`addBulk` takes for a job carrying these commands. */
export function commandJob (jobId: string, commands: Command[]) {
  const data: CommandJob = { commands }
  return { name: commands.length === 1 ? commands[0]!.type : 'batch', data, opts: { ...COMMAND_JOB_OPTIONS, jobId } }
}

/** A job of its own for one command, under its request id, so that a duplicate joins it. */
export function aloneJob (command: Command) {
  return commandJob(commandJobId(command.requestId), [command])
}
