import swagger, { type StaticDocumentSpec, type SwaggerOptions } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { PROBLEM_CONTENT_TYPE } from '@seatline/contracts'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

type Json = Record<string, any>

const PROBLEM_REF = '#/components/schemas/Problem'

const DESCRIPTIONS: Record<string, string> = {
  202: 'Not answered within the wait (or asked for with `Prefer: respond-async`): poll the request named in `Location`.',
  '4XX': 'Refused: a problem (RFC 9457) whose `code` says why. Most routes may also answer 429 RATE_LIMITED, and one that needs a token 401 UNAUTHENTICATED.',
  '5XX': 'Not answered: a problem whose `code` says why (UNAVAILABLE, OVERLOADED, INTERNAL); try again after `Retry-After`.',
}

/**
 * What the route schemas cannot say by themselves: problem replies go out as
 * application/problem+json (the routes declare them plainly, so that Fastify serializes them
 * whatever the media type), as one shared Problem schema rather than a copy per reply; and a
 * parameter with a default is optional, since validation fills the default in.
 */
function finish (document: Json): Json {
  let problem: Json | undefined
  for (const operations of Object.values<Json>(document.paths ?? {})) {
    for (const operation of Object.values<Json>(operations)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.default !== undefined) parameter.required = false
      }
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
        if (DESCRIPTIONS[status] && response.description === 'Default Response') response.description = DESCRIPTIONS[status]
        const schema = response.content?.['application/json']?.schema
        if (!/^[45]/.test(status) || !schema) continue
        problem ??= schema
        const shared = JSON.stringify(schema) === JSON.stringify(problem)
        response.content = { [PROBLEM_CONTENT_TYPE]: { schema: shared ? { $ref: PROBLEM_REF } : schema } }
      }
    }
  }
  if (problem) document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: problem } }
  return document
}

/** The document as the routes of the instance it is registered on describe it (a fresh object: swagger writes to its options). */
const dynamic = (): SwaggerOptions => ({
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Seatline',
      version: '1',
      description: 'Seat booking that never sells a seat twice and answers every buyer, even in a flash sale. ' +
        `Every error is ${PROBLEM_CONTENT_TYPE} with a stable \`code\`.`,
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The token from signup or login.' },
      },
    },
    tags: [
      { name: 'identity', description: 'Sign up and log in for a bearer token' },
      { name: 'events', description: 'Events, their sections and seat maps' },
      {
        name: 'commands',
        description: 'Bookings, holds and cancellations go through a queue: the reply is the outcome if it comes within the wait, ' +
          'else 202 and a request to poll (at once with `Prefer: respond-async`). An `Idempotency-Key` header makes a retry safe ' +
          '(422 IDEMPOTENCY_KEY_REUSED if the key came with another request); 503 OVERLOADED when too many commands wait for the same seats.',
      },
      { name: 'bookings', description: 'A buyer\'s bookings' },
      { name: 'holds', description: 'A buyer\'s holds' },
      { name: 'queue', description: 'An event\'s waiting room: join, read and follow one\'s place; admission lets one hold and book for a while' },
      { name: 'sales', description: 'An organiser\'s controls and views of their event: the sale window, buyer limit and pause, the sales report, the bookings with buyers\' emails' },
      { name: 'operations', description: 'Liveness, readiness and metrics' },
    ],
  },
  transformObject: (document) => 'openapiObject' in document ? finish(document.openapiObject) : document.swaggerObject,
})

export interface OpenapiOptions {
  /**
   * Serve the document and Swagger UI under `/docs`; on unless told. Off, the document is still
   * made (`app.swagger()`), for a gateway's internal port to serve.
   */
  ui?: boolean
  /**
   * Serve this document, made by another instance (the public app of the same gateway), instead
   * of one made from this instance's routes.
   */
  document?: object
}

/**
 * The OpenAPI 3.1 document, made from the schemas the routes declare (`GET /docs/json`), and
 * Swagger UI over it (`GET /docs`). Register before any route: swagger sees only the routes
 * added after it.
 */
async function openapi (app: FastifyInstance, { ui = true, document }: OpenapiOptions): Promise<void> {
  if (document) {
    await app.register(swagger, { mode: 'static', specification: { document: document as StaticDocumentSpec['document'] } })
  } else {
    await app.register(swagger, dynamic())
  }
  if (!ui) return
  // Its own routes are hidden from the document. Its page sets a CSP of its own, over the API's
  // (which allows nothing to run): its scripts by hash, nothing from elsewhere, no framing.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: (csp) => csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'") })
}

export default fp(openapi, { name: 'openapi' })
