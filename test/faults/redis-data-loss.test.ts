/**
 * Redis loses every key while commands are queued and running: (a) it crashes and comes back
 * empty (no persistence), (b) someone runs FLUSHALL. Jobs, queue settings and the fence counter
 * are gone; Postgres still holds every request. The processes notice (redis-epoch), gateways
 * send again what they wait for, workers restore the settings and send every pending request.
 */
import { Redis } from 'ioredis'
import pg from 'pg'
import t, { type Test } from 'tap'
import { partitionOf } from '@seatline/queue'
import { startPrivateRedis } from '../harness/private-redis.ts'
import { startTcpProxy } from '../harness/tcp-proxy.ts'
import { type Answer, type SteadyLoad, steadyLoad } from '../harness/steady-load.ts'
import { call, createEvent, type Reply, seatIds, signupMany } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import {
  badAnswers, bookedTwiceEver, countStatuses, formatCounts, fullAudit, inBatches, keyedRetryProblems, pollAll, rate,
  retryKeyed, sample, sleep, tokenOf, toldByPolls, toldIn,
} from './outage-kit.ts'

/** The sweeper re-sends requests pending > 30 s every 5 s; the epoch watchers should beat it by far. */
const SETTLE_BOUND_MS = 45_000
const CONCURRENCY_BOUND_MS = 10_000

const redis = await startPrivateRedis({ appendonly: false })
t.teardown(() => redis.stop())
// The stack reaches Redis through a proxy, so that (a) can keep it away from the restarted,
// empty server until the test has looked at what the restart lost.
const proxy = await startTcpProxy(redis.url)
t.teardown(() => proxy.close())
const stack = await startStack({ workers: 2, redisUrl: proxy.urlFor(redis.url) })
t.teardown(() => stack.stop({ graceMs: 5_000 }))
const processes = [...stack.gateways, ...stack.workers]
const partitions = Number(stack.env.QUEUE_PARTITIONS ?? 4)
const tokens = (await signupMany(stack.url, 4)).map((u) => u.token)

function book (token: string, eventId: string, seatId: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: [seatId] }, headers })
}

async function fences (eventId: string, seats: string[]): Promise<Map<string, bigint>> {
  const rows = await stack.db.selectFrom('seats').select(['seat_id', 'fence']).where('event_id', '=', eventId).where('seat_id', 'in', seats).execute()
  return new Map(rows.map((r) => [r.seat_id, BigInt(r.fence)]))
}

/** Jobs waiting and running in the partition queues, as Redis holds them now. */
async function jobsInRedis (): Promise<{ waiting: number, active: number }> {
  let waiting = 0
  let active = 0
  for (let p = 0; p < partitions; p++) {
    waiting += Number(await redis.command('llen', `${stack.prefix}:{booking-${p}}:wait`))
    active += Number(await redis.command('llen', `${stack.prefix}:{booking-${p}}:active`))
  }
  return { waiting, active }
}

const metaKey = (p: number) => `${stack.prefix}:{booking-${p}}:meta`

/** Every partition queue's global concurrency (BullMQ keeps it in the queue's meta hash). */
function concurrencyNow (): Promise<unknown[]> {
  return Promise.all(Array.from({ length: partitions }, (_, p) => redis.command('hget', metaKey(p), 'concurrency')))
}

/** The setting just before and just after the loss, before any Seatline process could put it back. */
interface Loss {
  before: unknown[]
  after: unknown[]
}

/** Resolves with the ms (from `since`) when every partition queue has global concurrency 1 again. */
async function concurrencyRestored (now: () => number, since: number): Promise<{ ms?: number, first: unknown[] }> {
  let first: unknown[] | undefined
  const deadline = Date.now() + CONCURRENCY_BOUND_MS
  while (Date.now() < deadline) {
    const values = await Promise.all(Array.from({ length: partitions }, (_, p) =>
      redis.command('hget', metaKey(p), 'concurrency').catch(() => 'unreachable')))
    first ??= values
    if (values.every((v) => v === '1')) return { ms: now() - since, first }
    await sleep(50)
  }
  return { first: first ?? [] }
}

/**
 * Books under load (plain, keyed and Prefer: respond-async requests) while every partition is
 * held up by a seat row the test locks in Postgres, so commands pile up in Redis; `lose` then
 * takes Redis's data, and the row locks go 1.5 s after Redis is back.
 */
async function lossUnderLoad (t: Test, name: string, lose: () => Promise<Loss>) {
  const plainSeats = seatIds('P', 3_000)
  const keyedSeats = seatIds('K', 2_000)
  const asyncSeats = seatIds('S', 3_000)
  const fenceSeats = seatIds('F', 4)
  const candidates = seatIds('B', 60)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...plainSeats, ...keyedSeats, ...asyncSeats, ...fenceSeats, ...candidates] })
  // One seat per partition: a booking of it that waits on a row lock holds up the whole partition.
  const blockers = Array.from({ length: partitions }, (_, p) => candidates.find((s) => partitionOf(`${event.id}:${s}`, partitions) === p))
  t.ok(blockers.every((s) => s !== undefined), `a seat to hold up each of the ${partitions} partitions`)

  // Seats booked and cancelled before the loss carry fences in Postgres that a counter
  // starting again from zero would be below.
  for (const seat of fenceSeats) {
    const booked = await book(tokens[0]!, event.id, seat)
    const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${booked.body.bookingId}`, { token: tokens[0]! })
    t.equal(cancelled.status, 200, `${seat} booked (${booked.status}) and cancelled before the loss`)
  }
  const oldFences = await fences(event.id, fenceSeats)
  const counterBefore = await redis.command('get', `${stack.prefix}:{fence}`)

  const loads = [
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: plainSeats, concurrency: 3 }),
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: keyedSeats, concurrency: 2, keyed: true }),
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: asyncSeats, concurrency: 1, headers: { prefer: 'respond-async' } }),
  ]
  const [plain, keyed, asynchronous] = loads as [SteadyLoad, SteadyLoad, SteadyLoad]
  const now = plain.now
  const tokenFor = (() => {
    const bySeat = [tokenOf(plainSeats, tokens), tokenOf(keyedSeats, tokens), tokenOf(asyncSeats, tokens)]
    return (seatId: string) => seatId.startsWith('B') ? tokens[1]! : bySeat['PKS'.indexOf(seatId[0]!)]!(seatId)
  })()
  await sleep(1_500)

  const locker = new pg.Client({ connectionString: stack.databaseUrl })
  locker.on('error', () => {})
  await locker.connect()
  t.teardown(() => locker.end().catch(() => {}))
  await locker.query('begin')
  await locker.query('select seat_id from seats where event_id = $1 and seat_id = any($2) for update', [event.id, blockers])
  const blockedAt = now()
  const blocked = blockers.map((seat) => book(tokens[1]!, event.id, seat!).then((reply) => ({ reply, at: now() })))
  await sleep(1_500)

  const backlog = await jobsInRedis()
  const pendingBefore = Number((await stack.db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'pending').executeTakeFirstOrThrow()).n)
  const rateBefore = loads.reduce((sum, l) => sum + rate(l, now() - 2_000, now()), 0)
  // The respond-async requests Redis is about to lose: polled from now on, as their clients would.
  const caught = asynchronous.answers.filter((a) => a.status === 202)
  const lostAt = now()
  const loss = await lose()
  const backAt = now()
  const restored = concurrencyRestored(now, backAt)
  const caughtEnds = pollAll(stack.url, caught.map((a) => ({ requestId: a.body.requestId, token: tokenFor(a.seatId) })), SETTLE_BOUND_MS, now)
  await sleep(1_500)
  await locker.query('rollback')
  await locker.end()
  const releasedAt = now()
  await sleep(3_500)
  for (const load of loads) load.stop()
  // Every waiting client must get an answer: a bounded wait, so a hang fails rather than stalls.
  const finished = await Promise.race([
    Promise.all([...loads.map((l) => l.done), ...blocked]).then(() => true),
    sleep(30_000, false, { ref: false }),
  ])
  t.ok(finished, 'every client waiting on an answer got one')
  const blockerEnds = await Promise.all(blocked)
  const blockerReplies = blockerEnds.map((b) => b.reply)
  const concurrency = await restored

  const blockerAnswers: Answer[] = blockerEnds.map(({ reply, at }, i) => ({ sentAt: blockedAt, answeredAt: at, seatId: blockers[i]!, key: '', status: reply.status, body: reply.body, retryAfter: reply.headers.get('retry-after') }))
  const answers: Answer[] = [...plain.answers, ...keyed.answers, ...asynchronous.answers, ...blockerAnswers]
  const caughtSettled = await caughtEnds
  const toPoll = answers.filter((a) => a.status === 202)
  const ends = await pollAll(stack.url, toPoll.map((a) => ({ requestId: a.body.requestId, token: tokenFor(a.seatId) })), SETTLE_BOUND_MS, now)
  const endCounts = countStatuses([...ends.values()].map((e) => e.status))
  // When the last client caught by the loss had its final answer: its reply, or its poll.
  const settledMs = Math.max(
    ...answers.filter((a) => a.sentAt < backAt && a.status !== 202).map((a) => a.answeredAt),
    ...[...caughtSettled.values()].map((e) => e.at)
  ) - backAt

  // Seats whose only request got 503, before anyone asks for them again.
  const unavailable = answers.filter((a) => a.status === 503)
  const early = await fullAudit(stack.db, event.id, new Set())
  const halfDone = unavailable.filter((a) => early.bookedSeats.has(a.seatId))

  // Every keyed request sent again with its key: the same answer, never a second booking.
  const keyedAnswers = keyed.answers
  const firstRetries = await inBatches(keyedAnswers, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const secondRetries = await inBatches(keyedAnswers, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const keyProblems = keyedRetryProblems(keyedAnswers, ends, firstRetries, secondRetries, early.bookedSeats)

  // Fences survive: seats written before the loss are bookable after it.
  const rebooked = await Promise.all(fenceSeats.map((seat) => book(tokens[2]!, event.id, seat)))
  const newFences = await fences(event.id, fenceSeats)
  const counterAfter = await redis.command('get', `${stack.prefix}:{fence}`)

  const told = new Set([...toldIn(answers), ...toldByPolls(ends.values()), ...toldIn(firstRetries), ...toldIn(rebooked)])
  const audit = await fullAudit(stack.db, event.id, told)
  const resumed = loads.map((l) => l.firstBookedAfter(backAt)).filter((a) => a !== undefined).sort((a, b) => a.answeredAt - b.answeredAt)[0]
  const statuses = (from = 0, to = Infinity) => formatCounts(countStatuses(answers.filter((a) => a.sentAt >= from && a.sentAt < to).map((a) => a.status)))
  const bySort = (l: SteadyLoad, from = 0, to = Infinity) => formatCounts(l.statuses(from, to))

  t.comment(`${name}: load at the fault: 10 requests in flight (3 plain, 2 keyed, 1 async at a time, and the 4 holding up the partitions), ${rateBefore} answers/s over the 2 s before; ${partitions} partitions held up for 1.5 s; in Redis ${backlog.waiting} jobs waiting and ${backlog.active} running, ${pendingBefore} requests pending in Postgres`)
  t.comment(`${name}: redis back ${backAt - lostAt} ms after the loss; global concurrency ${JSON.stringify(loss.before)} before it, ${JSON.stringify(loss.after)} right after it, 1 on every partition again ${concurrency.ms ?? 'never'} ms after (first seen: ${JSON.stringify(concurrency.first)}); row locks released at +${releasedAt - backAt} ms`)
  t.comment(`${name}: bookings flowing again ${resumed ? `${resumed.answeredAt - backAt} ms after redis was back, ${resumed.answeredAt - releasedAt} ms after the partitions were let go` : 'never'} (first 201 of a request sent after redis was back)`)
  t.comment(`${name}: every client caught by the loss had a final answer ${settledMs} ms after redis was back, ${settledMs - (releasedAt - backAt)} ms after the partitions were let go (bound ${SETTLE_BOUND_MS} ms; the ${caught.length} async requests accepted before the loss polled from then on); all ${toPoll.length} 202s polled to ${formatCounts(endCounts)}`)
  t.comment(`${name}: answers to requests sent from the loss until 1.5 s after redis was back [${lostAt}, ${backAt + 1_500}) ms: ${statuses(lostAt, backAt + 1_500)} (plain ${bySort(plain, lostAt, backAt + 1_500)}, keyed ${bySort(keyed, lostAt, backAt + 1_500)}, async ${bySort(asynchronous, lostAt, backAt + 1_500)}); the 4 running at the loss: ${formatCounts(countStatuses(blockerReplies.map((r) => r.status)))}, answered ${blockerEnds.map((b) => b.at - backAt).join(', ')} ms after redis was back`)
  t.comment(`${name}: answers overall (${answers.length}): ${statuses()} (plain ${bySort(plain)}, keyed ${bySort(keyed)}, async ${bySort(asynchronous)}); keyed retried twice with their keys: ${formatCounts(countStatuses(firstRetries.map((r) => r.status)))} / ${formatCounts(countStatuses(secondRetries.map((r) => r.status)))}`)
  t.comment(`${name}: fences: counter ${String(counterBefore)} before, ${String(counterAfter)} after; seats booked-then-cancelled before the loss had fences ${[...oldFences.values()].join(', ')}, booked again: ${formatCounts(countStatuses(rebooked.map((r) => r.status)))} with ${[...newFences.values()].join(', ')}`)
  t.comment(`${name}: audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, booked but never told = ${audit.untold.length}, still pending = ${audit.pending}`)

  t.ok(backlog.waiting + backlog.active > 0, 'commands were queued and running in Redis when it lost them')
  t.same(loss.before, loss.before.map(() => '1'), 'every partition queue had global concurrency 1 before the loss')
  t.same(loss.after, loss.after.map(() => null), 'the loss was real: the setting was gone from every partition queue before any process could put it back')
  const bad = badAnswers(answers, [201, 202, 503])
  t.equal(bad.length, 0, `only 201, 202 or 503 UNAVAILABLE with Retry-After; never a 500${bad.length ? `\n${sample(bad)}` : ''}`)
  t.ok(asynchronous.answers.some((a) => a.status === 202 && a.sentAt < lostAt), 'respond-async requests were accepted before the loss')
  t.ok([...ends.values()].every((e) => e.status === 'succeeded' || e.status === 'failed'), `every polled request reached succeeded or failed (${formatCounts(endCounts)})`)
  t.ok(settledMs <= SETTLE_BOUND_MS, `no buyer left hanging: all final within ${SETTLE_BOUND_MS / 1000} s (${settledMs} ms)`)
  t.ok(blockerReplies.every((r) => r.status === 201 || r.status === 202), `the commands running at the loss were answered (${formatCounts(countStatuses(blockerReplies.map((r) => r.status)))})`)
  t.ok(resumed !== undefined, 'bookings flow again after the loss')
  t.ok(concurrency.ms !== undefined, `global concurrency 1 restored on every partition (${concurrency.ms} ms)`)
  t.same(halfDone.map((a) => a.seatId), [], 'a request answered 503 booked nothing')
  t.same(keyProblems, [], 'every keyed request retried with its key gets its one booking, the same each time')
  t.same(await bookedTwiceEver(stack.db, event.id, fenceSeats), [], 'no seat was ever in a second booking, cancelled ones included (fence seats aside)')
  t.ok(rebooked.every((r) => r.status === 201), `seats written under old fences are booked again after the loss (${formatCounts(countStatuses(rebooked.map((r) => r.status)))})`)
  t.ok(fenceSeats.every((s) => newFences.get(s)! > oldFences.get(s)!), 'with fences above the old ones')
  t.same(audit.lost, [], 'lost = 0: every 201 and every succeeded poll is in the database')
  t.same(audit.doubled, [], 'doubled = 0: no seat has two active bookings')
  t.same(audit.untold, [], 'every active booking was told to its buyer')
  t.equal(audit.pending, 0, 'no request is left pending')
  t.ok(processes.every((p) => p.alive), `no Seatline process restarted or died (pids ${processes.map((p) => p.pid).join(', ')})`)
  t.equal(stack.processes.length, processes.length, 'and none was started')
}

t.test('(a) redis without persistence crashes and comes back empty', (t) => lossUnderLoad(t, 'redis-data-loss (a) restart empty', async () => {
  const before = await concurrencyNow()
  // The stack is cut off with the crash (its connections drop as a crash drops them) and let
  // back in once the test has read the new server: nothing can have restored the setting yet.
  await proxy.cut()
  await redis.kill()
  await sleep(2_000)
  await redis.start()
  const after = await concurrencyNow()
  await proxy.restore()
  return { before, after }
}))

t.test('(b) FLUSHALL on a live redis', (t) => lossUnderLoad(t, 'redis-data-loss (b) flushall', async () => {
  // Read, flush and read again in one transaction: no process's restore can come in between.
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    const tx = client.multi()
    for (let p = 0; p < partitions; p++) tx.hget(metaKey(p), 'concurrency')
    tx.flushall()
    for (let p = 0; p < partitions; p++) tx.hget(metaKey(p), 'concurrency')
    const replies = await tx.exec()
    const values = (replies ?? []).map(([error, value]) => error ?? value)
    return { before: values.slice(0, partitions), after: values.slice(partitions + 1) }
  } finally {
    client.disconnect()
  }
}))
