import { partitionOf, partitionQueueName } from '@seatline/queue'
import { Redis } from 'ioredis'
import t from 'tap'
import { call, createEvent, type Reply, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('holds on one seat are answered in the order they were sent', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const users = await signupMany(stack.url, 10)
  const redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  const partitions = Number(stack.env.QUEUE_PARTITIONS ?? 4)

  /** The id of the newest entry in a queue's event stream, '0' when there is none. */
  const lastEntry = async (stream: string) => (await redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0'
  /** Resolves with the id of the first 'added' event after `since`: a job has joined that queue. */
  async function nextAdded (stream: string, since: string): Promise<string> {
    const deadline = Date.now() + 15_000
    let last = since
    while (Date.now() < deadline) {
      const reply = await redis.xread('COUNT', 100, 'BLOCK', 200, 'STREAMS', stream, last)
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          last = id
          if (fields.some((value, i) => i % 2 === 0 && value === 'event' && fields[i + 1] === 'added')) return id
        }
      }
    }
    throw new Error(`no job added to ${stream} within 15 s`)
  }

  // Warm the hold path up first: holds work at all before their order is asked about.
  const warmup = await createEvent(stack.url, users[0]!.token, { seats: ['W1'] })
  const warm = await call(stack.url, 'POST', `/v1/events/${warmup.id}/holds`, { token: users[0]!.token, body: { seatIds: ['W1'] } })
  t.equal(warm.status, 201, 'warm-up hold')

  for (const seat of ['A1', 'B7', 'C12']) {
    const event = await createEvent(stack.url, users[0]!.token, { seats: ['A1', 'B7', 'C12', 'D1'] })
    // Sent in turn, each once the one before has joined the seat's queue (its job is in Redis),
    // without waiting for its answer: who was first does not hang on a few ms of timing.
    const stream = `${stack.prefix}:${partitionQueueName(partitionOf(`${event.id}:${seat}`, partitions))}:events`
    let since = await lastEntry(stream)
    const sent: Array<Promise<Reply>> = []
    for (const user of users) {
      const reply = call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: user.token, body: { seatIds: [seat] } })
      reply.catch(() => {}) // a failure is Promise.all's to report, after the loop
      sent.push(reply)
      since = await nextAdded(stream, since)
    }
    const replies = await Promise.all(sent)

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
