import { makeProblem } from '@seatline/contracts'
import { migrationsApplied } from '@seatline/db'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { replies } from '../../lib/reply-schemas.ts'

const Status = Type.Object({ status: Type.String() })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: replies({ 200: Status }), tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }))

  let migrated = false
  app.get('/ready', { schema: { response: replies({ 200: Status }), tags: ['operations'], summary: 'Readiness', description: 'Problems: 503 UNAVAILABLE while Postgres or Redis cannot be reached or migrations are pending.' } }, async (request, reply) => {
    try {
      await Promise.all([sql`select 1`.execute(app.services.db), app.services.redis.ping()])
      migrated ||= await migrationsApplied(app.services.db)
      if (!migrated) throw new Error('migrations pending')
      return { status: 'ready' }
    } catch (error) {
      request.log.warn({ err: error }, 'not ready')
      return reply.problem(makeProblem('UNAVAILABLE', `not ready: ${(error as Error).message}`), { 'retry-after': '1' })
    }
  })
}

export default healthRoutes
