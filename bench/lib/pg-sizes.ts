import type { Db } from '@seatline/db'
import { sql } from 'kysely'
import type { TableSize } from './result-types.ts'

/** The tables a long run fills. */
export const SOAK_TABLES = ['requests', 'idempotency_keys', 'bookings', 'booking_seats', 'holds', 'seats'] as const
/** Those retention (RETENTION_SECONDS) deletes from: their rows are counted exactly. */
export const RETAINED_TABLES = ['requests', 'idempotency_keys', 'holds'] as const

const mb = (bytes: unknown) => Math.round(Number(bytes) / 10_485.76) / 100

/**
 * On-disk size, live and dead tuples of each table, from the statistics Postgres keeps (dead
 * tuples as of its last report, a second or so behind); the retained tables counted exactly.
 */
export async function tableSizes (db: Db): Promise<Record<string, TableSize>> {
  const { rows } = await sql<{ name: string, total: string, heap: string, indexes: string, live: string, dead: string }>`
    select c.relname as name, pg_total_relation_size(c.oid) as total, pg_relation_size(c.oid) as heap,
           pg_indexes_size(c.oid) as indexes, s.n_live_tup as live, s.n_dead_tup as dead
      from pg_class c join pg_stat_user_tables s on s.relid = c.oid
     where s.schemaname = 'public' and c.relname = any(${[...SOAK_TABLES]}::text[])`.execute(db)
  const sizes: Record<string, TableSize> = {}
  for (const r of rows) {
    sizes[r.name] = { totalMb: mb(r.total), heapMb: mb(r.heap), indexMb: mb(r.indexes), live: Number(r.live), dead: Number(r.dead) }
  }
  for (const table of RETAINED_TABLES) {
    const { rows: [count] } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)
    if (sizes[table]) sizes[table].rows = count!.n
  }
  return sizes
}

/**
 * The server's autovacuum setting: with it off (this machine's CI Postgres), retention's deleted
 * rows stay as dead tuples and the tables' sizes grow while their rows level off.
 */
export async function autovacuum (db: Db): Promise<string> {
  const { rows: [row] } = await sql<{ autovacuum: string }>`show autovacuum`.execute(db)
  return row!.autovacuum
}

/**
 * Stands in for autovacuum where the server has it off: a soak otherwise measures tables that
 * only grow with dead rows (seats, bookings), which no production Postgres runs.
 */
export async function vacuumAsAutovacuumWould (db: Db): Promise<void> {
  await sql`vacuum (analyze, skip_locked)`.execute(db)
}
