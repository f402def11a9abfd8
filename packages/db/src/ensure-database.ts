import { connectClient, databaseName } from './connect-client.ts'

const DUPLICATE_DATABASE = '42P04'
const UNIQUE_VIOLATION = '23505'

/**
 * Creates the database named in `databaseUrl` if it is missing. Several processes may start at
 * once, so losing the race to create it is success, not an error. With several hosts it is
 * created on the primary, which the standbys copy.
 */
export async function ensureDatabase (databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl)
  const client = await connectClient(databaseUrl, { database: 'postgres', connectionTimeoutMillis: 5_000 })
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount) return
    // Identifiers cannot be bound as parameters; the name was checked against a strict pattern.
    await client.query(`create database "${name}"`)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error
  } finally {
    await client.end()
  }
}

/** Drops a database; for tests and benchmarks that make their own. */
export async function dropDatabase (databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl)
  const client = await connectClient(databaseUrl, { database: 'postgres' })
  try {
    await client.query(`drop database if exists "${name}" with (force)`)
  } finally {
    await client.end()
  }
}
