/**
 * A set whose members are forgotten `ttlMs` after they were last added, holding at most `max`
 * of them (oldest out first): the shape of every "recently seen" memory in the gateway.
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
    this.#until.delete(key)
    this.#until.set(key, Date.now() + this.#ttlMs)
    if (this.#until.size > this.#max) this.#until.delete(this.#until.keys().next().value!)
  }

  delete (key: string): void {
    this.#until.delete(key)
  }
}
