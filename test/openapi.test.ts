import diagnostics from 'node:diagnostics_channel'
import { createRequire } from 'node:module'
import type { FastifyInstance, RouteOptions } from 'fastify'
import t, { type Test } from 'tap'
import { type CallOptions, call as httpCall, poll, type Reply } from './helpers/api.ts'
import { openSse, type SseMessage } from './helpers/sse-client.ts'
import { startStack } from './helpers/stack.ts'
import { startApp } from './harness/app.ts'

/**
 * The document at /docs/json against the gateway itself: every route it serves is in it, and
 * real replies (the gateway's own in-process; the worker's from a small stack) match the
 * schema it gives for their status and media type.
 */

interface Validate { (data: unknown): boolean, errors?: unknown[] | null }
interface Ajv {
  addSchema (schema: object, key?: string): Ajv
  compile (schema: object): Validate
  errorsText (errors?: unknown[] | null): string
}

// The gateway's ajv (v8, with 2020-12): the `ajv` at the root of node_modules is eslint's ajv 6.
const gatewayRequire = createRequire(new URL('../apps/gateway/package.json', import.meta.url))
const { Ajv2020 } = gatewayRequire('ajv/dist/2020.js') as { Ajv2020: new (options: object) => Ajv }
const addFormats = gatewayRequire('ajv-formats') as { default: (ajv: Ajv) => void }

type Json = Record<string, any>
type Call = (method: string, path: string, options?: CallOptions) => Promise<Reply>

const DOC_ID = 'https://seatline.test/openapi.json'
const ZERO = '00000000-0000-4000-8000-000000000000'
// The Server-Sent Events routes, and the messages each sends (by `event:` name).
const STREAMS: Record<string, string[]> = {
  'GET /v1/events/{eventId}/stream': ['seats', 'sections', 'counts', 'reset'],
  'GET /v1/queue/{ticketId}/stream': ['ticket'],
}
const EVENT_STREAM = 'text/event-stream'
// Prometheus text and event streams: documented, but there is no JSON to give a schema for.
const NOT_JSON = new Set(['GET /metrics', ...Object.keys(STREAMS)])

const methodsOf = (route: RouteOptions) => [route.method].flat()
const templateOf = (url: string) => url.replace(/:(\w+)/g, '{$1}')
const mediaType = (reply: Reply) => reply.headers.get('content-type')?.split(';')[0]?.trim() ?? ''

// Every route as it is added, HEAD and OPTIONS (made by Fastify and CORS) left out.
// The harness builds the app itself: the hook goes in where Fastify hands a new instance to
// instrumentation, before any plugin.
const served: string[] = []
function collect ({ fastify }: { fastify: FastifyInstance }) {
  fastify.addHook('onRoute', (route) => {
    // The UI's own, and the pages (hidden on purpose: they are not part of the API).
    if (route.url.startsWith('/docs') || (route.schema as { hide?: boolean } | undefined)?.hide) return
    for (const method of methodsOf(route)) {
      if (method !== 'HEAD' && method !== 'OPTIONS') served.push(`${method} ${route.url}`)
    }
  })
}
diagnostics.subscribe('fastify.initialization', collect as (message: unknown) => void)
// Load shedding would measure this whole process (tap, ajv, the stack's clients), not a gateway.
const gateway = await startApp()
diagnostics.unsubscribe('fastify.initialization', collect as (message: unknown) => void)
t.teardown(() => gateway.close())

const docReply = await gateway.call('GET', '/docs/json')
const doc: Json = docReply.body
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)
// The whole document, so that `#/components/...` references resolve as they are written.
ajv.addSchema({ ...doc, $id: DOC_ID })

function operationOf (method: string, template: string): Json | undefined {
  return doc.paths?.[template]?.[method.toLowerCase()]
}

function pointer (...segments: string[]): string {
  return segments.map((s) => '/' + encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('')
}

/** The response the document gives for a status: its own code, else `4XX` and the like. */
function documentedResponse (operation: Json, status: number): [string, Json] | undefined {
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => operation.responses?.[k])
  return key ? [key, operation.responses[key]] : undefined
}

/** Fails the test unless the reply is one the document describes, body and media type. */
function conforms (t: Test, label: string, method: string, template: string, reply: Reply) {
  const operation = operationOf(method, template)
  if (!t.ok(operation, `${label}: ${method} ${template} is documented`)) return
  const found = documentedResponse(operation!, reply.status)
  if (!t.ok(found, `${label}: status ${reply.status} is documented`)) return
  const [key, response] = found!
  if (reply.body === undefined) {
    t.notOk(response.content, `${label}: documented without a body, as it came`)
    return
  }
  const type = mediaType(reply)
  if (!t.ok(response.content?.[type]?.schema, `${label}: ${key} is documented as ${type}`)) return
  const validate = ajv.compile({ $ref: DOC_ID + '#' + pointer('paths', template, method.toLowerCase(), 'responses', key, 'content', type, 'schema') })
  t.ok(validate(reply.body), `${label}: the ${reply.status} body matches the documented ${key} schema`, {
    errors: ajv.errorsText(validate.errors),
    body: reply.body,
  })
}

/** Fails the test unless a stream's message is one its documented 200 describes. */
function messageConforms (t: Test, template: string, message: SseMessage) {
  const validate = ajv.compile({ $ref: DOC_ID + '#' + pointer('paths', template, 'get', 'responses', '200', 'content', EVENT_STREAM, 'schema') })
  const parsed = { event: message.event, ...(message.id !== undefined && { id: message.id }), data: JSON.parse(message.data) }
  t.ok(validate(parsed), `a ${message.event} message matches the documented ${EVENT_STREAM} schema`, { errors: ajv.errorsText(validate.errors), sent: parsed })
}

/** Calls a route by its template, checks the status it was expected to answer and the reply. */
function checker (t: Test, call: Call) {
  return async (label: string, method: string, template: string, status: number,
    options: CallOptions & { params?: Record<string, string>, query?: string } = {}) => {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''))
    const reply = await call(method, path + (options.query ? `?${options.query}` : ''), options)
    t.equal(reply.status, status, `${label}: answers ${status}`, { body: reply.body })
    conforms(t, label, method, template, reply)
    return reply
  }
}

t.test('the document is OpenAPI 3.1 and has every route the gateway serves', async (t) => {
  t.equal(docReply.status, 200)
  t.match(docReply.headers.get('content-type'), /^application\/json/)
  t.equal(doc.openapi, '3.1.0')
  t.equal(doc.info?.title, 'Seatline')
  t.match(doc.components?.securitySchemes?.bearerAuth, { type: 'http', scheme: 'bearer' })

  t.ok(served.length >= 15, `the routes were collected (${served.length})`)
  const documented = Object.entries<Json>(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`))
  t.same([...documented].sort(), served.map((s) => templateOf(s)).sort(), 'the same operations: none missing, none made up')
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'the docs routes are hidden')

  for (const entry of documented) {
    const [method, path] = entry.split(' ') as [string, string]
    const operation = operationOf(method, path)!
    t.ok(operation.tags?.length, `${entry}: tagged`)
    t.ok(operation.summary, `${entry}: has a summary`)
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
    t.same(operation.parameters?.filter((p: Json) => p.in === 'path').map((p: Json) => p.name).sort() ?? [], params.sort(), `${entry}: its path parameters`)
    if (NOT_JSON.has(entry)) continue
    const ok = Object.entries<Json>(operation.responses).filter(([status, r]) => /^2/.test(status) && r.content?.['application/json']?.schema)
    t.ok(ok.length > 0 || (operation.responses['204'] && !operation.responses['204'].content), `${entry}: a 2xx reply with a schema, or a 204 without a body`)
    t.ok(operation.responses['4XX']?.content?.['application/problem+json']?.schema, `${entry}: 4xx problem+json replies`)
    t.ok(operation.responses['5XX']?.content?.['application/problem+json']?.schema, `${entry}: 5xx problem+json replies`)
  }
})

t.test('the event streams are documented as text/event-stream, naming each message', async (t) => {
  for (const [entry, names] of Object.entries(STREAMS)) {
    const [method, path] = entry.split(' ') as [string, string]
    const ok: Json | undefined = operationOf(method, path)?.responses?.['200']
    t.same(Object.keys(ok?.content ?? {}), [EVENT_STREAM], `${entry}: its 200 is ${EVENT_STREAM}`)
    t.ok(ok?.description, `${entry}: and described`)
    // A message is named by its `event`, a constant (swagger writes a one-value enum for it).
    const messages: Json[] = ok?.content?.[EVENT_STREAM]?.schema?.oneOf ?? []
    const named = messages.map((m) => m.properties?.event?.const ?? m.properties?.event?.enum?.[0])
    t.same([...named].sort(), [...names].sort(), `${entry}: its schema names every message: ${names.join(', ')}`)
    t.ok(messages.every((m) => m.required?.includes('data') && m.properties?.data?.type === 'object'), `${entry}: each with the schema of its data`)
  }
})

t.test('the routes that refuse a request without a token are the ones documented as needing one', async (t) => {
  for (const entry of served) {
    const [method, url] = entry.split(' ') as [string, string]
    const reply = await gateway.call(method, url.replace(/:\w+/g, ZERO))
    const secured = reply.status === 401 && reply.body?.code === 'UNAUTHENTICATED'
    // A token is needed when every alternative names one; `{}` among them makes it optional.
    const security: Json[] | undefined = operationOf(method, templateOf(url))?.security
    const needsToken = Boolean(security?.length) && security!.every((s) => 'bearerAuth' in s)
    t.equal(needsToken, secured, `${entry}: ${secured ? 'needs a token' : 'open'}, as documented`)
  }
})

t.test('Swagger UI is served at /docs, outside auth, with its assets', async (t) => {
  const page = await gateway.call('GET', '/docs')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
  t.ok(assets.some((a) => a.endsWith('swagger-initializer.js')), 'the page loads the initializer')
  for (const asset of assets) {
    const res = await gateway.app.inject({ method: 'GET', url: asset })
    t.equal(res.statusCode, 200, `${asset} is served`)
  }
  const initializer = await gateway.call('GET', '/docs/static/swagger-initializer.js')
  t.match(initializer.body, /resolveUrl\('\.\/json'\)/, 'the UI reads the document beside it')
  t.equal((await gateway.call('GET', '/docs/static/index.html')).status, 302, 'the old index path redirects to the page')

  const unknown = await gateway.call('GET', '/docs/xyz')
  t.equal(unknown.status, 404)
  t.match(unknown.headers.get('content-type'), /^application\/problem\+json/)
  t.equal(unknown.body.code, 'ROUTE_NOT_FOUND')
})

t.test('what the gateway answers alone matches the document', async (t) => {
  const check = checker(t, gateway.call)
  const email = `openapi-${process.pid}-${Date.now()}@example.com`
  const credentials = { email, password: 'correct horse battery' }

  await check('liveness', 'GET', '/health', 200)
  await check('readiness', 'GET', '/ready', 200)
  await check('sign up', 'POST', '/v1/auth/signup', 201, { body: credentials })
  await check('sign up twice', 'POST', '/v1/auth/signup', 409, { body: credentials })
  await check('sign up with a bad body', 'POST', '/v1/auth/signup', 400, { body: { email } })
  await check('log in', 'POST', '/v1/auth/login', 200, { body: credentials })
  await check('log in with a wrong password', 'POST', '/v1/auth/login', 401, { body: { email, password: 'not the password' } })
  const { body: { token: spent } } = await check('log in again', 'POST', '/v1/auth/login', 200, { body: credentials })
  await check('sign out everywhere', 'POST', '/v1/auth/sign-out-everywhere', 204, { token: spent })
  await check('sign out everywhere with a revoked token', 'POST', '/v1/auth/sign-out-everywhere', 401, { token: spent })
  const { body: { token } } = await check('log in after signing out', 'POST', '/v1/auth/login', 200, { body: credentials })

  const eventBody = { name: 'OpenAPI night', startsAt: '2030-01-01T20:00:00Z', seats: ['A1', 'A2', 'A3'], sections: [{ name: 'Floor', capacity: 10, priceCents: 2500 }] }
  await check('create an event without a token', 'POST', '/v1/events', 401, { body: eventBody })
  await check('create an event with a bad body', 'POST', '/v1/events', 400, { token, body: { name: 'No seats', seats: 'A1' } })
  const { body: event } = await check('create an event', 'POST', '/v1/events', 201, { token, body: eventBody })
  const eventId: string = event.id

  await check('list events', 'GET', '/v1/events', 200, { query: 'limit=1' })
  await check('list events with a bad limit', 'GET', '/v1/events', 400, { query: 'limit=ten' })
  await check('read the event', 'GET', '/v1/events/{eventId}', 200, { params: { eventId } })
  await check('read an unknown event', 'GET', '/v1/events/{eventId}', 404, { params: { eventId: ZERO } })
  await check('read a malformed event id', 'GET', '/v1/events/{eventId}', 404, { params: { eventId: 'not-a-uuid' } })
  await check('list seats', 'GET', '/v1/events/{eventId}/seats', 200, { params: { eventId }, query: 'limit=2' })
  await check('list seats of an unknown event', 'GET', '/v1/events/{eventId}/seats', 404, { params: { eventId: ZERO } })

  // No worker here: asked to answer at once, a command is queued and answered with 202.
  const async = { prefer: 'respond-async' }
  const { body: pending } = await check('book, asynchronously', 'POST', '/v1/events/{eventId}/bookings', 202, { token, params: { eventId }, body: { seatIds: ['A1'] }, headers: async })
  await check('poll the request', 'GET', '/v1/requests/{requestId}', 200, { token, params: { requestId: pending.requestId } })
  await check('hold, asynchronously', 'POST', '/v1/events/{eventId}/holds', 202, { token, params: { eventId }, body: { seatIds: ['A2'] }, headers: async })
  await check('book with a bad body', 'POST', '/v1/events/{eventId}/bookings', 400, { token, params: { eventId }, body: { seatIds: [] } })
  await check('book for an unknown event', 'POST', '/v1/events/{eventId}/bookings', 404, { token, params: { eventId: ZERO }, body: { seatIds: ['A1'] } })

  await check('list my bookings', 'GET', '/v1/bookings', 200, { token })
  await check('read an unknown booking', 'GET', '/v1/bookings/{bookingId}', 404, { token, params: { bookingId: ZERO } })
  await check('cancel an unknown booking', 'DELETE', '/v1/bookings/{bookingId}', 404, { token, params: { bookingId: ZERO } })
  await check('read an unknown hold', 'GET', '/v1/holds/{holdId}', 404, { token, params: { holdId: ZERO } })
  await check('confirm an unknown hold', 'POST', '/v1/holds/{holdId}/confirm', 404, { token, params: { holdId: ZERO } })
  await check('release an unknown hold', 'DELETE', '/v1/holds/{holdId}', 404, { token, params: { holdId: ZERO } })
  await check('poll an unknown request', 'GET', '/v1/requests/{requestId}', 404, { token, params: { requestId: ZERO } })
})

t.test('what the worker answers matches the document', async (t) => {
  const stack = await startStack({ workers: 1 })
  t.teardown(() => stack.stop())
  // Its gateway runs the same code: its replies are held to the document read above.
  const call: Call = (method, path, options) => httpCall(stack.url, method, path, options)
  const check = checker(t, call)

  const { body: { token } } = await check('sign up', 'POST', '/v1/auth/signup', 201, { body: { email: `openapi-${Date.now()}@example.com`, password: 'correct horse battery' } })
  const { body: event } = await check('create an event', 'POST', '/v1/events', 201, { token, body: { name: 'Sale', seats: ['A1', 'A2', 'A3', 'A4'], sections: [{ name: 'Floor', capacity: 5 }] } })
  const eventId: string = event.id
  const sectionId: string = event.sections[0].id
  // The live map, from an id this gateway never gave (a reset first), through the bookings below.
  const streamed: SseMessage[] = []
  const stream = await openSse(`${stack.url}/v1/events/${eventId}/stream`, (m) => streamed.push(m), { lastEventId: 'elsewhere.1' })
  t.teardown(() => stream.close())
  t.equal(stream.status, 200, 'the live map opens')
  t.equal(stream.headers.get('content-type')?.split(';')[0], EVENT_STREAM, `as ${EVENT_STREAM}`)

  const { body: booking } = await check('book seats', 'POST', '/v1/events/{eventId}/bookings', 201, { token, params: { eventId }, body: { seatIds: ['A1'] } })
  await check('book a section', 'POST', '/v1/events/{eventId}/bookings', 201, { token, params: { eventId }, body: { sectionId, quantity: 2 } })
  await check('book a taken seat', 'POST', '/v1/events/{eventId}/bookings', 409, { token, params: { eventId }, body: { seatIds: ['A1'] } })
  await check('book more than is left', 'POST', '/v1/events/{eventId}/bookings', 409, { token, params: { eventId }, body: { sectionId, quantity: 4 } })

  const { body: hold } = await check('hold seats', 'POST', '/v1/events/{eventId}/holds', 201, { token, params: { eventId }, body: { seatIds: ['A2'], ttlSeconds: 60 } })
  await check('read the hold', 'GET', '/v1/holds/{holdId}', 200, { token, params: { holdId: hold.holdId } })
  await check('list held seats', 'GET', '/v1/events/{eventId}/seats', 200, { params: { eventId }, query: 'status=held' })
  await check('confirm the hold', 'POST', '/v1/holds/{holdId}/confirm', 201, { token, params: { holdId: hold.holdId } })
  await check('confirm it again', 'POST', '/v1/holds/{holdId}/confirm', 409, { token, params: { holdId: hold.holdId } })

  await check('cancel a booking', 'DELETE', '/v1/bookings/{bookingId}', 200, { token, params: { bookingId: booking.bookingId } })
  await check('cancel it again', 'DELETE', '/v1/bookings/{bookingId}', 409, { token, params: { bookingId: booking.bookingId } })
  await check('read the booking', 'GET', '/v1/bookings/{bookingId}', 200, { token, params: { bookingId: booking.bookingId } })
  await check('list my bookings', 'GET', '/v1/bookings', 200, { token, query: 'status=confirmed' })
  await check('read the event', 'GET', '/v1/events/{eventId}', 200, { params: { eventId } })

  const { body: pending } = await check('book, asynchronously', 'POST', '/v1/events/{eventId}/bookings', 202, { token, params: { eventId }, body: { seatIds: ['A3'] }, headers: { prefer: 'respond-async' } })
  const done = await poll(() => call('GET', `/v1/requests/${pending.requestId}`, { token }), (r) => r.body?.status !== 'pending', 10_000)
  t.equal(done.body?.status, 'succeeded', 'the queued booking went through')
  conforms(t, 'the finished request', 'GET', '/v1/requests/{requestId}', done)

  // Released, a hold answers 204 with no body.
  const { body: spare } = await check('hold another seat', 'POST', '/v1/events/{eventId}/holds', 201, { token, params: { eventId }, body: { seatIds: ['A4'] } })
  const released = await call('DELETE', `/v1/holds/${spare.holdId}`, { token })
  t.equal(released.status, 204, 'a released hold answers 204')
  t.ok(operationOf('DELETE', '/v1/holds/{holdId}')?.responses?.['204'], 'the 204 of a release is documented')

  const kinds = STREAMS['GET /v1/events/{eventId}/stream']!
  await poll(async () => new Set(streamed.map((m) => m.event)), (seen) => kinds.every((k) => seen.has(k)), 10_000)
  t.same([...new Set(streamed.map((m) => m.event))].sort(), [...kinds].sort(), 'the live map sent every kind of message')
  for (const message of streamed) messageConforms(t, '/v1/events/{eventId}/stream', message)
})
