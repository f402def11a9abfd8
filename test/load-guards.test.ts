import t from 'tap'
import { startApp } from './harness/app.ts'

t.test('a user past the rate limit gets 429 RATE_LIMITED with Retry-After; others do not', async (t) => {
  const gateway = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5' } })
  t.teardown(() => gateway.close())
  const [ada, bob] = [await gateway.signup(), await gateway.signup()]

  const adas = []
  for (let i = 0; i < 4; i++) adas.push(await gateway.call('GET', '/v1/bookings', { token: ada.token }))
  t.same(adas.map((r) => r.status), [200, 200, 200, 429], 'the fourth request in a minute is refused')
  const limited = adas[3]!
  t.equal(limited.body.code, 'RATE_LIMITED')
  t.match(limited.headers.get('content-type'), /^application\/problem\+json/)
  const retryAfter = Number(limited.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds (got ${retryAfter})`)
  t.equal((await gateway.call('GET', '/v1/bookings', { token: bob.token })).status, 200, "another user's requests are their own")
  t.equal((await gateway.call('GET', '/health')).status, 200, 'liveness is never limited')

  // Public routes count per client address (the two signups used two of its five).
  const anonymous = []
  for (let i = 0; i < 4; i++) anonymous.push((await gateway.call('GET', '/v1/events')).status)
  t.same(anonymous, [200, 200, 200, 429], 'public routes are limited per address')
})

t.test('a partition past QUEUE_MAX_WAITING refuses new commands at once with 503 OVERLOADED', async (t) => {
  // No worker in-process: the first command's job stays in flight and the rest wait in line.
  const gateway = await startApp({ env: { QUEUE_MAX_WAITING: '3', QUEUE_PARTITIONS: '1', BOOKING_WAIT_MS: '1500', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' } })
  t.teardown(() => gateway.close())
  const user = await gateway.signup()
  const seats = Array.from({ length: 8 }, (_, i) => `S${i + 1}`)
  const event = await gateway.createEvent(user.token, { seats })
  const replies = await Promise.all(seats.map((seat) => gateway.call('POST', `/v1/events/${event.id}/bookings`, { token: user.token, body: { seatIds: [seat] } })))
  const overloaded = replies.filter((r) => r.status === 503)
  t.ok(overloaded.length >= 3, `some commands are refused (${overloaded.length} of ${replies.length})`)
  t.ok(overloaded.every((r) => r.body.code === 'OVERLOADED' && Number(r.headers.get('retry-after')) >= 1), 'as 503 OVERLOADED with Retry-After')
  t.ok(replies.every((r) => r.status === 503 || r.status === 202), 'the others are accepted and answered 202 when no worker answers')
  const recorded = await gateway.db.selectFrom('requests').select('id').execute()
  t.equal(recorded.length, replies.length - overloaded.length, 'a refused command left no record: nothing was half-done')
})
