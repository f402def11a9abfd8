import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Cluster, Redis } from 'ioredis'
import { fenceKey, lockKey } from './lock-keys.ts'

const ACQUIRE = readFileSync(new URL('./scripts/acquire-lock-1.lua', import.meta.url), 'utf8')
const RELEASE = readFileSync(new URL('./scripts/release-lock-1.lua', import.meta.url), 'utf8')
const DRAW_FENCE = readFileSync(new URL('./scripts/draw-fence-1.lua', import.meta.url), 'utf8')
const ACQUIRE_ALL = readFileSync(new URL('./scripts/acquire-locks-n.lua', import.meta.url), 'utf8')
const RELEASE_ALL = readFileSync(new URL('./scripts/release-locks-n.lua', import.meta.url), 'utf8')

/** The scripts, as defined on a client or queued on a pipeline. */
interface LockCommands<R> {
  seatlineAcquireLock (lock: string, token: string, ttlMs: number): R
  seatlineReleaseLock (lock: string, token: string): R
  seatlineDrawFence (counter: string): R
  /** Variable keys: their count first (ioredis's form for scripts without a fixed number). */
  seatlineAcquireLocks (keyCount: number, ...keysThenArgs: Array<string | number>): R
  seatlineReleaseLocks (keyCount: number, ...keysThenArgs: string[]): R
}
type LockClient = LockCommands<Promise<unknown>>
type Replies = Array<[Error | null, unknown]>

/** Raised when a lock stays taken past the wait bound: an infrastructure fault, so the job retries. */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError'
}

export interface HeldLocks {
  token: string
  /**
   * Fencing number of this lock set, drawn after every lock was taken: higher than that of any
   * earlier holder of any of them. Every write carries it; Postgres refuses an older one.
   */
  fence: number
  release (): Promise<void>
}

export interface ResourceLocksOptions {
  prefix: string
  /**
   * How long a lock lives if its holder dies without releasing it. Short, so a killed worker's
   * seats are free again within seconds; a live holder that overruns it is stopped by its fence.
   */
  ttlMs?: number
  /** How long `acquire` keeps trying before giving up with `LockTimeoutError`. */
  waitMs?: number
}

export class ResourceLocks {
  readonly #redis: Redis | Cluster
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #waitMs: number

  constructor (redis: Redis | Cluster, options: ResourceLocksOptions) {
    redis.defineCommand('seatlineAcquireLock', { numberOfKeys: 1, lua: ACQUIRE })
    redis.defineCommand('seatlineReleaseLock', { numberOfKeys: 1, lua: RELEASE })
    redis.defineCommand('seatlineDrawFence', { numberOfKeys: 1, lua: DRAW_FENCE })
    redis.defineCommand('seatlineAcquireLocks', { lua: ACQUIRE_ALL })
    redis.defineCommand('seatlineReleaseLocks', { lua: RELEASE_ALL })
    this.#redis = redis
    this.#prefix = options.prefix
    this.#ttlMs = options.ttlMs ?? 5_000
    this.#waitMs = options.waitMs ?? 10_000
  }

  /**
   * Locks every resource under one owner token, all or nothing: each attempt asks for all of them
   * and a fence in one round trip (one script on one Redis, every lock and then the fence; a
   * pipeline of one script per lock on a Cluster) and gives back what it got if any was taken, so
   * two callers wanting overlapping sets can neither deadlock nor hold half a set while they wait.
   */
  async acquire (resources: string[]): Promise<HeldLocks> {
    const token = randomUUID()
    const sorted = [...new Set(resources)].sort()
    const deadline = Date.now() + this.#waitMs
    for (let attempt = 0; ; attempt++) {
      const fence = await this.#tryAll(sorted, token)
      if (fence !== undefined) return { token, fence, release: () => this.#release(sorted, token) }
      if (Date.now() >= deadline) throw new LockTimeoutError(`locks on ${sorted.join(', ')} still taken after ${this.#waitMs} ms`)
      await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()))
    }
  }

  async #tryAll (sorted: string[], token: string): Promise<number | undefined> {
    if (!this.#redis.isCluster) {
      const keys = [...sorted.map((resource) => lockKey(this.#prefix, resource)), fenceKey(this.#prefix)]
      const fence = Number(await (this.#redis as unknown as LockClient).seatlineAcquireLocks(keys.length, ...keys, token, this.#ttlMs))
      return fence > 0 ? fence : undefined
    }
    const replies = await this.#acquireAcrossNodes(sorted, token)
    const failure = replies.find(([error]) => error)?.[0]
    const taken = sorted.filter((_, i) => !replies[i]?.[0] && Number(replies[i]?.[1]) === 1)
    if (!failure && taken.length === sorted.length) return Number(replies[sorted.length]![1])
    await this.#release(taken, token)
    if (failure) throw failure
    return undefined
  }

  /**
   * A Redis Cluster: the locks live on several nodes, so they are asked for together (the client
   * pipelines them per node), and the fence is drawn only once every one is held: drawn later
   * than any earlier holder's, whatever the nodes' timing.
   */
  async #acquireAcrossNodes (sorted: string[], token: string): Promise<Replies> {
    const client = this.#redis as unknown as LockClient
    const settle = (reply: Promise<unknown>) => reply.then((value): [null, unknown] => [null, value], (error: Error): [Error, null] => [error, null])
    const replies = await Promise.all(sorted.map((resource) => settle(client.seatlineAcquireLock(lockKey(this.#prefix, resource), token, this.#ttlMs))))
    if (replies.some(([error, value]) => error || Number(value) !== 1)) return replies
    return [...replies, await settle(client.seatlineDrawFence(fenceKey(this.#prefix)))]
  }

  async #release (resources: string[], token: string): Promise<void> {
    if (resources.length === 0) return
    if (this.#redis.isCluster) {
      const client = this.#redis as unknown as LockClient
      await Promise.all(resources.map((resource) => client.seatlineReleaseLock(lockKey(this.#prefix, resource), token)))
      return
    }
    const keys = resources.map((resource) => lockKey(this.#prefix, resource))
    await (this.#redis as unknown as LockClient).seatlineReleaseLocks(keys.length, ...keys, token)
  }
}
