import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { IdempotencyClaim } from '@seatline/db'
import { validationFailed } from './problem-error.ts'

const KEY = /^[\x21-\x7e]{1,255}$/

/**
 * Reads `Idempotency-Key`. The fingerprint covers method, path and body, so the same key sent
 * with a different request is told apart from a retry of the first.
 */
export function idempotencyClaim (request: FastifyRequest): IdempotencyClaim | undefined {
  const key = request.headers['idempotency-key']
  if (key === undefined) return undefined
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw validationFailed([{ path: 'headers/idempotency-key', message: 'must be 1..255 visible ASCII characters' }])
  }
  const fingerprint = createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('base64url')
  return { key, fingerprint }
}
