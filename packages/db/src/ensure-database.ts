import pg from 'pg'

const DUPLICATE_DATABASE = '42P04'
const UNIQUE_VIOLATION = '23505'

/**
 * Creates the database named in `databaseUrl` if it is missing. Several processes may start at
 * once, so losing the race to create it is success, not an error.
 */
export async function ensureDatabase (databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    throw new Error(`database name "${name}" must be 1..63 characters of [A-Za-z0-9_-]`)
  }
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 })
  await client.connect()
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
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`bad database name "${name}"`)
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query(`drop database if exists "${name}" with (force)`)
  } finally {
    await client.end()
  }
}
