import type { JobsOptions, Queue } from 'bullmq'

interface PendingAdd {
  job: { name: string, data: unknown, opts: JobsOptions }
  resolve (): void
  reject (error: unknown): void
}

const MAX_BATCH = 500

/**
 * Adds jobs to a queue in bulk: every add made in one turn of the event loop goes to Redis in a
 * single `addBulk` round trip, in the order the adds were made. Under load this turns hundreds of
 * writes into a few; when idle it costs one `setImmediate`.
 */
export class BulkAdder {
  readonly #queue: Queue
  #pending: PendingAdd[] = []
  #scheduled = false

  constructor (queue: Queue) {
    this.#queue = queue
  }

  add (name: string, data: unknown, opts: JobsOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ job: { name, data, opts }, resolve, reject })
      this.#schedule()
    })
  }

  #schedule (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      const batch = this.#pending.splice(0, MAX_BATCH)
      if (this.#pending.length > 0) this.#schedule()
      this.#queue.addBulk(batch.map((p) => p.job)).then(
        () => { for (const p of batch) p.resolve() },
        (error: unknown) => { for (const p of batch) p.reject(error) }
      )
    })
  }
}
