import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator } from 'kysely/migration'
import type { Db } from './connect.ts'

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url))

function migrator (db: Db): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }),
  })
}

/**
 * Applies every pending migration. Kysely holds a Postgres advisory lock while it migrates, so
 * processes that start together apply each migration exactly once.
 */
export async function migrateToLatest (db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** True when every migration in the folder has been applied. */
export async function migrationsApplied (db: Db): Promise<boolean> {
  const migrations = await migrator(db).getMigrations()
  return migrations.every((m) => m.executedAt !== undefined)
}
