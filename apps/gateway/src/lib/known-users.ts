import { isUuid } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { ExpiringSet } from './expiring-set.ts'

/**
 * Which user ids exist, for the token check on every request. Positive answers are remembered
 * for `ttlMs`, so a deleted account's tokens stop working within that time. Ids not remembered
 * are looked up together: every request of one event-loop turn shares one query, which in a
 * flash sale of first-time buyers turns thousands of queries a second into a few hundred.
 */
export class KnownUsers {
  readonly #db: Db
  readonly #known: ExpiringSet
  #pending = new Map<string, PromiseWithResolvers<boolean>>()

  constructor (db: Db, ttlMs = 60_000, max = 100_000) {
    this.#db = db
    this.#known = new ExpiringSet(ttlMs, max)
  }

  add (userId: string): void {
    this.#known.add(userId)
  }

  async exists (userId: string): Promise<boolean> {
    if (this.#known.has(userId)) return true
    if (!isUuid(userId)) return false
    let asked = this.#pending.get(userId)
    if (!asked) {
      if (this.#pending.size === 0) setImmediate(() => this.#lookUp())
      asked = Promise.withResolvers<boolean>()
      this.#pending.set(userId, asked)
    }
    return asked.promise
  }

  async #lookUp (): Promise<void> {
    const pending = this.#pending
    this.#pending = new Map()
    try {
      const rows = await this.#db.selectFrom('users').select('id').where('id', 'in', [...pending.keys()]).execute()
      const found = new Set(rows.map((r) => r.id))
      for (const [id, asked] of pending) {
        if (found.has(id)) this.#known.add(id)
        asked.resolve(found.has(id))
      }
    } catch (error) {
      for (const asked of pending.values()) asked.reject(error)
    }
  }
}
