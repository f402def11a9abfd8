import type { Command, CommandResult } from '@seatline/contracts'
import { Counter, Histogram, type Registry, SECONDS_BUCKETS } from '@seatline/metrics'
import type { JobRun } from '@seatline/queue'
import type { Logger } from 'pino'

const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]

function outcomeOf (result: CommandResult): string {
  return result.ok ? result.kind : result.code
}

/**
 * What each job run leaves behind: one log line carrying its requests' ids (the gateway's
 * `reqId`s, so one search finds both ends of a request) and the worker's metrics.
 */
export class JobObserver {
  readonly #log: Logger
  readonly #wait: Histogram<'partition'>
  readonly #run: Histogram<'partition'>
  readonly #batch: Histogram<'partition'>
  readonly #outcomes: Counter<'command' | 'outcome'>
  readonly #lock: Histogram
  readonly #stalled: Counter
  readonly #failed: Counter<'final'>

  constructor (registry: Registry, log: Logger) {
    const registers = [registry]
    this.#log = log
    this.#wait = new Histogram({ name: 'seatline_job_wait_seconds', help: 'Time from a job\'s enqueue to the start of its run', labelNames: ['partition'], buckets: SECONDS_BUCKETS, registers })
    this.#run = new Histogram({ name: 'seatline_job_run_seconds', help: 'Time a job\'s run takes: its locks and its transaction', labelNames: ['partition'], buckets: SECONDS_BUCKETS, registers })
    this.#batch = new Histogram({ name: 'seatline_job_batch_size', help: 'Commands per job', labelNames: ['partition'], buckets: BATCH_BUCKETS, registers })
    this.#outcomes = new Counter({ name: 'seatline_command_outcomes_total', help: 'Commands run, by command and outcome (a success kind or a refusal code)', labelNames: ['command', 'outcome'], registers })
    this.#lock = new Histogram({ name: 'seatline_lock_acquire_seconds', help: 'Time to take a job\'s Redis seat locks', buckets: SECONDS_BUCKETS, registers })
    this.#stalled = new Counter({ name: 'seatline_jobs_stalled_total', help: 'Jobs this worker found stalled (their worker died or froze) and put back to run', registers })
    this.#failed = new Counter({ name: 'seatline_jobs_failed_total', help: 'Job runs that threw; final ones are recorded as given up', labelNames: ['final'], registers })
    // Series from zero, so that rate() sees a rare first failure.
    for (const final of ['true', 'false']) this.#failed.inc({ final }, 0)
  }

  async run (commands: Command[], job: JobRun, work: () => Promise<CommandResult[]>): Promise<CommandResult[]> {
    const partition = String(job.partition)
    const started = Date.now()
    this.#wait.observe({ partition }, Math.max(0, started - job.enqueuedAt) / 1000)
    this.#batch.observe({ partition }, commands.length)
    const results = await work()
    const ms = Date.now() - started
    this.#run.observe({ partition }, ms / 1000)
    results.forEach((result, i) => this.#outcomes.inc({ command: commands[i]!.type, outcome: outcomeOf(result) }))
    this.#log.info({
      jobId: job.id,
      partition: job.partition,
      attempt: job.attempt,
      reqIds: commands.map((c) => c.reqId),
      requestIds: commands.map((c) => c.requestId),
      outcomes: results.map(outcomeOf),
      ms,
    }, 'job done')
    return results
  }

  lockAcquired (seconds: number): void {
    this.#lock.observe(seconds)
  }

  stalled (partition: number): void {
    this.#stalled.inc()
    this.#log.warn({ partition }, 'took back a stalled job')
  }

  failed (commands: Command[], error: Error, final: boolean): void {
    this.#failed.inc({ final: String(final) })
    this.#log.warn({ err: error, reqIds: commands.map((c) => c.reqId), requestIds: commands.map((c) => c.requestId), final }, 'job failed')
  }
}
