import { randomUUID } from 'node:crypto'
import type { Command } from '@seatline/contracts'
import { BulkAdder, CommandBatcher, commandJobId } from '@seatline/queue'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import t from 'tap'
import { clearRedisPrefix, REDIS_URL, uniqueName } from './helpers/stack.ts'

const prefix = uniqueName('batcher')
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
t.teardown(async () => {
  await clearRedisPrefix(prefix)
  redis.disconnect()
})

const command = (seatId: string): Command =>
  ({ type: 'book-seats', requestId: randomUUID(), userId: randomUUID(), eventId: randomUUID(), seatIds: [seatId] })

t.test('commands wait while a job is in flight, then leave together, in arrival order', async (t) => {
  const queue = new Queue('booking-test', { connection: redis, prefix })
  t.teardown(() => queue.close())
  const batcher = new CommandBatcher(new BulkAdder(queue), { maxInFlight: 1, maxBatch: 3, releaseAfterMs: 60_000 })
  const jobsInQueue = async () => {
    const ids = (await redis.lrange(`${prefix}:booking-test:wait`, 0, -1)).reverse()
    return Promise.all(ids.map(async (id) => ({ id, data: (await queue.getJob(id))!.data })))
  }

  const first = batcher.add(command('S1'), false)
  await first.added
  t.equal(first.index, 0, 'the first command leaves at once, in a batch of one')

  const later = ['S2', 'S3', 'S4', 'S5'].map((seat) => command(seat))
  const placed = later.map((c) => batcher.add(c, false))
  const keyed = command('S6')
  const alone = batcher.add(keyed, true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await jobsInQueue()).length, 1, 'nothing more leaves while the first job is in flight')
  t.equal(batcher.waiting, 5)
  t.same(placed.map((p) => p.index), [0, 1, 2, 0], 'batches fill up to their maximum size')
  t.equal(placed[0]!.jobId, placed[2]!.jobId)
  t.not(placed[3]!.jobId, placed[0]!.jobId)
  t.equal(alone.jobId, commandJobId(keyed.requestId), 'a keyed command gets a job of its own, under its request id')
  t.equal(alone.index, undefined)

  batcher.finished(first.jobId)
  await placed[0]!.added
  t.equal((await jobsInQueue()).length, 2, 'when the job ends, the next batch leaves')
  batcher.finished(placed[0]!.jobId)
  await Promise.all([placed[3]!.added, alone.added])

  const jobs = await jobsInQueue()
  t.same(jobs.map((j) => j.id), [first.jobId, placed[0]!.jobId, placed[3]!.jobId, alone.jobId], 'jobs entered the queue in arrival order')
  t.same(jobs.map((j) => j.data.type), ['batch', 'batch', 'batch', 'book-seats'])
  t.same(jobs[1]!.data.commands.map((c: Command) => c.requestId), later.slice(0, 3).map((c) => c.requestId), 'a batch keeps its commands in order')
  t.equal(batcher.waiting, 0)
})

t.test('a job whose end goes unseen stops holding the line after a while', async (t) => {
  const queue = new Queue('booking-test-2', { connection: redis, prefix })
  t.teardown(() => queue.close())
  const batcher = new CommandBatcher(new BulkAdder(queue), { maxInFlight: 1, maxBatch: 10, releaseAfterMs: 100 })
  await batcher.add(command('S1'), false).added
  const next = batcher.add(command('S2'), false)
  const started = Date.now()
  await next.added
  t.ok(Date.now() - started >= 90, 'the next batch waited for the release')
})
