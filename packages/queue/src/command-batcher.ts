import { randomUUID } from 'node:crypto'
import type { Command, CommandJob } from '@seatline/contracts'
import type { BulkAdder } from './bulk-adder.ts'
import { COMMAND_JOB_OPTIONS, commandJobId } from './job-options.ts'

export interface Placement {
  /** The job that carries the command. */
  jobId: string
  /** The command's place in its batch job's results; undefined for a job of its own. */
  index?: number
  /** Settles once the job is in Redis. */
  added: Promise<void>
}

export interface CommandBatcherOptions {
  /** Jobs of this gateway that may be queued or running on the partition at once. */
  maxInFlight: number
  maxBatch: number
  /** A job whose end went unseen (a reconnect) stops counting as in flight after this long. */
  releaseAfterMs: number
}

interface Unit {
  jobId: string
  commands: Command[]
  batch: boolean
  added: Promise<void>
  resolve (): void
  reject (error: unknown): void
}

function newUnit (jobId: string, command: Command, batch: boolean): Unit {
  const { promise: added, resolve, reject } = Promise.withResolvers<void>()
  added.catch(() => {}) // each caller awaits it; an unawaited copy must not crash the process
  return { jobId, commands: [command], batch, added, resolve, reject }
}

/**
 * One partition's enqueues from this gateway. While fewer than `maxInFlight` of its batch jobs
 * are queued or running, commands leave at the next turn of the event loop; beyond that they
 * wait here, and leave together as one job when one of those ends. Light load: a job per turn.
 * Flash-sale load: one job, one set of locks and one commit for many commands, the way
 * group commit works. Jobs leave in arrival order, so a group's order is kept.
 */
export class CommandBatcher {
  readonly #adder: BulkAdder
  readonly #options: CommandBatcherOptions
  readonly #waiting: Unit[] = []
  readonly #inFlight = new Map<string, NodeJS.Timeout>()
  #scheduled = false

  constructor (adder: BulkAdder, options: CommandBatcherOptions) {
    this.#adder = adder
    this.#options = options
  }

  /**
   * Queues `command`. `alone` gives it a job of its own under its request's job id, so a
   * duplicate request (same idempotency key) joins that job instead of running twice.
   */
  add (command: Command, alone: boolean): Placement {
    const last = this.#waiting.at(-1)
    if (!alone && last?.batch && last.commands.length < this.#options.maxBatch) {
      last.commands.push(command)
      return { jobId: last.jobId, index: last.commands.length - 1, added: last.added }
    }
    const unit = alone ? newUnit(commandJobId(command.requestId), command, false) : newUnit(`batch-${randomUUID()}`, command, true)
    this.#waiting.push(unit)
    this.#schedule()
    return { jobId: unit.jobId, index: alone ? undefined : 0, added: unit.added }
  }

  /** A batch job completed or failed for good: the next one may leave. */
  finished (jobId: string): void {
    const timer = this.#inFlight.get(jobId)
    if (!timer) return
    clearTimeout(timer)
    this.#inFlight.delete(jobId)
    this.#schedule()
  }

  get waiting (): number {
    return this.#waiting.reduce((n, unit) => n + unit.commands.length, 0)
  }

  #full (): boolean {
    return this.#inFlight.size >= this.#options.maxInFlight
  }

  #schedule (): void {
    if (this.#scheduled || this.#waiting.length === 0 || (this.#full() && this.#waiting[0]!.batch)) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush (): void {
    // A job of its own (keyed or async, rare) takes no slot, but still waits its turn in line.
    while (this.#waiting.length > 0 && !(this.#full() && this.#waiting[0]!.batch)) {
      const unit = this.#waiting.shift()!
      if (unit.batch) this.#inFlight.set(unit.jobId, setTimeout(() => this.finished(unit.jobId), this.#options.releaseAfterMs).unref())
      const data: CommandJob = unit.batch ? { type: 'batch', commands: unit.commands } : unit.commands[0]!
      this.#adder.add(data.type, data, { ...COMMAND_JOB_OPTIONS, jobId: unit.jobId }).then(unit.resolve, (error: unknown) => {
        this.finished(unit.jobId)
        unit.reject(error)
      })
    }
  }
}
