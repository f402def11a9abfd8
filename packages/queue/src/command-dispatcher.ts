import type { Command, CommandResult } from '@seatline/contracts'
import { Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Turn } from './arrival-order.ts'
import { BulkAdder } from './bulk-adder.ts'
import { CommandBatcher, type CommandBatcherOptions } from './command-batcher.ts'
import { partitionOf, partitionQueueName } from './partitions.ts'
import { createBlockingRedis } from './redis.ts'

export type DispatchOutcome =
  | { state: 'completed', result: CommandResult }
  | { state: 'failed', reason: string }
  | { state: 'timeout' }

/** How a job ended, as its event stream tells: a batch job's value is an array of results. */
type JobOutcome =
  | { state: 'completed', value: unknown }
  | { state: 'failed', reason: string }
  | { state: 'timeout' }

type Waiter = (outcome: JobOutcome) => void

export interface CommandDispatcherOptions {
  redis: Redis
  redisUrl: string
  prefix: string
  partitions: number
  /** Most commands per job; 1 turns batching off: a job per command, sent at once. */
  batchMax?: number
  /** Sees the result of every job on every partition, whichever gateway enqueued it. */
  onResults? (results: CommandResult[]): void
}

export interface DispatchOptions {
  groupKey: string
  /** How long to wait for the result; 0 enqueues and returns at once. */
  waitMs: number
  turn?: Turn
  /** Looks the result up where the worker stores it (see `dispatch`). */
  recorded?: () => Promise<CommandResult | undefined>
  /** A job of its own under the request's job id, never a batch: for idempotent duplicates. */
  alone?: boolean
}

function batching (batchMax = 100): CommandBatcherOptions {
  // Without batches there is nothing to hold back for: every job leaves at once.
  return { maxInFlight: batchMax > 1 ? 1 : Number.POSITIVE_INFINITY, maxBatch: batchMax, releaseAfterMs: 5_000 }
}

/**
 * The gateway's side of the queue: enqueues a command on its group's partition and waits for the
 * answer. One QueueEvents per partition feeds a map of waiters by job id, instead of a listener
 * pair per request; a waiter is registered before its job is added, so no answer can slip past.
 */
export class CommandDispatcher {
  readonly #queues: Queue[] = []
  readonly #batchers: CommandBatcher[] = []
  readonly #events: QueueEvents[] = []
  readonly #waiters = new Map<string, Set<Waiter>>()
  readonly #options: CommandDispatcherOptions

  constructor (options: CommandDispatcherOptions) {
    this.#options = options
    for (let p = 0; p < options.partitions; p++) {
      const queue = new Queue(partitionQueueName(p), { connection: options.redis, prefix: options.prefix })
      this.#queues.push(queue)
      this.#batchers.push(new CommandBatcher(new BulkAdder(queue), batching(options.batchMax)))
    }
  }

  /** Starts reading every partition's event stream; call before the first dispatch. */
  async start (): Promise<void> {
    const { redisUrl, prefix, partitions, redis } = this.#options
    for (let p = 0; p < partitions; p++) {
      const name = partitionQueueName(p)
      // Read from the stream's current end as it is now, not from whatever '$' is when the
      // first blocking read happens: events between the two would otherwise be lost.
      const [last] = await redis.xrevrange(`${prefix}:${name}:events`, '+', '-', 'COUNT', 1)
      const events = new QueueEvents(name, {
        connection: createBlockingRedis(redisUrl, `seatline-gateway-events-${p}`),
        prefix,
        lastEventId: last?.[0] ?? '0',
      })
      const batcher = this.#batchers[p]!
      events.on('completed', ({ jobId, returnvalue }) => {
        batcher.finished(jobId)
        this.#settle(jobId, { state: 'completed', value: returnvalue })
        this.#options.onResults?.((Array.isArray(returnvalue) ? returnvalue : [returnvalue]) as CommandResult[])
      })
      events.on('failed', ({ jobId, failedReason }) => {
        batcher.finished(jobId)
        this.#settle(jobId, { state: 'failed', reason: failedReason })
      })
      events.on('error', () => {})
      this.#events.push(events)
    }
    await Promise.all(this.#events.map((e) => e.waitUntilReady()))
  }

  /**
   * Enqueues `command` on the partition of `groupKey`, alone or in a batch (see CommandBatcher),
   * and waits up to `waitMs` for its result. Adding a job whose id exists already is a no-op in
   * BullMQ, so a duplicate of a request sent `alone` joins the first one's job instead of running
   * twice; `recorded` then looks the result up where the worker stores it, since a duplicate may
   * arrive after the answer went by on the event stream.
   */
  async dispatch (command: Command, options: DispatchOptions): Promise<DispatchOutcome> {
    const { groupKey, waitMs, turn, recorded } = options
    const batcher = this.#batchers[partitionOf(groupKey, this.#options.partitions)]!
    const alone = options.alone === true || waitMs <= 0
    let answer: Promise<DispatchOutcome> | undefined
    let settle: Waiter | undefined
    await turn?.ready
    // Jobs leave in the order commands are placed, so the next of the group may go at once.
    const placement = batcher.add(command, alone)
    if (waitMs > 0) ({ answer, settle } = this.#wait(placement.jobId, placement.index, waitMs))
    turn?.done()
    try {
      await placement.added
      const result = await recorded?.()
      if (result) {
        settle?.({ state: 'timeout' })
        return { state: 'completed', result }
      }
    } catch (error) {
      settle?.({ state: 'timeout' })
      throw error
    }
    return answer ?? { state: 'timeout' }
  }

  /** Number of waiting and active jobs per partition, for readiness and metrics. */
  async depths (): Promise<number[]> {
    return Promise.all(this.#queues.map((q) => q.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')))
  }

  async close (): Promise<void> {
    for (const jobId of [...this.#waiters.keys()]) this.#settle(jobId, { state: 'timeout' })
    await Promise.all([...this.#events.map((e) => e.close()), ...this.#queues.map((q) => q.close())])
  }

  /** Registers a waiter for `jobId` (at `index` of a batch); several requests may wait on one job. */
  #wait (jobId: string, index: number | undefined, waitMs: number): { answer: Promise<DispatchOutcome>, settle: Waiter } {
    let settle!: Waiter
    const answer = new Promise<DispatchOutcome>((resolve) => {
      const timer = setTimeout(() => settle({ state: 'timeout' }), waitMs)
      settle = (outcome) => {
        clearTimeout(timer)
        const waiters = this.#waiters.get(jobId)
        waiters?.delete(settle)
        if (waiters?.size === 0) this.#waiters.delete(jobId)
        resolve(resultOf(outcome, index))
      }
    })
    const waiters = this.#waiters.get(jobId) ?? new Set()
    waiters.add(settle)
    this.#waiters.set(jobId, waiters)
    return { answer, settle }
  }

  #settle (jobId: string, outcome: JobOutcome): void {
    const waiters = this.#waiters.get(jobId)
    if (!waiters) return
    for (const settle of [...waiters]) settle(outcome)
  }
}

function resultOf (outcome: JobOutcome, index: number | undefined): DispatchOutcome {
  if (outcome.state !== 'completed') return outcome
  const value = index === undefined ? outcome.value : (outcome.value as unknown[])[index]
  return value ? { state: 'completed', result: value as CommandResult } : { state: 'timeout' }
}
