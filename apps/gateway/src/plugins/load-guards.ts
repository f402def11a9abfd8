import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { Config } from '@seatline/config'
import type { RedisClient } from '@seatline/queue'
import { makeProblem } from '@seatline/contracts'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../lib/problem-error.ts'

/** The routes that hash a password. */
const HASHING_ROUTES = new Set(['/v1/auth/signup', '/v1/auth/login'])

export interface LoadGuardsOptions {
  config: Config
  redis: RedisClient
}

/**
 * What keeps a gateway answering when more arrives than it can take (the partitions' depth
 * limit lives with the queue): a per-user rate limit kept in Redis, so it holds across gateways,
 * and shedding when the event loop lags or the heap fills. Each answers at once, with
 * problem+json and Retry-After; 0 turns a guard off.
 */
async function loadGuards (app: FastifyInstance, { config, redis }: LoadGuardsOptions): Promise<void> {
  if (config.maxEventLoopDelayMs > 0 || config.maxHeapUsedMb > 0) {
    // Which guard sheds, in the log: at most a line a second, however many requests are shed.
    let loggedAt = 0
    await app.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      maxHeapUsedBytes: config.maxHeapUsedMb * 1024 * 1024,
      pressureHandler: (request, reply, type, value) => {
        if (Date.now() - loggedAt >= 1_000) {
          loggedAt = Date.now()
          request.log.warn({ guard: type, value: Math.round(Number(value)) }, 'shedding requests: the gateway is under pressure')
        }
        reply.problem(makeProblem('OVERLOADED', `the gateway is overloaded (${type} at ${Math.round(Number(value))}); try again shortly`), { 'retry-after': '1' })
      },
    })
  }
  if (config.rateLimitPerMinute > 0 || config.rateLimitAnonymousPerMinute > 0 || config.authRateLimitPerMinute > 0) {
    const unlimited = Number.MAX_SAFE_INTEGER
    // Signing up and logging in cost a password hash each: their own, lower limit per address
    // (each route counted on its own), set on the routes before the rate limit sees them.
    if (config.authRateLimitPerMinute > 0) {
      app.addHook('onRoute', (route) => {
        if (!HASHING_ROUTES.has(route.url)) return
        route.config = { ...route.config, rateLimit: { max: config.authRateLimitPerMinute, keyGenerator: (request) => `ip:${request.ip}` } }
      })
    }
    await app.register(rateLimit, {
      // After authentication (an onRequest hook), so a signed-in user is counted as that user.
      hook: 'preHandler',
      redis,
      nameSpace: `${config.queuePrefix}:rate:`,
      timeWindow: 60_000,
      keyGenerator: (request) => request.userId ? `user:${request.userId}` : `ip:${request.ip}`,
      max: (request) => (request.userId ? config.rateLimitPerMinute : config.rateLimitAnonymousPerMinute) || unlimited,
      // Redis away: let the request through; the command path answers 503 on its own.
      skipOnError: true,
      addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
      addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
      errorResponseBuilder: (_request, context) => new ProblemError('RATE_LIMITED', `more than ${context.max} requests a minute; try again in ${context.after}`,
        {}, { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) }),
    })
  }
}

export default fp(loadGuards, { name: 'load-guards' })
