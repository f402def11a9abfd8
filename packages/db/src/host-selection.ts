/**
 * libpq's rules for a DATABASE_URL of several hosts: a host is kept when it answers and its
 * session is of the kind `target_session_attrs` asks for; when none is, the connect fails as an
 * outage (SQLSTATE 08001), so a gateway answers 503 and a worker's job is retried.
 */
import { isInfrastructureFault, type TargetSessionAttrs } from '@seatline/config'

interface Queryable {
  query (sql: string): Promise<{ rows: Array<Record<string, unknown>> }>
}

// libpq's own checks: read-write asks the session itself (a primary with
// default_transaction_read_only is refused too), primary asks whether the server is in recovery.
const CHECKS = {
  'read-write': { sql: 'show transaction_read_only', refused: (row: Record<string, unknown>) => row.transaction_read_only === 'on', kind: 'read-only' },
  primary: { sql: 'select pg_is_in_recovery() as in_recovery', refused: (row: Record<string, unknown>) => row.in_recovery === true, kind: 'in recovery' },
}

/** The host answered, but its session is not of the kind asked for (a standby, most often). */
export class SessionRefusedError extends Error {
  override name = 'SessionRefusedError'
}

/**
 * Resolves when the client's session is of the kind `attrs` asks for, else rejects with a
 * SessionRefusedError. `any` costs no round trip.
 */
export async function checkSession (client: Queryable, attrs: TargetSessionAttrs): Promise<void> {
  if (attrs === 'any') return
  const check = CHECKS[attrs]
  const { rows } = await client.query(check.sql)
  if (check.refused(rows[0] ?? {})) throw new SessionRefusedError(check.kind)
}

export interface HostFailure {
  /** `host:port`, as the URL lists it. */
  host: string
  error: unknown
}

/** Every host was tried and none was kept. */
export class NoUsableHostError extends Error {
  override name = 'NoUsableHostError'
  /** sqlclient_unable_to_establish_sqlconnection: what libpq reports, and an outage by our rules. */
  readonly code = '08001'
  readonly errors: unknown[]
  constructor (failures: HostFailure[], attrs: TargetSessionAttrs) {
    const reasons = failures.map((f) => `${f.host} (${describe(f.error)})`).join(', ')
    super(`no PostgreSQL host took a ${attrs} session: ${reasons}`)
    this.errors = failures.map((f) => f.error)
  }
}

function describe (error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.message || (error as { code?: string }).code || error.name
}

/**
 * What a connect that tried every host throws. A host that is down or not primary makes it an
 * outage; when every host refused for another reason (a wrong password, say), the first such
 * error is thrown as it is, as with one host. One host that failed is that host's own error.
 */
export function noUsableHost (failures: HostFailure[], attrs: TargetSessionAttrs): unknown {
  const refused = failures.some((f) => f.error instanceof SessionRefusedError)
  if (failures.length === 1 && !refused) return failures[0]!.error
  if (refused || failures.some((f) => isInfrastructureFault(f.error))) return new NoUsableHostError(failures, attrs)
  return failures[0]!.error
}
