import { randomUUID } from 'node:crypto'
import type { Command } from '@seatline/contracts'
import { commandGroupKey, commandJob, PARTITION_QUEUE_OPTIONS, partitionOf, partitionQueueName } from '@seatline/queue'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import t from 'tap'
import { poll } from './helpers/api.ts'
import { REDIS_URL, startStack } from './helpers/stack.ts'

const SEATS = 50_000
const PER_JOB = 100

async function keysUnder (redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

t.test('Redis after 50,000 bookings holds what is in flight, not what was sold', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.disconnect())
  const prefix = stack.env.QUEUE_PREFIX!
  const partitions = 4

  const user = await stack.db.insertInto('users').values({ email: `bulk-${randomUUID()}@example.com`, password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const event = await stack.db.insertInto('events').values({ name: 'Fifty thousand', created_by: user.id }).returning('id').executeTakeFirstOrThrow()
  const seats = Array.from({ length: SEATS }, (_, i) => `S${i + 1}`)
  await sql`insert into seats (event_id, seat_id) select ${event.id}, unnest(${seats}::text[])`.execute(stack.db)
  const before = await keysUnder(redis, prefix)

  // The commands a busy gateway would send: batches of one partition's bookings, straight onto
  // the partition queues, for the real worker processes to run.
  const queues = Array.from({ length: partitions }, (_, p) => new Queue(partitionQueueName(p), { connection: redis, prefix, ...PARTITION_QUEUE_OPTIONS }))
  t.teardown(() => Promise.all(queues.map((q) => q.close())))
  const byPartition: Command[][] = queues.map(() => [])
  for (const seatId of seats) {
    const command: Command = { type: 'book-seats', requestId: randomUUID(), userId: user.id, eventId: event.id, seatIds: [seatId] }
    byPartition[partitionOf(commandGroupKey(command), partitions)]!.push(command)
  }
  await Promise.all(byPartition.map(async (commands, p) => {
    const jobs = []
    for (let i = 0; i < commands.length; i += PER_JOB) {
      jobs.push(commandJob(`batch-${randomUUID()}`, commands.slice(i, i + PER_JOB)))
    }
    await queues[p]!.addBulk(jobs)
  }))

  const booked = async () => Number((await stack.db.selectFrom('booking_seats').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', '=', event.id).executeTakeFirstOrThrow()).n)
  const started = Date.now()
  const count = await poll(booked, (n) => n === SEATS, 120_000)
  t.equal(count, SEATS, `all ${SEATS} seats booked (in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
  await poll(async () => (await Promise.all(queues.map((q) => q.getJobCountByTypes('wait', 'active', 'delayed')))).reduce((a, b) => a + b, 0), (n) => n === 0, 10_000)

  const after = await keysUnder(redis, prefix)
  t.comment(`Redis keys under the stack's prefix: ${before.length} before, ${after.length} after ${SEATS} bookings`)
  t.comment(`after: ${after.sort().join(', ')}`)
  t.ok(after.length <= before.length + 10, 'a few more keys at most (queue bookkeeping), none per seat or per booking')
  t.same(after.filter((k) => k.includes(':{seat:')), [], 'no lock or fence key is left for any seat')
  const streamLengths = await Promise.all(queues.map((q) => redis.xlen(`${prefix}:${q.name}:events`)))
  t.ok(streamLengths.every((n) => n <= 2_500), `event streams stay trimmed (${streamLengths.join(', ')} entries)`)
})

t.test('the schedulers\' queues keep short event streams: nobody reads them, and a tick a second would fill 10,000 in hours', async (t) => {
  const stack = await startStack({ workers: 1 })
  t.teardown(() => stack.stop())
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.disconnect())
  const prefix = stack.env.QUEUE_PREFIX!
  // BullMQ keeps a queue's stream length in its meta hash, set when the queue is opened.
  for (const queue of ['{maintenance}', '{waiting-rooms}']) {
    const maxLen = await poll(() => redis.hget(`${prefix}:${queue}:meta`, 'opts.maxLenEvents'), (v) => v !== null, 10_000)
    t.equal(maxLen, '500', `${queue}: events trimmed at about 500 entries (BullMQ's default is 10,000)`)
  }
})
