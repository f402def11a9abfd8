import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** A queue ticket's id is all its stream needs: a credential, kept out of the logs. */
const TICKET_IN_PATH = /^\/v1\/queue\/[^/?]+/
const loggable = (url: string) => url.startsWith('/v1/queue/') ? url.replace(TICKET_IN_PATH, '/v1/queue/<ticket>') : url

/**
 * One line per request, when its reply is sent, instead of Fastify's two (arrival and reply):
 * half the log volume in a sale, and the line holds everything a search needs (its `reqId`, also
 * on the worker's line for the job that ran its command).
 */
async function accessLog (app: FastifyInstance): Promise<void> {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      url: loggable(request.url),
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(reply.problemCode && { problem: reply.problemCode }),
      ...(request.userId && { userId: request.userId }),
    }, 'request')
  })
}

export default fp(accessLog, { name: 'access-log' })
