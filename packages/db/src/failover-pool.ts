/**
 * A pool over the hosts of a libpq-style DATABASE_URL, for Kysely's PostgresDialect (which needs
 * `connect()` and `end()`). One pg.Pool per host, so each keeps pg's own handling of idle,
 * broken and timed-out clients; a connection is asked of the last host that gave one, and when
 * that host refuses or is no longer primary, of the others in the order the URL lists them.
 */
import type { DatabaseHost, TargetSessionAttrs } from '@seatline/config'
import pg from 'pg'
import { checkSession, type HostFailure, noUsableHost } from './host-selection.ts'

// pg-pool's words when every client of a healthy pool is busy past the wait: the host is up, so
// another host would not help, and a standby could not serve anyway.
const POOL_BUSY = 'timeout exceeded when trying to connect'
const POOL_ENDED = 'Cannot use a pool after calling end on the pool'

export class FailoverPool {
  /** Kysely builds a query-cancelling client from `Client` and `options`; with no `Client`, it cancels through `connect()`. */
  readonly options: object = {}
  readonly #hosts: DatabaseHost[]
  readonly #attrs: TargetSessionAttrs
  readonly #pools: pg.Pool[]
  #current = 0
  readonly #onHostChange: (host: string, from: string) => void

  /** `onPool` sees each host's pool once, as it is made: for error listeners. */
  constructor (hosts: DatabaseHost[], attrs: TargetSessionAttrs, config: pg.PoolConfig, onPool: (pool: pg.Pool) => void = () => {}, onHostChange: (host: string, from: string) => void = () => {}) {
    this.#hosts = hosts
    this.#attrs = attrs
    this.#onHostChange = onHostChange
    this.#pools = hosts.map((host) => {
      // Checked once per new connection, before the pool hands it out: a server cannot turn from
      // primary into standby without dropping its connections, so an open one stays good.
      const onConnect = attrs === 'any' ? undefined : (client: pg.ClientBase) => checkSession(client, attrs)
      const pool = new pg.Pool({ ...config, connectionString: host.url, onConnect })
      onPool(pool)
      return pool
    })
  }

  /** The host connections are asked of first: the last that gave one. */
  get currentHost (): string {
    return this.#hosts[this.#current]!.label
  }

  get totalCount (): number {
    return this.#sum((p) => p.totalCount)
  }

  get idleCount (): number {
    return this.#sum((p) => p.idleCount)
  }

  get waitingCount (): number {
    return this.#sum((p) => p.waitingCount)
  }

  async connect (): Promise<pg.PoolClient> {
    const first = this.#current
    const order = [first, ...this.#hosts.map((_, i) => i).filter((i) => i !== first)]
    const failures: HostFailure[] = []
    for (const i of order) {
      try {
        const client = await this.#pools[i]!.connect()
        if (i !== this.#current) {
          const from = this.currentHost
          this.#current = i
          this.#onHostChange(this.currentHost, from)
        }
        return client
      } catch (error) {
        const message = (error as Error | undefined)?.message
        if (message === POOL_BUSY || message === POOL_ENDED) throw error
        failures.push({ host: this.#hosts[i]!.label, error })
      }
    }
    throw noUsableHost(failures, this.#attrs)
  }

  async end (): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.end()))
  }

  #sum (count: (pool: pg.Pool) => number): number {
    return this.#pools.reduce((n, pool) => n + count(pool), 0)
  }
}
