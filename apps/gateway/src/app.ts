import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '@seatline/config'
import { makeProblem, PROBLEM_CONTENT_TYPE } from '@seatline/contracts'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import auth from './plugins/auth.ts'
import problemReplies from './plugins/problem-replies.ts'
import validation from './plugins/validation.ts'
import authRoutes from './routes/auth.ts'
import bookingRoutes from './routes/bookings.ts'
import eventRoutes from './routes/events.ts'
import healthRoutes from './routes/health.ts'
import holdRoutes from './routes/holds.ts'
import requestRoutes from './routes/requests.ts'
import type { Services } from './services.ts'

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/

export interface AppOptions {
  config: Config
  services: Services
  logger?: FastifyServerOptions['logger']
}

/** The gateway as a Fastify instance, ready to listen or to be injected into. */
export async function buildApp ({ config, services, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: 64 * 1024,
    requestIdHeader: false,
    // Echo a caller's id when it is sane, so their logs and ours line up; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    frameworkErrors: (error, request, reply) => {
      const problem = makeProblem('BAD_REQUEST', error.message)
      const problemReply = reply as unknown as FastifyReply
      problemReply.code(400).header('x-request-id', request.id).type(PROBLEM_CONTENT_TYPE).send(problem)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // JSON only: a text/plain body is refused with 415 rather than validated as a string.
  app.removeContentTypeParser('text/plain')
  // Many clients send `content-type: application/json` on every call, bodiless commands such as
  // confirm included: an empty body is no body, not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined)
    else parseJson(request, body as string, done)
  })
  app.decorate('services', services)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(validation)
  await app.register(problemReplies)
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'POST', 'DELETE'],
    exposedHeaders: ['location', 'retry-after', 'x-request-id'],
  })
  await app.register(auth, { secret: config.jwtSecret, db: services.db })

  await app.register(healthRoutes)
  await app.register(authRoutes)
  await app.register(eventRoutes)
  await app.register(bookingRoutes)
  await app.register(holdRoutes)
  await app.register(requestRoutes)
  return app
}
