import { randomBytes, randomUUID } from 'node:crypto'
import t from 'tap'
import { mintToken } from '../bench/lib/tokens.ts'
import type { CallOptions } from './helpers/api.ts'
import { startApp } from './harness/app.ts'

// Every reply here is the gateway's own, so it runs in-process, with no worker.
const secret = randomBytes(32).toString('hex')
const gateway = await startApp({ env: { JWT_SECRET: secret } })
t.teardown(() => gateway.close())
const { call, db } = gateway

t.test('bad requests get a 4xx problem+json with a code, never a 500', async (t) => {
  const user = await gateway.signup()
  const event = await gateway.createEvent(user.token, { seats: ['A1', 'A2'] })
  const booking = `/v1/events/${event.id}/bookings`

  const cases: Array<[string, string, string, CallOptions, number, string]> = [
    ['missing token', 'POST', booking, { body: { seatIds: ['A1'] } }, 401, 'UNAUTHENTICATED'],
    ['forged token', 'POST', booking, { token: 'e30.e30.sig', body: { seatIds: ['A1'] } }, 401, 'UNAUTHENTICATED'],
    ['body of the wrong shape', 'POST', booking, { token: user.token, body: { seats: ['A1'] } }, 400, 'VALIDATION_FAILED'],
    ['empty seat list', 'POST', booking, { token: user.token, body: { seatIds: [] } }, 400, 'VALIDATION_FAILED'],
    ['seat id twice', 'POST', booking, { token: user.token, body: { seatIds: ['A1', 'A1'] } }, 400, 'VALIDATION_FAILED'],
    ['eleven seats', 'POST', booking, { token: user.token, body: { seatIds: Array.from({ length: 11 }, (_, i) => `S${i}`) } }, 400, 'VALIDATION_FAILED'],
    ['malformed seat id', 'POST', booking, { token: user.token, body: { seatIds: ['A 1'] } }, 400, 'VALIDATION_FAILED'],
    ['empty JSON body', 'POST', booking, { token: user.token, body: '', headers: { 'content-type': 'application/json' } }, 400, 'VALIDATION_FAILED'],
    ['unparseable JSON', 'POST', booking, { token: user.token, body: '{"seatIds":' }, 400, 'BAD_REQUEST'],
    ['text body', 'POST', booking, { token: user.token, body: 'A1', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['unknown event', 'POST', '/v1/events/00000000-0000-4000-8000-000000000000/bookings', { token: user.token, body: { seatIds: ['A1'] } }, 404, 'EVENT_NOT_FOUND'],
    ['malformed event id', 'GET', '/v1/events/not-a-uuid', {}, 404, 'EVENT_NOT_FOUND'],
    ['unknown seat map', 'GET', '/v1/events/00000000-0000-4000-8000-000000000000/seats', {}, 404, 'EVENT_NOT_FOUND'],
    ['unknown booking', 'GET', '/v1/bookings/00000000-0000-4000-8000-000000000000', { token: user.token }, 404, 'BOOKING_NOT_FOUND'],
    ['unknown request', 'GET', '/v1/requests/xyz', { token: user.token }, 404, 'REQUEST_NOT_FOUND'],
    ['unknown route', 'GET', '/v2/nothing', {}, 404, 'ROUTE_NOT_FOUND'],
    ['limit of the wrong type', 'GET', '/v1/events?limit=ten', {}, 400, 'VALIDATION_FAILED'],
    ['bad cursor', 'GET', '/v1/events?cursor=bm9wZQ', {}, 400, 'VALIDATION_FAILED'],
    ['short password', 'POST', '/v1/auth/signup', { body: { email: 'x@example.com', password: 'short' } }, 400, 'VALIDATION_FAILED'],
    ['wrong password', 'POST', '/v1/auth/login', { body: { email: user.email, password: 'not the password' } }, 401, 'INVALID_CREDENTIALS'],
    ['email taken', 'POST', '/v1/auth/signup', { body: { email: user.email, password: 'another password' } }, 409, 'EMAIL_TAKEN'],
    ['event without seats or sections', 'POST', '/v1/events', { token: user.token, body: { name: 'Empty' } }, 400, 'VALIDATION_FAILED'],
    ['event with a duplicate seat', 'POST', '/v1/events', { token: user.token, body: { name: 'Dup', seats: ['A1', 'A1'] } }, 400, 'VALIDATION_FAILED'],
    ['number where a string belongs', 'POST', '/v1/events', { token: user.token, body: { name: 42, seats: ['A1'] } }, 400, 'VALIDATION_FAILED'],
    ['NUL in a name (Postgres cannot store it)', 'POST', '/v1/events', { token: user.token, body: '{"name":"x\\u0000\\u0007","seats":["A1"]}' }, 400, 'VALIDATION_FAILED'],
    ['NUL in a nested field', 'POST', '/v1/events', { token: user.token, body: '{"name":"ok","sections":[{"name":"F\\u0000","capacity":5}]}' }, 400, 'VALIDATION_FAILED'],
    ['NUL in a seat-list cursor', 'GET', `/v1/events/${event.id}/seats?cursor=${Buffer.from('A\u0000').toString('base64url')}`, {}, 400, 'VALIDATION_FAILED'],
    ['oversized body', 'POST', '/v1/auth/login', { body: { email: 'a@b.co', password: 'x'.repeat(100_000) } }, 413, 'PAYLOAD_TOO_LARGE'],
  ]

  for (const [name, method, path, options, status, code] of cases) {
    const res = await call(method, path, options)
    t.equal(res.status, status, `${name}: status`)
    t.equal(res.body?.code, code, `${name}: code`)
    t.match(res.headers.get('content-type'), /^application\/problem\+json/, `${name}: problem+json`)
    t.equal(res.body?.status, status, `${name}: status in the body`)
    t.type(res.body?.detail, 'string', `${name}: a detail for people`)
    t.ok(res.headers.get('x-request-id'), `${name}: x-request-id`)
  }

  const invalid = await call('POST', booking, { token: user.token, body: { seatIds: ['A1'], extra: true } })
  t.equal(invalid.status, 400, 'unknown fields are refused')
  t.same(invalid.body.errors, [{ path: 'body/extra', message: 'is not allowed' }], 'errors say what was wrong, where')

  const seats = await db.selectFrom('seats').select('status').where('event_id', '=', event.id).execute()
  t.ok(seats.every((s) => s.status === 'available'), 'no bad request changed any state')
  t.equal(Number((await db.selectFrom('requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0, 'and none was queued')
})

t.test('every reply carries x-request-id, echoing a sane one', async (t) => {
  const echoed = await call('GET', '/health', { headers: { 'x-request-id': 'trace-123' } })
  t.equal(echoed.headers.get('x-request-id'), 'trace-123')
  const generated = await call('GET', '/health')
  t.match(generated.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
  const cors = await call('GET', '/health', { headers: { origin: 'https://shop.example' } })
  t.equal(cors.headers.get('access-control-allow-origin'), '*', 'CORS is on')
})

t.test('a well-signed token is refused unless its user exists, for every request of a burst', async (t) => {
  // Users straight into the database: the gateway has never seen them, so it must ask Postgres.
  const users = await db.insertInto('users')
    .values(Array.from({ length: 40 }, (_, i) => ({ email: `burst-${i}-${randomUUID()}@example.com`, password_hash: 'x' })))
    .returning('id').execute()
  const subjects = [...users.map((u) => u.id), randomUUID(), randomUUID(), 'not-a-uuid']
  const replies = await Promise.all(subjects.map((sub) => call('GET', '/v1/bookings', { token: mintToken(secret, sub) })))

  t.same(replies.slice(0, users.length).map((r) => r.status), users.map(() => 200), 'every existing user is let in')
  for (const reply of replies.slice(users.length)) {
    t.equal(reply.status, 401, 'a user that does not exist is refused')
    t.equal(reply.body.code, 'UNAUTHENTICATED')
  }
})
