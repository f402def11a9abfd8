import type { Command, CommandResult } from '@seatline/contracts'
import { Job, Queue, QueueEvents } from 'bullmq'
import { aloneJob, commandJob, commandJobId, PARTITION_QUEUE_OPTIONS } from './job-options.ts'
import { type LineJob, PartitionLine } from './partition-line.ts'
import { commandGroupKey, partitionOf, partitionQueueName } from './partitions.ts'
import { createBlockingRedis, type RedisClient, type RedisTarget } from './redis.ts'
import { UnsentCommands } from './unsent-commands.ts'

export type DispatchOutcome =
  | { state: 'completed', result: CommandResult }
  | { state: 'failed', reason: string }
  /** No answer within the wait (or none was asked for): the command is queued, its record will tell. */
  | { state: 'pending' }

export interface SendOptions {
  /** How long to wait for the result; 0 returns as soon as the command is in Redis. */
  waitMs: number
  /** A job of its own under the request's id, never a batch: for idempotent duplicates. */
  alone: boolean
}

/** A request's place in line, taken on arrival. Send the command, or cancel when not sending. */
export interface Ticket {
  send (command: Command, options: SendOptions): Promise<DispatchOutcome>
  cancel (): void
}

/** A partition has more commands waiting than it may: the request is refused before anything is recorded. */
export class OverloadedError extends Error {
  override name = 'OverloadedError'
}

export interface CommandDispatcherOptions {
  redis: RedisClient
  /** Where the event readers connect: each blocks on a connection of its own. */
  target: RedisTarget
  prefix: string
  partitions: number
  /** Commands a partition may have waiting (in this gateway's line, plus jobs waiting in Redis). */
  maxWaiting?: number
  /** Most commands per job; 1 turns batching off: a job per command, sent at once. */
  batchMax?: number
  /** Sees the results of every job on every partition, whichever gateway enqueued it. */
  onResults? (results: CommandResult[]): void
}

interface Waiting {
  waitMs: number
  settle (outcome: DispatchOutcome): void
  fail (error: unknown): void
}

interface Waiter {
  jobId: string
  index: number
  command: Command
  settle (outcome: DispatchOutcome): void
  timer: NodeJS.Timeout
}

const RELEASE_UNSEEN_AFTER_MS = 5_000
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed'] as const
export type JobState = typeof JOB_STATES[number]

/** How often the partitions' waiting jobs in Redis are counted, for the depth limit. */
const DEPTH_SAMPLE_MS = 250

/**
 * The gateway's side of the queue: each request takes its place in its partition's line on
 * arrival, and its command leaves (alone or in a batch, see PartitionLine) when its turn comes.
 * Every job carries a list of commands and answers with their results; one QueueEvents per
 * partition feeds waiters by job id, each registered before its job is added.
 */
export class CommandDispatcher {
  readonly #options: CommandDispatcherOptions
  readonly #queues: Queue[] = []
  readonly #lines: Array<PartitionLine<Waiting>> = []
  readonly #flushing = new Set<number>()
  readonly #events: QueueEvents[] = []
  /** Connections this dispatcher made for its event readers: BullMQ leaves a given client open. */
  readonly #eventConnections: RedisClient[] = []
  readonly #waiters = new Map<string, Set<Waiter>>()
  /** Set while shutting down: the longest anyone still waits for an answer. */
  #drainMs: number | undefined
  /** Jobs waiting in Redis per partition, as last counted: other gateways' work counts too. */
  readonly #redisWaiting: number[]
  #sampler: NodeJS.Timeout | undefined
  readonly #unsent: UnsentCommands

  constructor (options: CommandDispatcherOptions) {
    this.#options = options
    const batchMax = options.batchMax ?? 100
    this.#redisWaiting = new Array(options.partitions).fill(0)
    for (let p = 0; p < options.partitions; p++) {
      this.#queues.push(new Queue(partitionQueueName(p), { connection: options.redis, prefix: options.prefix, ...PARTITION_QUEUE_OPTIONS }))
      this.#lines.push(new PartitionLine<Waiting>({
        // Without batches there is nothing to hold back for: every job leaves at once.
        maxInFlight: batchMax > 1 ? 1 : Number.POSITIVE_INFINITY,
        maxBatch: batchMax,
        releaseAfterMs: RELEASE_UNSEEN_AFTER_MS,
        onSlotFreed: () => this.#schedule(p),
      }))
    }
    this.#unsent = new UnsentCommands(this.#queues, options.redis)
  }

  /** Starts reading every partition's event stream; call before the first request. */
  async start (): Promise<void> {
    const { target, prefix, partitions, redis } = this.#options
    for (let p = 0; p < partitions; p++) {
      const name = partitionQueueName(p)
      // Read from the stream's current end as it is now, not from whatever '$' is when the
      // first blocking read happens: events between the two would otherwise be lost.
      const [last] = await redis.xrevrange(`${prefix}:${name}:events`, '+', '-', 'COUNT', 1)
      const connection = createBlockingRedis(target, `seatline-gateway-events-${p}`)
      this.#eventConnections.push(connection)
      const events = new QueueEvents(name, {
        connection,
        prefix,
        lastEventId: last?.[0] ?? '0',
      })
      const line = this.#lines[p]!
      events.on('completed', ({ jobId, returnvalue }) => {
        line.finished(jobId)
        const results = returnvalue as unknown as CommandResult[]
        this.#settle(jobId, (index) => ({ state: 'completed', result: results[index]! }))
        this.#options.onResults?.(results)
      })
      events.on('failed', ({ jobId, failedReason }) => {
        line.finished(jobId)
        this.#settle(jobId, () => ({ state: 'failed', reason: failedReason }))
      })
      events.on('error', () => {})
      this.#events.push(events)
    }
    await Promise.all(this.#events.map((e) => e.waitUntilReady()))
    this.#sampler = setInterval(() => { this.#sampleDepths() }, DEPTH_SAMPLE_MS).unref()
  }

  async #sampleDepths (): Promise<void> {
    try {
      const counts = await Promise.all(this.#queues.map((q) => q.getJobCountByTypes('wait', 'prioritized')))
      counts.forEach((n, p) => { this.#redisWaiting[p] = n })
    } catch {
      // Redis away: commands fail on their own, with 503 UNAVAILABLE.
    }
  }

  /**
   * Takes a place in the line of `groupKey`'s partition; call synchronously on arrival. Throws
   * OverloadedError when the partition already has `maxWaiting` commands waiting.
   */
  reserve (groupKey: string): Ticket {
    const p = partitionOf(groupKey, this.#options.partitions)
    const line = this.#lines[p]!
    if (line.waiting + this.#redisWaiting[p]! >= (this.#options.maxWaiting ?? Number.POSITIVE_INFINITY)) {
      throw new OverloadedError(`partition ${p} has ${line.waiting + this.#redisWaiting[p]!} commands waiting`)
    }
    const place = line.reserve(groupKey)
    return {
      send: (command, { waitMs, alone }) => new Promise<DispatchOutcome>((resolve, reject) => {
        line.fill(place, command, alone || waitMs <= 0, { waitMs, settle: resolve, fail: reject })
        this.#schedule(p)
      }),
      cancel: () => {
        line.cancel(place)
        this.#schedule(p)
      },
    }
  }

  /** Jobs per state in each partition's queue in Redis (every gateway's), for metrics. */
  async jobCounts (): Promise<Array<Record<JobState, number>>> {
    return Promise.all(this.#queues.map(async (q) => q.getJobCounts(...JOB_STATES) as Promise<Record<JobState, number>>))
  }

  /**
   * Redis lost its data, and with it every job this gateway is waiting for: each such command is
   * sent again as a job of its own under its request id. A command that had run replays its
   * recorded result; one that had not runs now. Batches in flight will never end: forget them.
   */
  async recover (): Promise<void> {
    for (const line of this.#lines) line.forgetInFlight()
    const jobs = new Map<number, Map<string, Command>>()
    for (const waiter of this.#allWaiters()) {
      this.#unregister(waiter)
      Object.assign(waiter, { jobId: commandJobId(waiter.command.requestId), index: 0 })
      this.#register(waiter)
      const p = partitionOf(commandGroupKey(waiter.command), this.#options.partitions)
      jobs.set(p, (jobs.get(p) ?? new Map()).set(waiter.jobId, waiter.command))
    }
    await Promise.all([...jobs].map(([p, commands]) => this.#queues[p]!.addBulk([...commands.values()].map(aloneJob))))
  }

  /**
   * A command answered 202 whose job may not have reached Redis (its send failed on the wire):
   * sent again, alone under its request id, as soon as Redis answers.
   */
  sendWhenBack (command: Command): void {
    this.#unsent.add(command)
  }

  /** Commands waiting for Redis to be sent again, for metrics and tests. */
  get unsent (): number {
    return this.#unsent.size
  }

  /**
   * For a graceful stop: every command still in line leaves now, and nobody waits longer than
   * `ms` for an answer: a later one is told 202, with its record to poll.
   */
  drain (ms: number): void {
    this.#drainMs = ms
    this.#lines.forEach((line, p) => {
      line.openUp()
      this.#schedule(p)
    })
    for (const waiter of this.#allWaiters()) {
      clearTimeout(waiter.timer)
      waiter.timer = setTimeout(() => waiter.settle({ state: 'pending' }), ms)
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#sampler)
    this.#unsent.close()
    for (const jobId of [...this.#waiters.keys()]) this.#settle(jobId, () => ({ state: 'pending' }))
    await Promise.all([...this.#events.map((e) => e.close()), ...this.#queues.map((q) => q.close())])
    for (const connection of this.#eventConnections) connection.disconnect()
  }

  #schedule (p: number): void {
    if (this.#flushing.has(p)) return
    this.#flushing.add(p)
    // Everything that arrives in one event-loop turn leaves in one round trip.
    setImmediate(() => {
      this.#flushing.delete(p)
      const jobs = this.#lines[p]!.take()
      if (jobs.length > 0) this.#add(p, jobs)
    })
  }

  #add (p: number, jobs: Array<LineJob<Waiting>>): void {
    for (const job of jobs) {
      job.places.forEach((place, index) => {
        if (place.payload!.waitMs > 0) this.#wait(job.jobId, index, place.command!, place.payload!)
      })
    }
    const queue = this.#queues[p]!
    queue.addBulk(jobs.map((job) => commandJob(job.jobId, job.places.map((place) => place.command!)))).then(async () => {
      for (const job of jobs) {
        for (const place of job.places) if (place.payload!.waitMs <= 0) place.payload!.settle({ state: 'pending' })
        // Adding an id that exists is a no-op: a duplicate's job may have failed for good already.
        if (!job.batch) await this.#settleIfFailed(queue, job.jobId)
      }
    }, (error: unknown) => {
      for (const job of jobs) {
        this.#lines[p]!.finished(job.jobId)
        this.#settle(job.jobId, () => undefined)
        for (const place of job.places) place.payload!.fail(error)
      }
    })
  }

  /** A completed job is removed at once (its result went by on the stream); a failed one stays. */
  async #settleIfFailed (queue: Queue, jobId: string): Promise<void> {
    if (!this.#waiters.has(jobId)) return
    const job = await Job.fromId(queue, jobId).catch(() => undefined)
    if (job?.failedReason && job.finishedOn) this.#settle(jobId, () => ({ state: 'failed', reason: job.failedReason }))
  }

  /** Registers a waiter for the command at `index` of `jobId`; several requests may wait on one job. */
  #wait (jobId: string, index: number, command: Command, waiting: Waiting): void {
    const waitMs = Math.min(waiting.waitMs, this.#drainMs ?? Number.POSITIVE_INFINITY)
    const waiter: Waiter = {
      jobId,
      index,
      command,
      settle: (outcome) => {
        this.#unregister(waiter)
        waiting.settle(outcome)
      },
      timer: setTimeout(() => waiter.settle({ state: 'pending' }), waitMs),
    }
    this.#register(waiter)
  }

  #allWaiters (): Waiter[] {
    return [...this.#waiters.values()].flatMap((set) => [...set])
  }

  #register (waiter: Waiter): void {
    const waiters = this.#waiters.get(waiter.jobId) ?? new Set()
    waiters.add(waiter)
    this.#waiters.set(waiter.jobId, waiters)
  }

  #unregister (waiter: Waiter): void {
    clearTimeout(waiter.timer)
    const waiters = this.#waiters.get(waiter.jobId)
    waiters?.delete(waiter)
    if (waiters?.size === 0) this.#waiters.delete(waiter.jobId)
  }

  /** Settles every waiter of `jobId` with its outcome; `undefined` only drops them. */
  #settle (jobId: string, outcomeAt: (index: number) => DispatchOutcome | undefined): void {
    for (const waiter of [...this.#waiters.get(jobId) ?? []]) {
      const outcome = outcomeAt(waiter.index)
      if (outcome) waiter.settle(outcome)
      else this.#unregister(waiter)
    }
  }
}
