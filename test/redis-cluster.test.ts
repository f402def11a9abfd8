/**
 * Seatline on a Redis Cluster of 3 masters (REDIS_CLUSTER_NODES): 2 gateways and 3 workers as
 * real processes. Contested bookings through both gateways, with lock sets spanning nodes, never
 * double-book and every answer reaches the gateway that asked; the maintenance ticks run once
 * each whatever the number of workers; and changing QUEUE_PARTITIONS while commands are queued
 * loses and doubles nothing.
 */
import { type BookSeatsCommand, seatResource } from '@seatline/contracts'
import { lockKey } from '@seatline/lock'
import { commandGroupKey, partitionOf, partitionQueueName } from '@seatline/queue'
import { Cluster } from 'ioredis'
import t, { type Test } from 'tap'
import { auditBookings } from './harness/booking-audit.ts'
import { startStack } from './harness/local-stack.ts'
import { startRedisCluster } from './harness/redis-cluster.ts'
import { call, createEvent, poll, type Reply, seatIds, signupMany } from './helpers/api.ts'

const PARTITIONS = 4
const WORKERS = 3
/** The maintenance schedulers' period (apps/worker/src/maintenance/maintenance-queue.ts). */
const TICK_MS = 5_000
const SWEEP_WINDOW_MS = 12_000
/** Requests pending 30 s are sent again on the next 5 s tick; room on top for a busy machine. */
const SETTLE_MS = 75_000
/** Requests in flight at once across both gateways: contested, without tripping the overload guards. */
const CONCURRENCY = 32

const fileStarted = Date.now()
const cluster = await startRedisCluster({ masters: 3 })
// Teardowns run last-registered first: the stack stops before its cluster goes.
t.teardown(() => cluster.stop())
const stack = await startStack({
  gateways: 2,
  // Started below with startWorker, which waits for each to say it is ready.
  workers: 0,
  // The stack's key cleanup at stop runs on this one node (multi-key DEL across slots fails
  // there); a private Redis's cleanup failures are ignored, and the cluster's dir goes anyway.
  redisUrl: `redis://${cluster.nodes.split(',')[0]}`,
  env: { REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_PARTITIONS: String(PARTITIONS) },
})
t.teardown(() => stack.stop({ graceMs: 5_000 }))
await Promise.all(Array.from({ length: WORKERS }, () => stack.startWorker()))
const workersReadyAt = Date.now()
const [north, south] = stack.urls as [string, string]
const gatewayName = (url: string) => url === north ? 'north' : 'south'

// The test's own view of the cluster: keys are routed to their node as the processes' are.
const redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 1 } })
redis.on('error', () => {})
t.teardown(() => { redis.disconnect() })

const users = await signupMany(north, 50)
t.comment(`cluster ${cluster.nodes}; stack up with ${WORKERS} workers in ${((workersReadyAt - fileStarted) / 1000).toFixed(1)} s`)

interface Sent {
  gateway: string
  user: { userId: string, token: string }
  seats: string[]
  reply: Reply
}

/** Runs `jobs` at most `concurrency` at a time, in order of starting. */
async function pool<T> (jobs: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++
      results[i] = await jobs[i]!()
    }
  }))
  return results
}

function book (gateway: string, user: Sent['user'], eventId: string, seats: string[], headers: Record<string, string> = {}): () => Promise<Sent> {
  return async () => {
    let reply: Reply
    try {
      reply = await call(gateway, 'POST', `/v1/events/${eventId}/bookings`, { token: user.token, body: { seatIds: seats }, headers })
    } catch (error) {
      reply = { status: 0, headers: new Headers(), body: String(error) }
    }
    return { gateway, user, seats, reply }
  }
}

function countBy<T> (items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

const byGateway = (sent: Sent[]) => Object.fromEntries(stack.urls.map((url) =>
  [gatewayName(url), countBy(sent.filter((s) => s.gateway === url), (s) => String(s.reply.status))]))

/** The node (port) of each seat's lock key. */
async function lockNodes (eventId: string, seats: string[]): Promise<Map<string, number>> {
  const nodes = new Map<string, number>()
  for (const seat of seats) nodes.set(seat, await cluster.portOf(lockKey(stack.prefix, seatResource(eventId, seat))))
  return nodes
}

/**
 * Pairs of seats whose locks live on different nodes, the first of each pair being `firsts`,
 * the second taken from `from`, each seat used once.
 */
function crossNodePairs (firsts: string[], from: string[], nodes: Map<string, number>): string[][] {
  const used = new Set(firsts)
  return firsts.map((a) => {
    const b = from.find((s) => !used.has(s) && nodes.get(s) !== nodes.get(a))
    if (!b) throw new Error(`no seat on another node than ${a}`)
    used.add(b)
    return [a, b]
  })
}

/** Checks what the database holds against what each client was told; returns the figures. */
async function checkOutcome (t: Test, eventId: string, seats: string[], told: Array<{ seats: string[], userId: string, booking: any }>) {
  const audit = await auditBookings(stack.db, eventId, told.map((b) => b.booking.bookingId))
  t.same(audit.doubled, [], 'no seat is booked twice')
  t.same(audit.lost, [], 'every booking a client was told of is in Postgres')
  t.equal(audit.pending, 0, 'no request is left pending')
  t.equal(audit.bookedSeats.size, seats.length, `every seat is booked (${audit.bookedSeats.size} of ${seats.length})`)
  const successes = new Map<string, number>()
  for (const b of told) for (const seat of b.seats) successes.set(seat, (successes.get(seat) ?? 0) + 1)
  const notOnce = [...audit.bookedSeats.keys()].filter((seat) => successes.get(seat) !== 1)
  t.same(notOnce, [], 'each booked seat was told as booked to exactly one request')
  const owners = new Map((await stack.db.selectFrom('bookings').select(['id', 'user_id']).where('event_id', '=', eventId).execute()).map((b) => [b.id, b.user_id]))
  const mismatched = told.filter((b) => b.booking.userId !== b.userId || owners.get(b.booking.bookingId) !== b.userId ||
    b.booking.eventId !== eventId || [...b.booking.seatIds].sort().join() !== [...b.seats].sort().join() ||
    b.seats.some((seat) => audit.bookedSeats.get(seat) !== b.booking.bookingId))
  t.same(mismatched.map((b) => b.booking.bookingId), [], 'each success names the booking the database holds for that buyer and those seats')
  return audit
}

t.test('contested bookings through both gateways, lock sets across nodes: no seat twice, every answer to its asker', async (t) => {
  const started = Date.now()
  const seats = seatIds('S', 100)
  const event = await createEvent(north, users[0]!.token, { seats })
  const nodes = await lockNodes(event.id, seats)
  const pairs = crossNodePairs(seats.filter((_, i) => i % 5 === 0), seats.slice(50).concat(seats.slice(0, 50)), nodes)
  const firstOfPair = new Map(pairs.map((pair) => [pair[0]!, pair]))

  // Each seat's 4 buyers (distinct users, 2 per gateway) go out together; a pair whose locks
  // span two nodes goes out with the singles of its first seat, and meets its second later.
  const jobs: Array<() => Promise<Sent>> = []
  seats.forEach((seat, i) => {
    const pair = firstOfPair.get(seat)
    if (pair) jobs.push(book(i % 2 ? north : south, users[(i * 7 + 5) % users.length]!, event.id, pair))
    for (let k = 0; k < 4; k++) jobs.push(book(k % 2 ? south : north, users[(i * 4 + k) % users.length]!, event.id, [seat]))
  })
  const sent = await pool(jobs, CONCURRENCY)
  const took = Date.now() - started

  const statuses = countBy(sent, (s) => String(s.reply.status))
  t.same(Object.keys(statuses).sort(), ['201', '409'], `every answer is 201 or 409 (${JSON.stringify(statuses)}): no 202 with BOOKING_WAIT_MS ${stack.env.BOOKING_WAIT_MS ?? 'at its default'}`)
  const refusedElsewhere = sent.filter((s) => s.reply.status === 409 && (s.reply.body?.code !== 'SEATS_UNAVAILABLE' ||
    !s.reply.body.seats?.length || s.reply.body.seats.some((r: { seatId: string }) => !s.seats.includes(r.seatId))))
  t.same(refusedElsewhere.map((s) => s.reply.body), [], 'each 409 is SEATS_UNAVAILABLE naming seats of its own request')
  const booked = sent.filter((s) => s.reply.status === 201)
  const audit = await checkOutcome(t, event.id, seats, booked.map((s) => ({ seats: s.seats, userId: s.user.userId, booking: s.reply.body })))

  const pairWins = booked.filter((s) => s.seats.length === 2).length
  t.ok(pairWins > 0, `some cross-node pairs were booked whole (${pairWins} of ${pairs.length})`)
  const perNode = countBy(seats, (s) => String(nodes.get(s)))
  const queueNodes = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => cluster.portOf(`${stack.prefix}:${partitionQueueName(p)}:wait`)))
  t.comment(`(a) ${sent.length} requests (${seats.length * 4} single-seat, ${pairs.length} cross-node pairs) for ${seats.length} seats in ${(took / 1000).toFixed(1)} s; ` +
    `by gateway ${JSON.stringify(byGateway(sent))}; seats booked ${audit.bookedSeats.size}, by pairs ${pairWins * 2}; ` +
    `doubled ${audit.doubled.length}, lost ${audit.lost.length}, pending ${audit.pending}`)
  t.comment(`(a) seat locks per node ${JSON.stringify(perNode)}; partition queues on nodes ${queueNodes.join(', ')}`)
})

t.test('each maintenance tick runs once across 3 workers', async (t) => {
  // Holds that expire during the window, so the sweeper has rows to tidy, exactly once each.
  const seats = seatIds('H', 10)
  const event = await createEvent(north, users[0]!.token, { seats })
  const held = await call(south, 'POST', `/v1/events/${event.id}/holds`, { token: users[1]!.token, body: { seatIds: seats, ttlSeconds: 5 } })
  t.equal(held.status, 201, 'ten seats held for 5 s')
  const rows = () => stack.db.selectFrom('seats').select(['seat_id', 'status']).where('event_id', '=', event.id).execute()
  const tidied = await poll(rows, (list) => list.every((r) => r.status === 'available'), 30_000)
  t.ok(tidied.every((r) => r.status === 'available'), 'the sweeper tidied the expired holds')
  const waitMore = workersReadyAt + SWEEP_WINDOW_MS + 1_000 - Date.now()
  if (waitMore > 0) await new Promise((resolve) => setTimeout(resolve, waitMore))

  const entries = await redis.xrange(`${stack.prefix}:{maintenance}:events`, '-', '+')
  const jobs = new Map<string, { active: number, completed: number, failed: number, swept: number }>()
  for (const [, fields] of entries) {
    const event: Record<string, string> = {}
    for (let i = 0; i < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!
    if (!event.jobId?.startsWith('repeat:')) continue
    const job = jobs.get(event.jobId) ?? { active: 0, completed: 0, failed: 0, swept: 0 }
    if (event.event === 'active') job.active++
    if (event.event === 'completed') {
      job.completed++
      job.swept += Number(JSON.parse(event.returnvalue ?? '{}').swept ?? 0)
    }
    if (event.event === 'failed') job.failed++
    jobs.set(event.jobId, job)
  }
  // Ids are repeat:<scheduler>:<tick time>: one id per scheduler and tick, however many upserts.
  const ran = [...jobs].filter(([, j]) => j.completed > 0)
  const ticks = countBy(ran, ([id]) => id.split(':')[1]!)
  const twice = [...jobs].filter(([, j]) => j.active > 1 || j.completed > 1)
  // Stream entry ids start with the ms they were written: the window is the queue's whole life.
  const watchedMs = Date.now() - Number(entries[0]?.[0].split('-')[0] ?? Date.now())
  t.same(twice, [], 'no tick ran more than once')
  t.same([...jobs].filter(([, j]) => j.failed > 0), [], 'no tick failed')
  for (const scheduler of ['sweep-expired-holds', 'requeue-lost-requests']) {
    const times = ran.filter(([id]) => id.split(':')[1] === scheduler).map(([id]) => Number(id.split(':')[2])).sort((a, b) => a - b)
    t.ok(times.length >= Math.floor(SWEEP_WINDOW_MS / TICK_MS), `${scheduler} ticked ${times.length} times`)
    const close = times.slice(1).filter((at, i) => at - times[i]! < TICK_MS)
    t.same(close, [], `${scheduler}: no two ticks less than ${TICK_MS} ms apart`)
  }
  const swept = [...jobs.values()].reduce((sum, j) => sum + j.swept, 0)
  t.equal(swept, seats.length, 'the expired seats were tidied once in all: the sweeps together rewrote 10 rows')
  t.comment(`(c) ${entries.length} maintenance events in ${(watchedMs / 1000).toFixed(0)} s with ${WORKERS} workers: ticks ${JSON.stringify(ticks)}, ` +
    `ran more than once ${twice.length}, failed ${[...jobs.values()].filter((j) => j.failed).length}, rows swept ${swept}`)
})

const audited: Array<{ eventId: string, told: string[] }> = []

/**
 * Commands queued while no worker runs, then every gateway and worker replaced by ones with
 * `to` partitions instead of `from`, and more commands for the same seats through them.
 */
async function changePartitions (t: Test, from: number, to: number, label: string) {
  const started = Date.now()
  const seats = seatIds(label, 30)
  const event = await createEvent(north, users[0]!.token, { seats })
  const nodes = await lockNodes(event.id, seats)
  const pairs = crossNodePairs(seats.filter((_, i) => i % 6 === 0), seats.slice(15).concat(seats.slice(0, 15)), nodes)

  await Promise.all(stack.workers.filter((w) => w.alive).map((w) => w.kill()))
  const queued = await pool([
    ...seats.flatMap((seat, i) => [
      book(north, users[(i * 4) % users.length]!, event.id, [seat], { prefer: 'respond-async' }),
      book(south, users[(i * 4 + 1) % users.length]!, event.id, [seat], { prefer: 'respond-async' }),
    ]),
    ...pairs.map((pair, i) => book(i % 2 ? north : south, users[(i * 7 + 3) % users.length]!, event.id, pair, { prefer: 'respond-async' })),
  ], CONCURRENCY)
  const queuedAt = Date.now()
  t.same(countBy(queued, (s) => String(s.reply.status)), { 202: queued.length }, `with no worker running, all ${queued.length} async commands are accepted (202)`)
  const pendingRows = await stack.db.selectFrom('requests').select('id').where('status', '=', 'pending')
    .where('id', 'in', queued.map((s) => s.reply.body.requestId)).execute()
  t.equal(pendingRows.length, queued.length, 'and their records are pending in Postgres')
  const oldPartition = (s: Sent) => partitionOf(commandGroupKey({ type: 'book-seats', requestId: '', userId: '', eventId: event.id, seatIds: s.seats } satisfies BookSeatsCommand), from)
  const stranded = queued.filter((s) => oldPartition(s) >= to).length
  const waiting = await Promise.all(Array.from({ length: from }, (_, p) => redis.llen(`${stack.prefix}:${partitionQueueName(p)}:wait`)))

  // Everything replaced, all with the new count: the gateways on their ports, then the workers.
  await Promise.all(stack.gateways.map((g) => g.kill()))
  const env = { QUEUE_PARTITIONS: String(to) }
  await Promise.all(stack.gateways.map((_, i) => stack.restartGateway(i, { env })))
  // The new commands go out while the new workers start, so when they come up the old and the
  // new partitions both hold jobs for the same seats and race for their locks.
  const [restartedAt, more] = await Promise.all([
    Promise.all(Array.from({ length: WORKERS }, () => stack.startWorker({ env }))).then(() => Date.now()),
    pool(seats.flatMap((seat, i) => [
      book(north, users[(i * 4 + 2) % users.length]!, event.id, [seat]),
      book(south, users[(i * 4 + 3) % users.length]!, event.id, [seat]),
    ]), CONCURRENCY),
  ])
  const sent = [...queued, ...more]

  // Every 202 polled (through either gateway) to its end.
  const finals = new Map<Sent, any>()
  for (const s of sent) if (s.reply.status !== 202) finals.set(s, undefined)
  const pendingAfter = () => sent.filter((s) => !finals.has(s))
  while (pendingAfter().length > 0 && Date.now() - queuedAt < SETTLE_MS) {
    await pool(pendingAfter().map((s, i) => async () => {
      const res = await call(stack.urls[i % 2]!, 'GET', `/v1/requests/${s.reply.body.requestId}`, { token: s.user.token }).catch(() => undefined)
      if (res?.status === 200 && res.body.status !== 'pending') finals.set(s, res.body)
    }), 8)
    if (pendingAfter().length > 0) await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const settledAt = Date.now()
  t.same(pendingAfter().map((s) => s.reply.body.requestId), [], `every request reached a final status within ${SETTLE_MS / 1000} s of being queued`)

  const outcome = (s: Sent) => s.reply.status === 202 ? (finals.get(s)?.status ?? 'pending') : String(s.reply.status)
  const successes = sent.flatMap((s) => {
    if (s.reply.status === 201) return [{ seats: s.seats, userId: s.user.userId, booking: s.reply.body }]
    const final = finals.get(s)
    return final?.status === 'succeeded' ? [{ seats: s.seats, userId: s.user.userId, booking: final.result }] : []
  })
  const badRefusals = sent.filter((s) => {
    if (s.reply.status === 409) return s.reply.body?.code !== 'SEATS_UNAVAILABLE'
    if (s.reply.status === 202) return finals.get(s)?.status === 'failed' && finals.get(s)?.error?.code !== 'SEATS_UNAVAILABLE'
    return s.reply.status !== 201
  })
  t.same(badRefusals.map((s) => [s.reply.status, s.reply.body, finals.get(s)]), [], 'every other request was refused as SEATS_UNAVAILABLE')
  const audit = await checkOutcome(t, event.id, seats, successes)
  audited.push({ eventId: event.id, told: successes.map((b) => b.booking.bookingId) })
  // Jobs that no worker serves any more stay in their old queues (their requests were sent again).
  const left = await Promise.all(Array.from({ length: Math.max(from, to) }, (_, p) => redis.llen(`${stack.prefix}:${partitionQueueName(p)}:wait`)))

  t.comment(`(d) QUEUE_PARTITIONS ${from} -> ${to}: ${queued.length} async commands queued with no worker (waiting per old partition ${JSON.stringify(waiting)}, ` +
    `${stranded} in partitions >= ${to}), then ${more.length} through the new gateways; outcomes ${JSON.stringify(countBy(sent, outcome))}; ` +
    `new answers by gateway ${JSON.stringify(byGateway(more))}`)
  t.comment(`(d) ${from} -> ${to}: seats booked ${audit.bookedSeats.size}, doubled ${audit.doubled.length}, lost ${audit.lost.length}, pending ${audit.pending}; ` +
    `gateways and workers replaced in ${((restartedAt - queuedAt) / 1000).toFixed(1)} s; no request pending ${((settledAt - queuedAt) / 1000).toFixed(1)} s after queueing ` +
    `(${((settledAt - restartedAt) / 1000).toFixed(1)} s after the workers were up); jobs still waiting per partition ${JSON.stringify(left)}; ` +
    `whole step ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

t.test('a waiting room on the cluster: its keys in one slot, joins through both gateways, admissions decided once', async (t) => {
  const organiser = users[0]!
  const buyers = users.slice(1, 21)
  const event = await createEvent(north, organiser.token, { seats: seatIds('W', 5), sale: { waitingRoom: { admitPerMinute: 6_000, admissionSeconds: 60 } } })
  const joins = await Promise.all(buyers.map((b, i) => call(i % 2 ? south : north, 'POST', `/v1/events/${event.id}/queue`, { token: b.token })))
  t.ok(joins.every((r) => r.status === 201), `${joins.length} buyers joined through both gateways`)
  t.equal(new Set(joins.map((r) => r.body.ticketId)).size, buyers.length, 'one ticket each')
  const slots = await Promise.all(['line', 'tickets', 'buyers', 'admitted', 'expired', 'state'].map((k) => redis.cluster('KEYSLOT', `${stack.prefix}:{wr:${event.id}}:${k}`)))
  t.equal(new Set(slots).size, 1, 'every key of the event in one slot')
  const states = await poll(async () => Promise.all(buyers.map((b) => call(north, 'GET', `/v1/events/${event.id}/queue`, { token: b.token }).then((r) => r.body))),
    (all) => all.filter((s) => s.status === 'admitted').length === 5, 10_000)
  const admitted = states.filter((s) => s.status === 'admitted')
  t.equal(admitted.length, 5, 'five admitted for five seats, by one step whatever the three workers')
  const waiting = states.filter((s) => s.status === 'waiting').map((s) => s.position).sort((a, b) => a - b)
  t.same(waiting, Array.from({ length: 15 }, (_, i) => i + 1), 'the other fifteen wait at positions 1 to 15, each once')
  const served = await redis.hget(`${stack.prefix}:{wr:${event.id}}:state`, 'served')
  t.equal(Number(served), 5, 'the serving counter counted five')
  const buyer = buyers[states.indexOf(admitted[0])]!
  const booked = await call(south, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: ['W1'] } })
  t.equal(booked.status, 201, 'an admitted buyer books through the other gateway')
})

t.test('QUEUE_PARTITIONS 4 -> 2 with commands queued: the stranded ones are sent again, nothing doubled or lost', (t) => changePartitions(t, PARTITIONS, 2, 'D'))
t.test('QUEUE_PARTITIONS 2 -> 8 with commands queued: old and new partitions race on locks, nothing doubled or lost', (t) => changePartitions(t, 2, 8, 'E'))

t.test('at the end, after every change of partitions: still nothing doubled or lost', async (t) => {
  // Jobs stranded by 4 -> 2 are served again after 2 -> 8: they must only replay their results.
  for (const { eventId, told } of audited) {
    const audit = await auditBookings(stack.db, eventId, told)
    t.same({ doubled: audit.doubled, lost: audit.lost, pending: audit.pending }, { doubled: [], lost: [], pending: 0 }, `event ${eventId}`)
  }
  t.comment(`whole file ${((Date.now() - fileStarted) / 1000).toFixed(1)} s`)
  const errors = stack.output().split('\n').filter((line) => /"level":(50|60)/.test(line))
  t.same(errors, [], 'no process logged an error')
})
