import { parseDatabaseUrl } from '@seatline/config'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { FailoverPool } from './failover-pool.ts'
import type { Database } from './schema.ts'

export type Db = Kysely<Database>

export interface ConnectOptions {
  /** Pool size; a worker needs few, a gateway serving reads more. */
  max?: number
  applicationName?: string
  /** Told when connections start going to another host (a failover): for the log. */
  onHostChange? (host: string, from: string): void
}

export interface PoolStats {
  /** Clients open, idle among them, and queries waiting for a client. */
  total: number
  idle: number
  waiting: number
}

type Counted = Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>

const pools = new WeakMap<Db, Counted>()

/** The pool behind a `createDb` database, as it is now: for metrics. */
export function poolStats (db: Db): PoolStats {
  const pool = pools.get(db)
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 }
}

/**
 * A connection that drops must not crash the process. The pool reports idle clients' errors
 * itself; a client checked out reports on its own, and pg throws when nobody listens. Its query
 * in flight still fails (a 503, or a job retry), and the pool drops it when released.
 */
function quiet (pool: pg.Pool): void {
  pool.on('error', () => {})
  pool.on('connect', (client) => { client.on('error', () => {}) })
}

/**
 * One host with no `target_session_attrs` is a plain pg.Pool, as it always was. Several hosts
 * (or a session kind to check) go through a FailoverPool: one pool per host, the first that
 * answers with a session of that kind wins (packages/config/src/database-url.ts).
 */
export function createDb (databaseUrl: string, options: ConnectOptions = {}): Db {
  const config: pg.PoolConfig = {
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'seatline',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  }
  const { hosts, targetSessionAttrs } = parseDatabaseUrl(databaseUrl)
  let pool: pg.Pool | FailoverPool
  if (hosts.length === 1 && targetSessionAttrs === 'any') {
    pool = new pg.Pool({ ...config, connectionString: hosts[0]!.url })
    quiet(pool)
  } else {
    pool = new FailoverPool(hosts, targetSessionAttrs, config, quiet, options.onHostChange)
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  pools.set(db, pool)
  return db
}
