import { UnreachableError } from '@seatline/config'
import { sql } from 'kysely'
import type { Db } from './connect.ts'
import { ensureDatabase } from './ensure-database.ts'
import { migrateToLatest } from './migrate.ts'

const CONNECTION_FAULTS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '28000', '3D000'])

function isConnectionFault (error: unknown): boolean {
  const e = error as { code?: string, message?: string, errors?: unknown[] }
  if (e?.code && CONNECTION_FAULTS.has(e.code)) return true
  if (Array.isArray(e?.errors)) return e.errors.some(isConnectionFault)
  return /timeout|terminated|connect/i.test(e?.message ?? '')
}

/**
 * What every start command does first: create the database if it is missing, apply pending
 * migrations (safe when several processes start together), and fail with one clear line when
 * Postgres cannot be reached.
 */
export async function prepareDatabase (databaseUrl: string, db: Db): Promise<void> {
  try {
    await ensureDatabase(databaseUrl)
    await sql`select 1`.execute(db)
  } catch (error) {
    if (isConnectionFault(error)) throw new UnreachableError('PostgreSQL', databaseUrl, error)
    throw error
  }
  await migrateToLatest(db)
}
