/**
 * Users recently seen to exist, so an authenticated request need not ask Postgres each time.
 * Only positive answers are kept, for `ttlMs`: a deleted account's tokens stop working within
 * that time. Bounded, oldest first out.
 */
export class KnownUsers {
  readonly #seen = new Map<string, number>()
  readonly #ttlMs: number
  readonly #max: number

  constructor (ttlMs = 60_000, max = 100_000) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  has (userId: string): boolean {
    const until = this.#seen.get(userId)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#seen.delete(userId)
    return false
  }

  add (userId: string): void {
    this.#seen.delete(userId)
    this.#seen.set(userId, Date.now() + this.#ttlMs)
    if (this.#seen.size > this.#max) this.#seen.delete(this.#seen.keys().next().value!)
  }
}
