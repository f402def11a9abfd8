import { createEvent, seatNames, type Buyer, type Target } from './target.ts'

/**
 * Fresh seats for a long run: events of `seatsPerEvent`, the next one created when half of the
 * current one is handed out, so a run of any length never runs out and never waits for one.
 * Seats of one request are always of one event.
 */
export class SeatSupply {
  /** Every event created, by index (one still being created is not there yet). */
  readonly #ids: string[] = []
  readonly #target: Target
  readonly #owner: Buyer
  readonly #perEvent: number
  readonly #events = new Map<number, Promise<string>>()
  #next = 0
  #latest = 0

  constructor (target: Target, owner: Buyer, seatsPerEvent: number) {
    this.#target = target
    this.#owner = owner
    this.#perEvent = seatsPerEvent
  }

  /** The newest event seats are taken from: where seat reads and new live maps go. */
  get latestEventId (): string {
    return this.#ids[this.#latest]!
  }

  get eventIds (): string[] {
    return this.#ids.filter(Boolean)
  }

  async start (): Promise<void> {
    await this.#event(0)
  }

  async take (count: number): Promise<{ eventId: string, seatIds: string[] }> {
    // Handed out before any await, so concurrent callers never get the same seat.
    if ((this.#next % this.#perEvent) + count > this.#perEvent) this.#next = Math.ceil(this.#next / this.#perEvent) * this.#perEvent
    const first = this.#next
    this.#next += count
    const index = Math.floor(first / this.#perEvent)
    // Ahead of need; a failure to create it shows when it is needed.
    if (first % this.#perEvent >= this.#perEvent / 2) this.#event(index + 1).catch(() => {})
    const eventId = await this.#event(index)
    this.#latest = Math.max(this.#latest, index)
    return { eventId, seatIds: Array.from({ length: count }, (_, k) => `S${(first % this.#perEvent) + k + 1}`) }
  }

  #event (index: number): Promise<string> {
    let made = this.#events.get(index)
    if (!made) {
      made = createEvent(this.#target, this.#owner, { seats: seatNames(this.#perEvent) }).then((event) => {
        this.#ids[index] = event.id
        return event.id
      })
      this.#events.set(index, made)
    }
    return made
  }
}
