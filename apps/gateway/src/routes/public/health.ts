import { makeProblem } from '@seatline/contracts'
import { migrationsApplied } from '@seatline/db'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { replies } from '../../lib/reply-schemas.ts'

const Status = Type.Object({ status: Type.String() })

export interface HealthOptions {
  /** `GET /health`, liveness; on unless told. */
  health?: boolean
  /** `GET /ready`, readiness; on unless told (off on the public port when the internal port serves it). */
  ready?: boolean
}

/**
 * What keeps a gateway from being ready, in fixed words: the reply names the dependency and never
 * carries an error's own text (an address such as `10.0.0.5:5432` names an internal host); the
 * error itself goes to the log.
 */
type NotReady = 'postgres cannot be reached' | 'redis cannot be reached' | 'migrations pending'

const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { health = true, ready = true }) => {
  if (health) {
    app.get('/health', { schema: { response: replies({ 200: Status }), tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }))
  }
  if (!ready) return

  let migrated = false
  app.get('/ready', { schema: { response: replies({ 200: Status }), tags: ['operations'], summary: 'Readiness', description: 'Problems: 503 UNAVAILABLE while Postgres or Redis cannot be reached or migrations are pending.' } }, async (request, reply) => {
    const notReady: NotReady[] = []
    const [postgres, redis] = await Promise.allSettled([sql`select 1`.execute(app.services.db), app.services.redis.ping()])
    if (postgres.status === 'rejected') {
      request.log.warn({ err: postgres.reason, dependency: 'postgres' }, 'not ready')
      notReady.push('postgres cannot be reached')
    }
    if (redis.status === 'rejected') {
      request.log.warn({ err: redis.reason, dependency: 'redis' }, 'not ready')
      notReady.push('redis cannot be reached')
    }
    if (postgres.status === 'fulfilled' && !migrated) {
      try {
        migrated = await migrationsApplied(app.services.db)
        if (!migrated) {
          request.log.warn({ dependency: 'migrations' }, 'not ready: migrations pending')
          notReady.push('migrations pending')
        }
      } catch (error) {
        request.log.warn({ err: error, dependency: 'postgres' }, 'not ready')
        notReady.push('postgres cannot be reached')
      }
    }
    if (notReady.length > 0) {
      return reply.problem(makeProblem('UNAVAILABLE', `not ready: ${notReady.join('; ')}`), { 'retry-after': '1' })
    }
    return { status: 'ready' }
  })
}

export default healthRoutes
