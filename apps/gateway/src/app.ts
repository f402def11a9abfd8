import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { type Config, createLogger } from '@seatline/config'
import { makeProblem, PROBLEM_CONTENT_TYPE } from '@seatline/contracts'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import { nulPath } from './lib/nul-strings.ts'
import { validationFailed } from './lib/problem-error.ts'
import accessLog from './plugins/access-log.ts'
import auth from './plugins/auth.ts'
import loadGuards from './plugins/load-guards.ts'
import metrics from './plugins/metrics.ts'
import openapi from './plugins/openapi.ts'
import problemReplies from './plugins/problem-replies.ts'
import securityHeaders from './plugins/security-headers.ts'
import validation from './plugins/validation.ts'
import webApp from './plugins/web-app.ts'
import authenticatedRoutes from './routes/authenticated/index.ts'
import authRoutes from './routes/public/auth.ts'
import eventStream from './routes/public/event-stream.ts'
import queueStream from './routes/public/queue-stream.ts'
import eventReads from './routes/public/events.ts'
import healthRoutes from './routes/public/health.ts'
import type { Services } from './services.ts'

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/

export interface Logging {
  /** Fastify's logger option (`false` in tests); unset, the gateway's own logger. */
  logger?: FastifyServerOptions['logger']
  /** A logger to share (the internal listener writes through the public one's). */
  loggerInstance?: FastifyBaseLogger
}

export interface AppOptions extends Logging {
  config: Config
  services: Services
  /**
   * Serve the operations routes (`/metrics`, `/ready`, `/docs`) here too. Unset, they are served
   * unless `config.internalPort` is set: then the internal app (internal-app.ts) serves them, and
   * this app keeps `/health`, the API and the pages.
   */
  operations?: boolean
}

/** What both of a gateway's listeners (public and internal) are made with. */
export function serverOptions (config: Config, { logger, loggerInstance }: Logging): FastifyServerOptions {
  return {
    ...(logger === undefined ? { loggerInstance: loggerInstance ?? createLogger(config, 'gateway') as FastifyBaseLogger } : { logger }),
    // The access-log plugin writes the one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // A request on a kept-alive socket while closing is still answered (the drain bounds it),
    // not refused with a bare 503 that is no problem+json.
    return503OnClosing: false,
    // Echo a caller's id when it is sane, so their logs and ours line up; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    frameworkErrors: (error, request, reply) => {
      const problem = makeProblem('BAD_REQUEST', error.message.slice(0, 200))
      const problemReply = reply as unknown as FastifyReply
      problemReply.code(400).header('x-request-id', request.id).type(PROBLEM_CONTENT_TYPE).send(problem)
    },
  }
}

/** The gateway as a Fastify instance, ready to listen or to be injected into. */
export async function buildApp ({ config, services, logger, loggerInstance, operations = config.internalPort === 0 }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...serverOptions(config, { logger, loggerInstance }),
    bodyLimit: 64 * 1024,
    // An over-long id is an unknown id (404 from its route), not a router error; the URL's
    // length is bounded by Node's header size anyway.
    routerOptions: { maxParamLength: 16_384 },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // JSON only: a text/plain body is refused with 415 rather than validated as a string.
  app.removeContentTypeParser('text/plain')
  // Many clients send `content-type: application/json` on every call, bodiless commands such as
  // confirm included: an empty body is no body, not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined)
    parseJson(request, body as string, (error, parsed) => {
      // Only an escaped NUL can reach a string: JSON refuses a raw one. Look only then.
      const path = !error && (body as string).includes('\\u0000') ? nulPath(parsed) : undefined
      if (path) return done(validationFailed([{ path, message: 'must not contain the NUL character' }]), undefined)
      done(error, parsed)
    })
  })
  app.decorate('services', services)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(validation)
  await app.register(problemReplies)
  await app.register(securityHeaders)
  await app.register(cors, {
    origin: config.corsOrigins,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    exposedHeaders: ['location', 'retry-after', 'x-request-id'],
    // An OPTIONS request that is no preflight is answered, not refused in plain text.
    strictPreflight: false,
  })
  await app.register(auth, { secret: config.jwtSecret, previousSecret: config.jwtPreviousSecret, db: services.db })
  // Before every route, so the document sees them all; outside the load guards and auth. Without
  // the operations routes, the document is still made here (`app.swagger()`) and the internal
  // app serves it.
  await app.register(openapi, { ui: operations })

  // Liveness and metrics stay outside the load guards: a busy gateway is still alive, and
  // busy is when its metrics matter most. Without the operations routes, this app's replies
  // are still recorded, for the internal app's /metrics.
  await app.register(accessLog)
  if (config.metrics) await app.register(metrics, { ...services.metrics, serve: operations })
  await app.register(healthRoutes, { ready: operations })
  // The pages (GET /, /organiser, /app/*): outside the load guards and auth, like health.
  await app.register(webApp)
  await app.register(async (api) => {
    await api.register(loadGuards, { config, redis: services.rateLimitRedis })
    await api.register(authRoutes)
    await api.register(eventReads)
    await api.register(eventStream)
    await api.register(queueStream)
    await api.register(authenticatedRoutes)
  })
  return app
}
