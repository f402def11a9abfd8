import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.ts'

export type Db = Kysely<Database>

export interface ConnectOptions {
  /** Pool size; a worker needs few, a gateway serving reads more. */
  max?: number
  applicationName?: string
}

export interface PoolStats {
  /** Clients open, idle among them, and queries waiting for a client. */
  total: number
  idle: number
  waiting: number
}

const pools = new WeakMap<Db, pg.Pool>()

/** The pool behind a `createDb` database, as it is now: for metrics. */
export function poolStats (db: Db): PoolStats {
  const pool = pools.get(db)
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 }
}

export function createDb (databaseUrl: string, options: ConnectOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'seatline',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  })
  // A connection that drops must not crash the process. The pool reports idle clients' errors
  // itself; a client checked out reports on its own, and pg throws when nobody listens. Its
  // query in flight still fails (a 503, or a job retry), and the pool drops it when released.
  pool.on('error', () => {})
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  pools.set(db, pool)
  return db
}
