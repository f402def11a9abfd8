/**
 * Redis crashes (SIGKILL) under steady booking load and comes back ~3 s later on the same port
 * with its append-only file: nothing is lost, so no recovery runs; the processes only reconnect.
 */
import t from 'tap'
import { startPrivateRedis } from '../harness/private-redis.ts'
import { type Answer, type SteadyLoad, steadyLoad } from '../harness/steady-load.ts'
import { createEvent, seatIds, signupMany } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import { badAnswers, countStatuses, formatCounts, fullAudit, inBatches, pollAll, rate, retryKeyed, sample, sleep, tokenOf, toldByPolls, toldIn, waitReady } from './outage-kit.ts'

const OUTAGE_MS = 3_000
/** The promise: bookings flow again within 5 s of Redis answering; 1 s for a busy machine. */
const RESUME_BOUND_MS = 5_000 + 1_000

t.test('redis killed for 3 s and restarted with its AOF: 503s, then bookings resume; nothing lost or doubled', async (t) => {
  const redis = await startPrivateRedis({ appendonly: true })
  t.teardown(() => redis.stop())
  // A short wait, so that requests caught by the outage also take the 202-then-poll path.
  const stack = await startStack({ workers: 2, redisUrl: redis.url, env: { BOOKING_WAIT_MS: '2000' } })
  t.teardown(() => stack.stop({ graceMs: 5_000 }))
  const processes = [...stack.gateways, ...stack.workers]

  const tokens = (await signupMany(stack.url, 4)).map((u) => u.token)
  // One request per seat. Plain requests may wait in their gateway's line through the outage;
  // keyed ones are sent at once, so they meet it head on.
  const plainSeats = seatIds('P', 4_000)
  const keyedSeats = seatIds('K', 4_000)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...plainSeats, ...keyedSeats] })
  const loads = [
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: plainSeats, concurrency: 4 }),
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: keyedSeats, concurrency: 2, keyed: true }),
  ]
  const [plain, keyed] = loads as [SteadyLoad, SteadyLoad]
  // Both loads started together: one clock serves for both.
  const now = plain.now

  await sleep(2_500)
  const killAt = now()
  await redis.kill()
  await sleep(OUTAGE_MS / 2)
  const readyDuring = (await fetch(`${stack.url}/ready`).catch(() => ({ status: 'no answer' }))).status
  await sleep(OUTAGE_MS / 2)
  const restartAt = now()
  await redis.start()
  const backAt = now()
  const readyAt = await waitReady(stack.url, 15_000, now)
  // Long enough to see bookings flow again, and steady afterwards.
  await sleep(6_000)
  for (const load of loads) load.stop()
  // Every waiting client must get an answer: a bounded wait, so a hang fails rather than stalls.
  const finished = await Promise.race([Promise.all(loads.map((l) => l.done)).then(() => true), sleep(30_000, false, { ref: false })])
  t.ok(finished, 'every client waiting on an answer got one')
  const endAt = now()

  const answers: Answer[] = [...plain.answers, ...keyed.answers]
  const token = tokenOf(plainSeats, tokens)
  const keyedToken = tokenOf(keyedSeats, tokens)
  const tokenFor = (seatId: string) => seatId.startsWith('K') ? keyedToken(seatId) : token(seatId)
  const accepted = answers.filter((a) => a.status === 202)
  const ends = await pollAll(stack.url, accepted.map((a) => ({ requestId: a.body.requestId, token: tokenFor(a.seatId) })), 30_000, now)
  const endCounts = countStatuses([...ends.values()].map((e) => e.status))

  // Seats whose only request got 503, checked before anyone asks for them again.
  const unavailable = answers.filter((a) => a.status === 503)
  const firstAudit = await fullAudit(stack.db, event.id, new Set())
  const halfDone = unavailable.filter((a) => firstAudit.bookedSeats.has(a.seatId))
  // A keyed client told 503 retries with its key: the booking is made now, once.
  const keyed503 = unavailable.filter((a) => a.seatId.startsWith('K'))
  const retries = await inBatches(keyed503, 4, (a) => retryKeyed(stack.url, event.id, keyedToken(a.seatId), a.seatId, a.key))

  const told = new Set([...toldIn(answers), ...toldByPolls(ends.values()), ...toldIn(retries)])
  const audit = await fullAudit(stack.db, event.id, told)
  const resumed = [plain.firstBookedAfter(backAt), keyed.firstBookedAfter(backAt)].filter((a) => a !== undefined).sort((a, b) => a.answeredAt - b.answeredAt)[0]
  const resumeMs = resumed ? resumed.answeredAt - backAt : undefined
  const lastPollMs = Math.max(0, ...[...ends.values()].map((e) => e.at - backAt))
  const statuses = (from?: number, to?: number) => formatCounts(countStatuses(answers.filter((a) => a.sentAt >= (from ?? 0) && a.sentAt < (to ?? Infinity)).map((a) => a.status)))

  t.comment(`redis-restart: load at the fault: 6 requests in flight (4 plain, 2 keyed), ${rate(plain, killAt - 2_000, killAt) + rate(keyed, killAt - 2_000, killAt)} answers/s over the 2 s before`)
  t.comment(`redis-restart: redis down ${restartAt - killAt} ms (SIGKILL at ${killAt} ms, answering again at ${backAt} ms); /ready ${readyDuring} during, 200 again ${readyAt === undefined ? 'never' : `${readyAt - backAt} ms`} after`)
  t.comment(`redis-restart: bookings flowing again ${resumeMs === undefined ? 'never' : `${resumeMs} ms after redis was back`} (first 201 of a request sent after it)`)
  t.comment(`redis-restart: answers to requests sent during the fault [${killAt}, ${backAt}) ms: ${statuses(killAt, backAt)} (plain ${formatCounts(plain.statuses(killAt, backAt))}, keyed ${formatCounts(keyed.statuses(killAt, backAt))})`)
  t.comment(`redis-restart: answers overall (${answers.length} in ${endAt} ms): ${statuses()}; 202s polled to ${formatCounts(endCounts)}, the last final ${lastPollMs} ms after redis was back; keyed 503s retried with their key: ${formatCounts(countStatuses(retries.map((r) => r.status)))}`)
  t.comment(`redis-restart: audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, booked but never told = ${audit.untold.length}, still pending = ${audit.pending}`)

  const bad = badAnswers(answers, [201, 202, 503])
  t.equal(bad.length, 0, `only 201, 202 or 503 UNAVAILABLE with Retry-After; never a 500${bad.length ? `\n${sample(bad)}` : ''}`)
  t.equal(readyDuring, 503, 'the outage was real: /ready said 503 during it')
  t.ok([...ends.values()].every((e) => e.status === 'succeeded' || e.status === 'failed'), `every 202 polled to succeeded or failed (${formatCounts(endCounts)})`)
  t.ok(resumeMs !== undefined && resumeMs <= RESUME_BOUND_MS, `bookings flow again within 5 s of redis being back (${resumeMs} ms)`)
  t.ok(readyAt !== undefined, '/ready is 200 again')
  // Each seat was asked for once: a seat booked while its only request got 503 was half-done.
  t.same(halfDone.map((a) => a.seatId), [], 'a request answered 503 booked nothing')
  // Keyed requests go straight to the queue, so a 3 s outage meets some head on: without one
  // the check below holds for an empty list.
  t.ok(keyed503.some((a) => a.sentAt < backAt && a.answeredAt >= killAt), `the outage caught keyed requests: ${keyed503.length} answered 503`)
  t.ok(retries.every((r) => r.status === 201), `a keyed request told 503 books its seat when retried with its key (${formatCounts(countStatuses(retries.map((r) => r.status)))})`)
  t.same(audit.lost, [], 'lost = 0: every 201 and every succeeded poll is in the database')
  t.same(audit.doubled, [], 'doubled = 0: no seat has two active bookings')
  t.same(audit.untold, [], 'every active booking was told to its buyer')
  t.equal(audit.pending, 0, 'no request is left pending')
  t.ok(processes.every((p) => p.alive), `no Seatline process restarted or died: pids ${processes.map((p) => p.pid).join(', ')} all alive`)
  t.equal(stack.processes.length, processes.length, 'and none was started')
  t.notMatch(stack.output(), /exited \(/, 'no process exit in the log')
})
