import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { call, createEvent, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('holds on one seat are answered in the order they were sent', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const users = await signupMany(stack.url, 10)

  // Warm the hold path up first, so a cold first request cannot be overtaken by the next one.
  const warmup = await createEvent(stack.url, users[0]!.token, { seats: ['W1'] })
  const warm = await call(stack.url, 'POST', `/v1/events/${warmup.id}/holds`, { token: users[0]!.token, body: { seatIds: ['W1'] } })
  t.equal(warm.status, 201, 'warm-up hold')

  for (const seat of ['A1', 'B7', 'C12']) {
    const event = await createEvent(stack.url, users[0]!.token, { seats: ['A1', 'B7', 'C12', 'D1'] })
    const replies = await Promise.all(users.map(async (user, i) => {
      await sleep(i * 5)
      return call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: user.token, body: { seatIds: [seat] } })
    }))

    t.equal(replies[0]!.status, 201, `${seat}: the first sender gets the hold`)
    t.equal(replies[0]!.body.seatIds?.[0], seat)
    replies.slice(1).forEach((reply, i) => {
      const who = `${seat}: sender ${i + 2}`
      t.equal(reply.status, 409, `${who} is refused`)
      t.equal(reply.body.code, 'SEATS_UNAVAILABLE', `${who}: SEATS_UNAVAILABLE`)
      t.equal(reply.body.seats?.length, 1, `${who}: one refused seat`)
      const refused = reply.body.seats?.[0]
      t.match(refused, { seatId: seat, status: 'held' }, `${who}: the seat is held`)
      t.ok(Number.isInteger(refused?.retryAfterSeconds) && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60,
        `${who}: retryAfterSeconds is whole seconds in 1..60 (got ${refused?.retryAfterSeconds})`)
      t.ok(Number(reply.headers.get('retry-after')) >= 1, `${who}: a Retry-After header`)
    })

    const holds = await stack.db.selectFrom('holds').select(['id', 'user_id', 'status']).where('event_id', '=', event.id).execute()
    t.same(holds, [{ id: replies[0]!.body.holdId, user_id: users[0]!.userId, status: 'active' }], `${seat}: one hold, the first sender's`)
  }
})
