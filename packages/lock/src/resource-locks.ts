import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { lockKeys } from './lock-keys.ts'

const ACQUIRE = readFileSync(new URL('./scripts/acquire-lock-2.lua', import.meta.url), 'utf8')
const RELEASE = readFileSync(new URL('./scripts/release-lock-1.lua', import.meta.url), 'utf8')

interface LockCommands {
  seatlineAcquireLock (lock: string, fence: string, token: string, ttlMs: number): Promise<number>
  seatlineReleaseLock (lock: string, token: string): Promise<number>
}

/** Raised when a lock stays taken past the wait bound: an infrastructure fault, so the job retries. */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError'
}

export interface HeldLocks {
  token: string
  /** Fencing number per resource; the transaction writes it and refuses an older one. */
  fences: Map<string, number>
  release (): Promise<void>
}

export interface ResourceLocksOptions {
  prefix: string
  /** How long a lock lives if its holder dies without releasing it. */
  ttlMs?: number
  /** How long `acquire` keeps trying before giving up with `LockTimeoutError`. */
  waitMs?: number
}

export class ResourceLocks {
  readonly #redis: Redis & LockCommands
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #waitMs: number

  constructor (redis: Redis, options: ResourceLocksOptions) {
    redis.defineCommand('seatlineAcquireLock', { numberOfKeys: 2, lua: ACQUIRE })
    redis.defineCommand('seatlineReleaseLock', { numberOfKeys: 1, lua: RELEASE })
    this.#redis = redis as Redis & LockCommands
    this.#prefix = options.prefix
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#waitMs = options.waitMs ?? 10_000
  }

  /**
   * Locks every resource, in sorted order so two callers wanting overlapping sets cannot starve
   * each other, all under one owner token. Either all are held on return, or none.
   */
  async acquire (resources: string[]): Promise<HeldLocks> {
    const token = randomUUID()
    const sorted = [...new Set(resources)].sort()
    const fences = new Map<string, number>()
    const deadline = Date.now() + this.#waitMs
    try {
      for (const resource of sorted) {
        fences.set(resource, await this.#acquireOne(resource, token, deadline))
      }
    } catch (error) {
      await this.#release([...fences.keys()], token)
      throw error
    }
    return { token, fences, release: () => this.#release(sorted, token) }
  }

  async #acquireOne (resource: string, token: string, deadline: number): Promise<number> {
    const { lock, fence } = lockKeys(this.#prefix, resource)
    for (let attempt = 0; ; attempt++) {
      const fenceNumber = await this.#redis.seatlineAcquireLock(lock, fence, token, this.#ttlMs)
      if (fenceNumber > 0) return fenceNumber
      if (Date.now() >= deadline) throw new LockTimeoutError(`lock on ${resource} still taken after ${this.#waitMs} ms`)
      await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()))
    }
  }

  async #release (resources: string[], token: string): Promise<void> {
    await Promise.all(resources.map((resource) => this.#redis.seatlineReleaseLock(lockKeys(this.#prefix, resource).lock, token)))
  }
}
