import { makeProblem } from '@seatline/contracts'
import { migrationsApplied } from '@seatline/db'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }))

  let migrated = false
  app.get('/ready', async (request, reply) => {
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
