import t, { type Test } from 'tap'
import { buildInternalApp } from '../apps/gateway/src/internal-app.ts'
import { call, poll, type Reply } from './helpers/api.ts'
import { freePort, startStack } from './helpers/stack.ts'
import { startApp } from './harness/app.ts'
import { startPrivateRedis } from './harness/private-redis.ts'

/**
 * INTERNAL_PORT: a gateway's operations routes (/metrics, /ready, /docs) on a listener of their
 * own, and off the public port, which keeps /health, the API and the pages. And /ready says
 * which dependency is down in fixed words, never with an error's own text (which can name an
 * internal host).
 */

const mediaType = (reply: Reply) => reply.headers.get('content-type')?.split(';')[0]?.trim()

function notFound (t: Test, reply: Reply, label: string) {
  t.equal(reply.status, 404, `${label}: 404`)
  t.equal(mediaType(reply), 'application/problem+json', `${label}: problem+json`)
  t.equal(reply.body?.code, 'ROUTE_NOT_FOUND', `${label}: ROUTE_NOT_FOUND`)
}

t.test('with INTERNAL_PORT, the operations routes are on the internal port only', async (t) => {
  const internalPort = await freePort()
  const stack = await startStack({ workers: 1, env: { INTERNAL_PORT: String(internalPort) } })
  t.teardown(() => stack.stop())
  const internal = `http://127.0.0.1:${internalPort}`

  t.test('the public port: no operations routes; /health, the API and the pages as ever', async (t) => {
    for (const path of ['/metrics', '/ready', '/docs', '/docs/json', '/docs/yaml', '/docs/static/swagger-initializer.js']) {
      notFound(t, await call(stack.url, 'GET', path), `public GET ${path}`)
    }
    const health = await call(stack.url, 'GET', '/health')
    t.equal(health.status, 200, '/health answers on the public port, for liveness probes')
    t.same(health.body, { status: 'ok' })

    const signup = await call(stack.url, 'POST', '/v1/auth/signup', { body: { email: `internal-${process.pid}-${Date.now()}@example.com`, password: 'correct horse battery' } })
    t.equal(signup.status, 201, 'sign up works')
    const token: string = signup.body.token
    const event = await call(stack.url, 'POST', '/v1/events', { token, body: { name: 'Internal night', seats: ['A1', 'A2'] } })
    t.equal(event.status, 201, 'an event is created')
    const booking = await call(stack.url, 'POST', `/v1/events/${event.body.id}/bookings`, { token, body: { seatIds: ['A1'] } })
    t.equal(booking.status, 201, 'and a seat booked, through the worker')

    const page = await call(stack.url, 'GET', '/')
    t.equal(page.status, 200, 'the pages are still served')
    t.match(page.headers.get('content-type'), /^text\/html/)
  })

  t.test('the internal port: /metrics, /ready and /docs', async (t) => {
    const metrics = await call(internal, 'GET', '/metrics')
    t.equal(metrics.status, 200, '/metrics answers')
    t.match(metrics.headers.get('content-type'), /^text\/plain/)
    t.match(metrics.body, /^seatline_http_request_duration_seconds_count\{/m, 'Prometheus text with seatline_ series')
    t.match(metrics.body, /seatline_http_request_duration_seconds_count\{[^}]*route="\/v1\/auth\/signup"[^}]*status_code="201"[^}]*\} [1-9]/, 'the public port\'s replies are recorded in the series it serves')
    t.match(metrics.body, /seatline_problems_total\{[^}]*code="ROUTE_NOT_FOUND"[^}]*\} [1-9]/, 'the public 404s were counted')
    t.match(metrics.body, /^seatline_queue_jobs\{/m, 'the queue series')

    const ready = await call(internal, 'GET', '/ready')
    t.equal(ready.status, 200, '/ready answers 200')
    t.same(ready.body, { status: 'ready' })

    const doc = await call(internal, 'GET', '/docs/json')
    t.equal(doc.status, 200, '/docs/json answers')
    t.equal(mediaType(doc), 'application/json')
    t.equal(doc.body.openapi, '3.1.0', 'an OpenAPI 3.1 document')
    t.equal(doc.body.info?.title, 'Seatline')
    t.ok(doc.body.paths?.['/v1/auth/signup']?.post, 'it describes the public API: POST /v1/auth/signup')
    t.ok(doc.body.paths?.['/v1/events/{eventId}/bookings']?.post, 'and the commands')
    t.ok(doc.body.paths?.['/health']?.get, 'and the public port\'s /health')
    t.notOk(doc.body.paths?.['/metrics'] ?? doc.body.paths?.['/ready'], 'not the internal port\'s routes: it is the public port\'s document')
    t.ok(doc.body.components?.schemas?.Problem, 'with the shared Problem schema')

    const page = await call(internal, 'GET', '/docs')
    t.equal(page.status, 200, '/docs answers')
    t.match(page.headers.get('content-type'), /^text\/html/, 'Swagger UI\'s page')
    const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    t.ok(assets.some((a) => a.endsWith('swagger-initializer.js')), 'the page loads the initializer')
    for (const asset of assets) {
      const res = await fetch(new URL(asset, `${internal}/docs/`))
      await res.arrayBuffer()
      t.equal(res.status, 200, `${asset} is served`)
    }

    notFound(t, await call(internal, 'GET', '/health'), 'internal GET /health')
    notFound(t, await call(internal, 'POST', '/v1/auth/signup', { body: { email: 'x@example.com', password: 'correct horse battery' } }), 'internal POST /v1/auth/signup')
    notFound(t, await call(internal, 'GET', '/'), 'internal GET /')
    t.equal(metrics.headers.get('x-content-type-options'), 'nosniff', 'the security headers, here too')
    t.ok(ready.headers.get('x-request-id'), 'and a request id')
  })

  t.test('SIGTERM closes both listeners and the gateway exits cleanly', async (t) => {
    const gateway = stack.gateways[0]!
    t.same(await gateway.kill('SIGTERM'), { code: 0, signal: null }, 'exit 0')
    t.notOk((await fetch(`${internal}/ready`).catch(() => undefined))?.ok, 'the internal port answers no more')
  })
})

t.test('with INTERNAL_PORT and METRICS=off, /metrics is on neither port', async (t) => {
  // The internal app on its own, in-process: METRICS=off means no /metrics anywhere.
  const gateway = await startApp({ env: { METRICS: 'off', INTERNAL_PORT: String(await freePort()) } })
  t.teardown(() => gateway.close())
  notFound(t, await gateway.call('GET', '/ready'), 'public GET /ready')
  const internal = await buildInternalApp({ config: gateway.config, services: gateway.app.services, document: gateway.app.swagger(), logger: false })
  t.teardown(() => internal.close())
  const metrics = await internal.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 404, 'METRICS=off: the internal port has no /metrics either')
  t.equal((await internal.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'but /ready')
  t.equal((await internal.inject({ method: 'GET', url: '/docs/json' })).json().openapi, '3.1.0', 'and /docs')
})

t.test('/ready names the dependency that is down, never the error\'s text', async (t) => {
  t.test('Redis down', async (t) => {
    const redis = await startPrivateRedis()
    t.teardown(() => redis.stop())
    const gateway = await startApp({ env: { REDIS_URL: redis.url } })
    t.teardown(async () => {
      // Back up and reconnected, so the services close as they would: closing them while their
      // connections are still down or reconnecting waits for ever.
      if (!redis.running) await redis.start()
      await poll(() => gateway.call('GET', '/ready'), (r) => r.status === 200, 15_000)
      await gateway.close()
    })
    t.equal((await gateway.call('GET', '/ready')).status, 200, 'ready while Redis answers')

    await redis.kill()
    const ready = await gateway.call('GET', '/ready')
    t.equal(ready.status, 503)
    t.equal(ready.body.code, 'UNAVAILABLE')
    t.equal(ready.headers.get('retry-after'), '1')
    t.equal(ready.body.detail, 'not ready: redis cannot be reached', 'which dependency, in fixed words')
    const text = JSON.stringify(ready.body)
    t.notMatch(text, /ECONNREFUSED|writeable|offline|127\.0\.0\.1/, 'nothing of the error itself')
    t.notMatch(text, new RegExp(String(redis.port)), 'not the port')
  })

  t.test('Postgres down', async (t) => {
    const closedPort = await freePort()
    const gateway = await startApp({ env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/seatline_internal_port` } })
    t.teardown(() => gateway.close())
    const ready = await gateway.call('GET', '/ready')
    t.equal(ready.status, 503)
    t.equal(ready.body.code, 'UNAVAILABLE')
    t.equal(ready.body.detail, 'not ready: postgres cannot be reached', 'which dependency, in fixed words')
    const text = JSON.stringify(ready.body)
    t.notMatch(text, /ECONNREFUSED|connect|127\.0\.0\.1/, 'not the error: "connect ECONNREFUSED 127.0.0.1:…"')
    t.notMatch(text, new RegExp(String(closedPort)), 'not the port')
  })
})
