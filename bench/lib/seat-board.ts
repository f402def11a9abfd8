/**
 * The seats a buyer's page would show free: every buyer's live map shows the same, so the bench
 * keeps one copy for all of them, fed by what the buyers were answered (a 201's seats, the seats
 * a 409 SEATS_UNAVAILABLE names). It lags behind the database only by the answers in flight,
 * about as a live map lags behind the commits.
 */
export class SeatBoard {
  readonly #free: string[]
  readonly #at = new Map<string, number>()

  constructor (seatIds: string[]) {
    this.#free = [...seatIds]
    this.#free.forEach((id, i) => this.#at.set(id, i))
  }

  get free (): number {
    return this.#free.length
  }

  taken (seatIds: Iterable<string>): void {
    for (const id of seatIds) {
      const i = this.#at.get(id)
      if (i === undefined) continue
      // Swap with the last and pop: O(1), the order of the free seats does not matter.
      const last = this.#free.pop()!
      if (last !== id) {
        this.#free[i] = last
        this.#at.set(last, i)
      }
      this.#at.delete(id)
    }
  }

  /** Up to `n` distinct free seats at random, none of `avoid` (seats this buyer was refused). */
  pick (n: number, avoid: Set<string> = new Set()): string[] {
    const picked = new Set<string>()
    const candidates = this.#free.length - avoid.size
    for (let tries = 0; picked.size < Math.min(n, Math.max(0, candidates)) && tries < 50; tries++) {
      const id = this.#free[Math.floor(Math.random() * this.#free.length)]!
      if (!avoid.has(id)) picked.add(id)
    }
    return [...picked]
  }
}
