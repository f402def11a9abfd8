import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { migrations } from '../../../migrations/index.ts'
import type { Db } from './connect.ts'

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url))

function migrator (db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  })
}

// Any fixed number: it names Seatline's migration lock among the database's advisory locks.
const MIGRATION_LOCK = 5_347_201

/**
 * Applies every pending migration. Processes that start together take turns on a session
 * advisory lock: Kysely's own lock sits in tables that the first run itself creates, and two
 * concurrent `create table if not exists` can still collide in Postgres.
 */
export async function migrateToLatest (db: Db): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection)
    try {
      const { error, results } = await migrator(db).migrateToLatest()
      if (error) throw error
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection)
    }
  })
}

/** True when every migration in the folder has been applied. */
export async function migrationsApplied (db: Db): Promise<boolean> {
  const migrations = await migrator(db).getMigrations()
  return migrations.every((m) => m.executedAt !== undefined)
}
