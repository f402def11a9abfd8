import { isUuid } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { ExpiringSet } from './expiring-set.ts'

/**
 * Which tokens still name a current user, for the token check on every request: the user exists
 * and their token version is the token's. Positive answers are remembered for `ttlMs`, so a
 * deleted account's tokens, or tokens revoked on another gateway, stop working within that time
 * (at once on the gateway that revoked them). Users not remembered are looked up together: every
 * request of one event-loop turn shares one query, which in a flash sale of first-time buyers
 * turns thousands of queries a second into a few hundred.
 */
export class KnownUsers {
  readonly #db: Db
  /** `userId|version` of the tokens known to be current. */
  readonly #known: ExpiringSet
  #pending = new Map<string, PromiseWithResolvers<number | undefined>>()
  /** The last look-up's answers given: each look-up answers after the one before it. */
  #answered: Promise<unknown> = Promise.resolve()

  constructor (db: Db, ttlMs = 60_000, max = 100_000) {
    this.#db = db
    this.#known = new ExpiringSet(ttlMs, max)
  }

  add (userId: string, version: number): void {
    this.#known.add(`${userId}|${version}`)
  }

  /** Forgets a version that was just revoked. */
  forget (userId: string, version: number): void {
    this.#known.delete(`${userId}|${version}`)
  }

  async current (userId: string, version: number): Promise<boolean> {
    if (this.#known.has(`${userId}|${version}`)) return true
    if (!isUuid(userId)) return false
    return (await this.#versionOf(userId)) === version
  }

  #versionOf (userId: string): Promise<number | undefined> {
    let asked = this.#pending.get(userId)
    if (!asked) {
      if (this.#pending.size === 0) setImmediate(() => this.#lookUp())
      asked = Promise.withResolvers<number | undefined>()
      this.#pending.set(userId, asked)
    }
    return asked.promise
  }

  /**
   * One query for every user asked about in one event-loop turn. Queries run at once on the pool
   * and may finish out of turn; their answers are given in turn, so requests pass the token check
   * in the order they came, and take their places in their seats' lines in that order.
   */
  #lookUp (): void {
    const pending = this.#pending
    this.#pending = new Map()
    const rows = this.#db.selectFrom('users').select(['id', 'token_version']).where('id', 'in', [...pending.keys()]).execute()
    rows.catch(() => {}) // answered below, in turn
    this.#answered = this.#answered.then(async () => {
      try {
        const versions = new Map((await rows).map((r) => [r.id, r.token_version]))
        for (const [id, asked] of pending) {
          const version = versions.get(id)
          if (version !== undefined) this.add(id, version)
          asked.resolve(version)
        }
      } catch (error) {
        for (const asked of pending.values()) asked.reject(error)
      }
    })
  }
}
