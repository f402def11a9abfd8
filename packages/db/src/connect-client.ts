import { parseDatabaseUrl } from '@seatline/config'
import pg from 'pg'
import { checkSession, type HostFailure, noUsableHost } from './host-selection.ts'

export interface ConnectClientOptions {
  /** Another database on the same server(s): `postgres`, to create or drop the URL's own. */
  database?: string
  connectionTimeoutMillis?: number
}

/** The URL's database name, checked: it is put into SQL as an identifier. */
export function databaseName (databaseUrl: string): string {
  const url = new URL(parseDatabaseUrl(databaseUrl).hosts[0]!.url)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    throw new Error(`database name "${name}" must be 1..63 characters of [A-Za-z0-9_-]`)
  }
  return name
}

/**
 * One client, outside any pool, on the first host of the URL that answers with the session
 * it asks for (the primary, when it lists several): what starts and tests use.
 */
export async function connectClient (databaseUrl: string, options: ConnectClientOptions = {}): Promise<pg.Client> {
  const { hosts, targetSessionAttrs } = parseDatabaseUrl(databaseUrl)
  const failures: HostFailure[] = []
  for (const host of hosts) {
    const url = new URL(host.url)
    if (options.database) url.pathname = `/${options.database}`
    const client = new pg.Client({ connectionString: options.database ? url.toString() : host.url, connectionTimeoutMillis: options.connectionTimeoutMillis })
    try {
      await client.connect()
      await checkSession(client, targetSessionAttrs)
      return client
    } catch (error) {
      failures.push({ host: host.label, error })
      await client.end().catch(() => {})
    }
  }
  throw noUsableHost(failures, targetSessionAttrs)
}
