import { randomUUID } from 'node:crypto'
import type { Command } from '@seatline/contracts'
import { commandJobId } from './job-options.ts'

/** A request's place in its partition's line, taken when it arrives, filled once it is ready. */
export interface Place<T> {
  readonly groupKey: string
  state: 'reserved' | 'ready' | 'cancelled'
  command?: Command
  /** A job of its own under its request id, so that an idempotent duplicate joins it. */
  alone: boolean
  /** What the caller attaches, handed back with the job the command leaves in. */
  payload?: T
}

export interface LineJob<T> {
  jobId: string
  /** A batch takes one of the gateway's in-flight slots on the partition; a job of its own does not. */
  batch: boolean
  places: Array<Place<T>>
}

export interface PartitionLineOptions {
  /** Batch jobs of this gateway that may be queued or running on the partition at once. */
  maxInFlight: number
  maxBatch: number
  /** A job whose end went unseen (a reconnect, lost data) stops counting as in flight after this long. */
  releaseAfterMs: number
  /** Called when a slot frees up, so the caller can take the next jobs. */
  onSlotFreed (): void
}

/**
 * One partition's commands at this gateway, in arrival order, and the one rule for when they
 * leave. While a batch job is in flight, commands wait here and then leave together as one job:
 * light load sends a job per event-loop turn; flash-sale load sends one job, one set of locks
 * and one commit for many commands, the way group commit works. A command never overtakes an
 * earlier one of its group, even one still being recorded; other groups do not wait for it.
 */
export class PartitionLine<T> {
  readonly #options: PartitionLineOptions
  #places: Array<Place<T>> = []
  #waiting = 0
  readonly #inFlight = new Map<string, NodeJS.Timeout>()

  constructor (options: PartitionLineOptions) {
    this.#options = { ...options }
  }

  /** Takes a place in line; call synchronously when the request arrives. */
  reserve (groupKey: string): Place<T> {
    const place: Place<T> = { groupKey, state: 'reserved', alone: false }
    this.#places.push(place)
    this.#waiting++
    return place
  }

  fill (place: Place<T>, command: Command, alone: boolean, payload: T): void {
    Object.assign(place, { state: 'ready', command, alone, payload })
  }

  cancel (place: Place<T>): void {
    if (place.state !== 'cancelled') this.#waiting--
    place.state = 'cancelled'
  }

  /** The jobs that may leave now, in the order they must enter the queue. */
  take (): Array<LineJob<T>> {
    const jobs: Array<LineJob<T>> = []
    const blocked = new Set<string>()
    const staying: Array<Place<T>> = []
    let batch: LineJob<T> | undefined
    for (const place of this.#places) {
      if (place.state === 'cancelled') continue
      if (place.state === 'reserved' || blocked.has(place.groupKey)) {
        blocked.add(place.groupKey)
        staying.push(place)
      } else if (place.alone) {
        jobs.push({ jobId: commandJobId(place.command!.requestId), batch: false, places: [place] })
      } else if (batch && batch.places.length < this.#options.maxBatch) {
        batch.places.push(place)
      } else if (this.#inFlight.size < this.#options.maxInFlight) {
        const jobId = `batch-${randomUUID()}`
        batch = { jobId, batch: true, places: [place] }
        this.#inFlight.set(jobId, setTimeout(() => this.finished(jobId), this.#options.releaseAfterMs).unref())
        jobs.push(batch)
      } else {
        blocked.add(place.groupKey)
        staying.push(place)
      }
    }
    this.#places = staying
    this.#waiting = staying.length
    return jobs
  }

  /** A batch job ended (or could not be added): its slot is free for the next one. */
  finished (jobId: string): void {
    const timer = this.#inFlight.get(jobId)
    if (!timer) return
    clearTimeout(timer)
    this.#inFlight.delete(jobId)
    this.#options.onSlotFreed()
  }

  /** Lifts the in-flight limit: on the way down, everything in line leaves at once. */
  openUp (): void {
    this.#options.maxInFlight = Number.POSITIVE_INFINITY
  }

  /** Forgets every in-flight job: after Redis lost them, none will end. */
  forgetInFlight (): void {
    for (const jobId of [...this.#inFlight.keys()]) this.finished(jobId)
  }

  /** Places taken and not yet sent or cancelled: checked on every arrival, so kept as a count. */
  get waiting (): number {
    return this.#waiting
  }
}
