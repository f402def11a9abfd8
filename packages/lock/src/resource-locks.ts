import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { lockKeys } from './lock-keys.ts'

const ACQUIRE = readFileSync(new URL('./scripts/acquire-lock-2.lua', import.meta.url), 'utf8')
const RELEASE = readFileSync(new URL('./scripts/release-lock-1.lua', import.meta.url), 'utf8')

/** The two scripts, queued on an ioredis pipeline: many locks cost one round trip. */
interface LockPipeline {
  seatlineAcquireLock (lock: string, fence: string, token: string, ttlMs: number): unknown
  seatlineReleaseLock (lock: string, token: string): unknown
  exec (): Promise<Array<[Error | null, unknown]> | null>
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
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #waitMs: number

  constructor (redis: Redis, options: ResourceLocksOptions) {
    redis.defineCommand('seatlineAcquireLock', { numberOfKeys: 2, lua: ACQUIRE })
    redis.defineCommand('seatlineReleaseLock', { numberOfKeys: 1, lua: RELEASE })
    this.#redis = redis
    this.#prefix = options.prefix
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#waitMs = options.waitMs ?? 10_000
  }

  /**
   * Locks every resource under one owner token, all or nothing: each attempt asks for all of them
   * in one pipelined round trip and gives back what it got if any was taken, so two callers
   * wanting overlapping sets can neither deadlock nor hold half a set while they wait.
   */
  async acquire (resources: string[]): Promise<HeldLocks> {
    const token = randomUUID()
    const sorted = [...new Set(resources)].sort()
    const deadline = Date.now() + this.#waitMs
    for (let attempt = 0; ; attempt++) {
      const fences = await this.#tryAll(sorted, token)
      if (fences) return { token, fences, release: () => this.#release(sorted, token) }
      if (Date.now() >= deadline) throw new LockTimeoutError(`locks on ${sorted.join(', ')} still taken after ${this.#waitMs} ms`)
      await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()))
    }
  }

  async #tryAll (sorted: string[], token: string): Promise<Map<string, number> | undefined> {
    const pipeline = this.#redis.pipeline() as unknown as LockPipeline
    for (const resource of sorted) {
      const { lock, fence } = lockKeys(this.#prefix, resource)
      pipeline.seatlineAcquireLock(lock, fence, token, this.#ttlMs)
    }
    const replies = await pipeline.exec() ?? []
    const fences = new Map<string, number>()
    replies.forEach(([error, fence], i) => { if (!error && Number(fence) > 0) fences.set(sorted[i]!, Number(fence)) })
    if (fences.size === sorted.length) return fences
    await this.#release([...fences.keys()], token)
    const failure = replies.find(([error]) => error)?.[0]
    if (failure) throw failure
    return undefined
  }

  async #release (resources: string[], token: string): Promise<void> {
    if (resources.length === 0) return
    const pipeline = this.#redis.pipeline() as unknown as LockPipeline
    for (const resource of resources) pipeline.seatlineReleaseLock(lockKeys(this.#prefix, resource).lock, token)
    const failure = (await pipeline.exec())?.find(([error]) => error)?.[0]
    if (failure) throw failure
  }
}
