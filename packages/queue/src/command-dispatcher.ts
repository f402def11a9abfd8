import type { Command, CommandResult } from '@seatline/contracts'
import { Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Turn } from './arrival-order.ts'
import { BulkAdder } from './bulk-adder.ts'
import { COMMAND_JOB_OPTIONS, commandJobId } from './job-options.ts'
import { partitionOf, partitionQueueName } from './partitions.ts'
import { createBlockingRedis } from './redis.ts'

export type DispatchOutcome =
  | { state: 'completed', result: CommandResult }
  | { state: 'failed', reason: string }
  | { state: 'timeout' }

type Waiter = (outcome: DispatchOutcome) => void

export interface CommandDispatcherOptions {
  redis: Redis
  redisUrl: string
  prefix: string
  partitions: number
}

/**
 * The gateway's side of the queue: enqueues a command on its group's partition and waits for the
 * answer. One QueueEvents per partition feeds a map of waiters by job id, instead of a listener
 * pair per request; a waiter is registered before its job is added, so no answer can slip past.
 */
export class CommandDispatcher {
  readonly #queues: Queue[] = []
  readonly #adders: BulkAdder[] = []
  readonly #events: QueueEvents[] = []
  readonly #waiters = new Map<string, Set<Waiter>>()
  readonly #options: CommandDispatcherOptions

  constructor (options: CommandDispatcherOptions) {
    this.#options = options
    for (let p = 0; p < options.partitions; p++) {
      const queue = new Queue(partitionQueueName(p), { connection: options.redis, prefix: options.prefix })
      this.#queues.push(queue)
      this.#adders.push(new BulkAdder(queue))
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
      events.on('completed', ({ jobId, returnvalue }) => {
        this.#settle(jobId, { state: 'completed', result: returnvalue as unknown as CommandResult })
      })
      events.on('failed', ({ jobId, failedReason }) => {
        this.#settle(jobId, { state: 'failed', reason: failedReason })
      })
      events.on('error', () => {})
      this.#events.push(events)
    }
    await Promise.all(this.#events.map((e) => e.waitUntilReady()))
  }

  /**
   * Enqueues `command` on the partition of `groupKey` and waits up to `waitMs` for its result.
   * Adding a job whose id exists already is a no-op in BullMQ, so a duplicate of a request joins
   * the first one's job instead of running twice. `recorded` looks the result up where the
   * worker stores it: a duplicate may arrive after the answer went by on the event stream.
   */
  async dispatch (command: Command, groupKey: string, waitMs: number, turn?: Turn, recorded?: () => Promise<CommandResult | undefined>): Promise<DispatchOutcome> {
    const jobId = commandJobId(command.requestId)
    const adder = this.#adders[partitionOf(groupKey, this.#options.partitions)]!
    const add = async () => {
      await turn?.ready
      // Adds leave in the order they were buffered, so the next of the group may go at once.
      const added = adder.add(command.type, command, { ...COMMAND_JOB_OPTIONS, jobId })
      turn?.done()
      await added
    }
    if (waitMs <= 0) {
      await add()
      return { state: 'timeout' }
    }
    const { answer, settle } = this.#wait(jobId, waitMs)
    try {
      await add()
      const result = await recorded?.()
      if (result) settle({ state: 'completed', result })
    } catch (error) {
      settle({ state: 'timeout' })
      throw error
    }
    return answer
  }

  /** Number of waiting and active jobs per partition, for readiness and metrics. */
  async depths (): Promise<number[]> {
    return Promise.all(this.#queues.map((q) => q.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')))
  }

  async close (): Promise<void> {
    for (const jobId of [...this.#waiters.keys()]) this.#settle(jobId, { state: 'timeout' })
    await Promise.all([...this.#events.map((e) => e.close()), ...this.#queues.map((q) => q.close())])
  }

  /** Registers one waiter for `jobId`; several requests may wait on one job. */
  #wait (jobId: string, waitMs: number): { answer: Promise<DispatchOutcome>, settle: Waiter } {
    let settle!: Waiter
    const answer = new Promise<DispatchOutcome>((resolve) => {
      const timer = setTimeout(() => settle({ state: 'timeout' }), waitMs)
      settle = (outcome) => {
        clearTimeout(timer)
        const waiters = this.#waiters.get(jobId)
        waiters?.delete(settle)
        if (waiters?.size === 0) this.#waiters.delete(jobId)
        resolve(outcome)
      }
    })
    const waiters = this.#waiters.get(jobId) ?? new Set()
    waiters.add(settle)
    this.#waiters.set(jobId, waiters)
    return { answer, settle }
  }

  #settle (jobId: string, outcome: DispatchOutcome): void {
    const waiters = this.#waiters.get(jobId)
    if (!waiters) return
    for (const settle of [...waiters]) settle(outcome)
  }
}
