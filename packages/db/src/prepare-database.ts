import { isInfrastructureFault, UnreachableError } from '@seatline/config'
import { sql } from 'kysely'
import type { Db } from './connect.ts'
import { ensureDatabase } from './ensure-database.ts'
import { migrateToLatest } from './migrate.ts'

// Wrong credentials or a missing database are also "cannot reach" at start.
const START_FAULTS = new Set(['28P01', '28000', '3D000'])

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
    const code = (error as { code?: string }).code
    if (isInfrastructureFault(error) || (code && START_FAULTS.has(code))) throw new UnreachableError('PostgreSQL', databaseUrl, error)
    throw error
  }
  await migrateToLatest(db)
}
