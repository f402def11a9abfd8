import type { Config } from '@seatline/config'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Logging, serverOptions } from './app.ts'
import accessLog from './plugins/access-log.ts'
import metrics from './plugins/metrics.ts'
import openapi from './plugins/openapi.ts'
import problemReplies from './plugins/problem-replies.ts'
import securityHeaders from './plugins/security-headers.ts'
import healthRoutes from './routes/public/health.ts'
import type { Services } from './services.ts'

export interface InternalAppOptions extends Logging {
  config: Config
  services: Services
  /**
   * The OpenAPI document to serve at `/docs`: the public app's (`publicApp.swagger()`, once it
   * is ready), since the routes it describes are there.
   */
  document: object
}

/**
 * A gateway's internal listener, at `INTERNAL_HOST:INTERNAL_PORT`: the operations routes that do
 * not belong on the public port. `GET /metrics` (unless METRICS=off; the series are the public
 * app's, both record into one registry), `GET /ready`, and the API's document with Swagger UI at
 * `/docs`. No auth, CORS or load guards: only Prometheus, the readiness probe and operators
 * reach it. `/health` stays on the public port, for liveness probes.
 */
export async function buildInternalApp ({ config, services, document, logger, loggerInstance }: InternalAppOptions): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, { logger, loggerInstance }))
  app.decorate('services', services)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(problemReplies)
  await app.register(securityHeaders)
  await app.register(openapi, { document })
  await app.register(accessLog)
  if (config.metrics) await app.register(metrics, services.metrics)
  await app.register(healthRoutes, { health: false })
  return app
}
