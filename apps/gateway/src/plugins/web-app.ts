import { createHash } from 'node:crypto'
import { buildWebApp, PAGE_PATHS } from '@seatline/web'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const PAGE_HEADERS = {
  // The page names the hashed assets of this build: always ask whether it changed.
  'cache-control': 'no-cache',
  // The page needs nothing but this origin: its own script and styles and the API.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}
const ASSET_HEADERS = {
  // Names carry a hash of their content: a new build has new names.
  'cache-control': 'public, max-age=31536000, immutable',
  'x-content-type-options': 'nosniff',
}

/**
 * The buyer's page at `GET /`, the organiser's at `GET /organiser`, their script and styles
 * under `/app/`, built once at start (apps/web). Outside the load guards and auth, like the
 * health routes: a page a buyer is about to use must load even when booking is busy. Hidden from
 * the OpenAPI document, which is the API's. Anything else under /app/ is the usual problem 404.
 * A build that fails is logged and leaves the API serving without its pages.
 */
async function webApp (app: FastifyInstance): Promise<void> {
  let files: Awaited<ReturnType<typeof buildWebApp>>
  try {
    files = await buildWebApp()
  } catch (error) {
    app.log.error({ err: error }, 'web app build failed; the pages are not served')
    return
  }
  for (const [path, file] of files) {
    const page = PAGE_PATHS.includes(path)
    const etag = `"${createHash('sha1').update(file.body).digest('base64url').slice(0, 16)}"`
    const headers = { ...(page ? PAGE_HEADERS : ASSET_HEADERS), etag }
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      reply.headers(headers)
      if (request.headers['if-none-match'] === etag) return reply.code(304).send()
      return reply.type(file.type).send(file.body)
    })
  }
}

export default fp(webApp, { name: 'web-app' })
