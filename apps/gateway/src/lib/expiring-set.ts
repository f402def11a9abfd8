/**
 * A set whose members are forgotten `ttlMs` after they were last added, holding at most `max`
 * of them (oldest out first): the shape of every "recently seen" memory in the gateway. Members
 * sit in the order they were last added, which is their order of expiry, so each add drops the
 * expired ones from the front: the set holds what was added within `ttlMs`, not `max` members
 * of a day's traffic.
 */
export class ExpiringSet {
  readonly #until = new Map<string, number>()
  readonly #ttlMs: number
  readonly #max: number

  constructor (ttlMs: number, max: number) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  has (key: string): boolean {
    const until = this.#until.get(key)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#until.delete(key)
    return false
  }

  add (key: string): void {
    const now = Date.now()
    this.#until.delete(key)
    this.#until.set(key, now + this.#ttlMs)
    if (this.#until.size > this.#max) this.#until.delete(this.#until.keys().next().value!)
    for (const [oldest, until] of this.#until) {
      if (until > now) break
      this.#until.delete(oldest)
    }
  }

  get size (): number {
    return this.#until.size
  }

  delete (key: string): void {
    this.#until.delete(key)
  }
}
