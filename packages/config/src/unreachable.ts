import { redactUrl } from './redact-url.ts'

const HINTS = {
  PostgreSQL: 'start it (e.g. `pg_ctlcluster 15 main start`, or `docker compose up -d postgres`) or set DATABASE_URL',
  Redis: 'start it (e.g. `redis-server --daemonize yes`, or `docker compose up -d redis`) or set REDIS_URL',
}

/** Raised at start when a backing service does not answer; reported as one line, not a trace. */
export class UnreachableError extends Error {
  override name = 'UnreachableError'
  constructor (service: keyof typeof HINTS, url: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause.message || (cause as { code?: string }).code || cause.name) : String(cause)
    super(`cannot reach ${service} at ${redactUrl(url)} (${reason}); ${HINTS[service]}`)
  }
}

/** Prints the reason a process cannot start as one clear line and exits non-zero. */
export function exitOnStartupFailure (error: unknown): never {
  if (error instanceof UnreachableError) {
    console.error(`seatline: ${error.message}`)
  } else {
    console.error('seatline: failed to start:', error)
  }
  process.exit(1)
}
