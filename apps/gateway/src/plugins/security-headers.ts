import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The headers a security scanner (or @fastify/helmet) would ask of every response, as they apply
 * to an API: nothing here is meant to be rendered, framed, sniffed or cached. Routes that serve
 * something else set their own over these: the pages and the API docs their CSP and caching, the
 * streams their cache-control. HSTS is only honoured over HTTPS, which the proxy in front ends.
 */
const API_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
}

async function securityHeaders (app: FastifyInstance): Promise<void> {
  // A callback hook, not an async one: every request of a sale passes here, and needs no promise.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(API_HEADERS)
    done()
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
