const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'ECONNABORTED'])
/** Postgres SQLSTATEs of a server going away or refusing for a while, not of a bad request. */
const POSTGRES_UNAVAILABLE = /^(08...|57P0[1-4]|53300|53400|40001|40P01)$/
const MESSAGES = /connection (terminated|is closed|timeout|error)|timeout exceeded when trying to connect|stream isn't writeable|enableOfflineQueue|reached the max retries|client has encountered a connection error|server closed the connection/i

/**
 * True when an error means Postgres or Redis cannot be reached (or shed the request), rather than
 * that the request or the code is wrong: a client should be told 503 and to come back, and a job
 * should be retried.
 */
export function isInfrastructureFault (error: unknown): boolean {
  const e = error as { code?: unknown, message?: unknown, name?: unknown, errors?: unknown[], cause?: unknown } | undefined
  if (!e || typeof e !== 'object') return false
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || POSTGRES_UNAVAILABLE.test(e.code))) return true
  if (e.name === 'MaxRetriesPerRequestError') return true
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true
  if (Array.isArray(e.errors) && e.errors.some(isInfrastructureFault)) return true
  return e.cause !== undefined && e.cause !== error && isInfrastructureFault(e.cause)
}
