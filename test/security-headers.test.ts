import t from 'tap'
import { startApp } from './harness/app.ts'

const API_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
}

t.test('every API answer carries the headers an API should: success, problem, unknown route, rate-limited', async (t) => {
  const gateway = await startApp({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' } })
  t.teardown(() => gateway.close())
  const user = await gateway.signup()
  const answers = {
    'a read': await gateway.call('GET', '/v1/bookings', { token: user.token }),
    'a 401': await gateway.call('GET', '/v1/bookings'),
    'a 404 route': await gateway.call('GET', '/v1/nothing-here'),
    'a 400': await gateway.call('POST', '/v1/events', { token: user.token, body: { name: '' } }),
    health: await gateway.call('GET', '/health'),
  }
  let limited = await gateway.call('GET', '/v1/events')
  while (limited.status !== 429) limited = await gateway.call('GET', '/v1/events')
  for (const [what, reply] of Object.entries({ ...answers, 'a 429': limited })) {
    for (const [name, value] of Object.entries(API_HEADERS)) t.equal(reply.headers.get(name), value, `${what} (${reply.status}): ${name}`)
    t.match(reply.headers.get('strict-transport-security'), /^max-age=\d{7,}/, `${what}: HSTS, for when TLS ends at the proxy`)
  }
})

t.test('the pages and the API docs keep CSPs of their own, which let their scripts run and nobody frame them', async (t) => {
  const gateway = await startApp()
  t.teardown(() => gateway.close())
  const page = await gateway.call('GET', '/')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/, "the buyer's page runs its own script")
  t.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/)
  t.equal(page.headers.get('cache-control'), 'no-cache', 'and is revalidated, not stored nowhere')
  const docs = await gateway.call('GET', '/docs')
  t.equal(docs.status, 200)
  const csp = docs.headers.get('content-security-policy') ?? ''
  t.match(csp, /script-src 'self'/, 'Swagger UI runs its scripts from this origin only')
  t.match(csp, /frame-ancestors 'none'/, 'and cannot be framed')
  t.notMatch(csp, /unsafe-eval/)
})

t.test('CORS: any origin by default (tokens are headers, not cookies); a list when CORS_ORIGINS says so', async (t) => {
  const open = await startApp()
  t.teardown(() => open.close())
  const preflight = async (app: typeof open, origin: string) => app.app.inject({
    method: 'OPTIONS',
    url: '/v1/events/00000000-0000-0000-0000-000000000000',
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
  })
  const anyOrigin = await preflight(open, 'https://elsewhere.example')
  t.equal(anyOrigin.headers['access-control-allow-origin'], '*')
  t.match(String(anyOrigin.headers['access-control-allow-methods']), /PATCH/, "PATCH is allowed: the organiser's sale settings")
  t.notOk(anyOrigin.headers['access-control-allow-credentials'], 'never with credentials')

  const closed = await startApp({ env: { CORS_ORIGINS: 'https://tickets.example, https://box-office.example:8443' } })
  t.teardown(() => closed.close())
  const allowed = await preflight(closed, 'https://box-office.example:8443')
  t.equal(allowed.headers['access-control-allow-origin'], 'https://box-office.example:8443', 'a listed origin is allowed')
  t.match(String(allowed.headers.vary), /origin/i, 'and the answer varies by origin, so no cache hands it to another')
  const refused = await preflight(closed, 'https://phish.example')
  t.notOk(refused.headers['access-control-allow-origin'], 'another origin is not')
  const read = await closed.app.inject({ method: 'GET', url: '/v1/events', headers: { origin: 'https://tickets.example' } })
  t.equal(read.headers['access-control-allow-origin'], 'https://tickets.example')
  t.match(String(read.headers['access-control-expose-headers']), /retry-after/i, 'Retry-After and Location are readable by the page')
})
