/**
 * Planned stops under load: a gateway told SIGTERM answers what it holds and exits cleanly, and
 * every worker can be restarted in turn without a single request failing.
 */
import { connect } from 'node:net'
import { partitionOf } from '@seatline/queue'
import t from 'tap'
import { auditBookings } from '../harness/booking-audit.ts'
import { startStack } from '../harness/local-stack.ts'
import { steadyLoad } from '../harness/steady-load.ts'
import { createEvent, seatIds, signupMany } from '../helpers/api.ts'
import {
  blockedBy, bookOne, countBy, disagreements, formatCounts, holdSeat, inFlightAt, latencies, logLines, longestSilence, rateBefore, settleAnswers, sleep,
  tokenOf, until,
} from './process-kit.ts'

const PARTITIONS = 4
/** The gateway's drain (apps/gateway/src/server.ts): on SIGTERM nobody waits longer than this. */
const SHUTDOWN_ANSWER_MS = 2_000
/**
 * How long the exit may take: 3x the drain, room for closing Redis and Postgres clients on a
 * shared 2-core machine, and still short of close-with-grace's 10 s, after which the gateway is
 * killed by timeout (a kept-alive socket holding the server open would take that long).
 */
const EXIT_BOUND_MS = 3 * SHUTDOWN_ANSWER_MS

/** Resolves with the error code of a fresh TCP connection to `url`'s port, or 'connected'. */
function tryConnect (url: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}

t.test('SIGTERM on a gateway under load: it refuses new connections, answers what it holds, exits 0', async (t) => {
  const stack = await startStack({ gateways: 2, workers: 2 })
  t.teardown(() => stack.stop())
  const [doomedUrl, survivorUrl] = stack.urls as [string, string]
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)
  const seats = seatIds('S', 1500)
  const candidates = seatIds('H', 20)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...seats, ...candidates] })
  // Two seats on different partitions: their bookings are held in flight by row locks, one let
  // go inside the drain (answered 201), one after it (answered 202, then polled).
  const partition = (seatId: string) => partitionOf(`${event.id}:${seatId}`, PARTITIONS)
  const fast = candidates[0]!
  const slow = candidates.find((s) => partition(s) !== partition(fast))!

  let urls = [doomedUrl, survivorUrl]
  const load = steadyLoad({ urls: () => urls, eventId: event.id, tokens, seats, concurrency: 30 })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')

  const [fastHold, slowHold] = await Promise.all([holdSeat(stack.db, event.id, fast), holdSeat(stack.db, event.id, slow)])
  t.teardown(() => Promise.all([fastHold.release(), slowHold.release()]))
  const held = [fast, slow].map((seatId, i) => bookOne(load, doomedUrl, event.id, tokens[i]!, seatId))
  await until(async () => await blockedBy(stack.db, [fastHold.pid, slowHold.pid]) >= 2, 10_000, 'both held bookings to wait on their rows', 20)

  // As a load balancer would, new requests go to the other gateway first; then, once everything
  // already sent to this one has reached it, it is told to stop.
  urls = [survivorUrl]
  const swappedAt = load.now()
  await sleep(100)
  const doomed = stack.gateways[0]!
  const termAt = load.now()
  const termWall = Date.now()
  doomed.process.kill('SIGTERM')
  const exited = doomed.exited.then((exit) => ({ ...exit, ms: Date.now() - termWall }))
  await sleep(200)
  const probe = await tryConnect(doomedUrl)
  await sleep(Math.max(0, termWall + 1_000 - Date.now()))
  await fastHold.release()
  await sleep(Math.max(0, termWall + SHUTDOWN_ANSWER_MS + 1_000 - Date.now()))
  await slowHold.release()
  const exit = await exited
  const [fastAnswer, slowAnswer] = await Promise.all(held)
  await load.done

  // Before the switch the load went round robin by seat index: even seats to gateway 0.
  const indexOf = new Map(seats.map((s, i) => [s, i]))
  const onDoomed = [...load.answers.filter((a) => a.sentAt < swappedAt && indexOf.get(a.seatId)! % 2 === 0), fastAnswer!, slowAnswer!]
  const heldAtTerm = onDoomed.filter((a) => a.answeredAt > termAt)
  const answers = [...load.answers, fastAnswer!, slowAnswer!]
  const tokenFor = (seatId: string) => seatId === fast ? tokens[0]! : seatId === slow ? tokens[1]! : tokenOf(seats, tokens)(seatId)
  const outcomes = await settleAnswers(answers, () => survivorUrl, tokenFor, 20_000)
  const inFlightAtTerm = answers.filter((a) => a.sentAt <= termAt && a.answeredAt > termAt)
  const audit = await auditBookings(stack.db, event.id, outcomes.flatMap((o) => o.bookingId ? [o.bookingId] : []))

  t.comment(`load at SIGTERM: ${inFlightAt(load, termAt) + 2} requests in flight in the stack, ${rateBefore(load, termAt)} answers/s in the second before; ` +
    `${inFlightAtTerm.length} unanswered at SIGTERM, ${heldAtTerm.length} of them on gateway 0 (2 held there on purpose)`)
  t.comment(`gateway 0 exited ${exit.signal ?? `code ${exit.code}`} ${exit.ms} ms after SIGTERM; a new connection to it 200 ms in: ${probe}; ` +
    `held bookings answered ${fastAnswer!.status} at +${fastAnswer!.answeredAt - termAt} ms and ${slowAnswer!.status} at +${slowAnswer!.answeredAt - termAt} ms`)
  for (const line of logLines(stack, 'killed by timeout')) t.comment(`gateway log: ${line}`)
  t.comment(`bookings flowed again: longest silence after SIGTERM ${longestSilence(load.answers, termAt).ms} ms; first 201 sent after it answered at +${(load.firstBookedAfter(termAt)?.answeredAt ?? NaN) - termAt} ms`)
  t.comment(`answers of requests in flight at SIGTERM: on gateway 0 ${formatCounts(countBy(heldAtTerm, (a) => a.status))}, ` +
    `in the stack ${formatCounts(countBy(inFlightAtTerm, (a) => a.status))}; overall: ${formatCounts(countBy(answers, (a) => a.status))}; ` +
    `final: ${formatCounts(countBy(outcomes, (o) => o.final))} (${outcomes.filter((o) => o.polled).length} polled)`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  // Answers sent while draining close their connection, so no kept-alive socket holds it open.
  t.equal(exit.code, 0, 'gateway 0 exits with code 0')
  t.ok(exit.ms < EXIT_BOUND_MS, `within 3x the ${SHUTDOWN_ANSWER_MS} ms drain, ${EXIT_BOUND_MS} ms (${exit.ms} ms)`)
  t.equal(probe, 'ECONNREFUSED', 'it stops accepting new connections at once')
  t.equal(fastAnswer!.status, 201, 'a booking that finishes within the drain is answered 201')
  t.equal(slowAnswer!.status, 202, 'one still running at the end of the drain is answered 202')
  t.ok(heldAtTerm.length > 2, `more requests than the two held were in flight on gateway 0 at SIGTERM (${heldAtTerm.length})`)
  t.same(heldAtTerm.filter((a) => ![201, 202, 409].includes(a.status)).map((a) => `${a.seatId} ${a.status}`), [],
    'every request gateway 0 held at SIGTERM got an answer from it: no reset, no 5xx')
  t.same(inFlightAtTerm.filter((a) => ![201, 202, 409].includes(a.status)).map((a) => `${a.seatId} ${a.status}`), [],
    'so did every request in flight in the stack')
  t.same(answers.filter((a) => a.status === 0 || a.status >= 500).map((a) => `${a.seatId} ${a.status}`), [], 'no request of the whole run was reset or got a 5xx')
  t.same(outcomes.filter((o) => o.final !== 'booked').map((o) => `${o.seatId} ${o.status} ${o.final}`), [], 'every request ends booked, 202s once polled')
  t.same(audit.lost, [], 'lost = 0')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(audit.pending, 0, 'no request left pending')
  t.same(await disagreements(stack.db, event.id, outcomes), [], 'each request record holds what its client was told')
})

t.test('rolling restart of every worker under load: not one request fails', async (t) => {
  const stack = await startStack({ workers: 3 })
  t.teardown(() => stack.stop())
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)
  // More seats than the restarts need: the load is stopped once they are over.
  const seats = seatIds('S', 8000)
  const event = await createEvent(stack.url, tokens[0]!, { seats })
  const load = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats, concurrency: 20 })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')

  const startedAt = load.now()
  const steps: string[] = []
  for (const worker of [...stack.workers]) {
    const from = load.now()
    const exit = await worker.kill('SIGTERM')
    const exitedAt = load.now()
    const replacement = await stack.startWorker()
    steps.push(`worker ${worker.pid} exited ${exit.signal ?? `code ${exit.code}`} in ${exitedAt - from} ms, replacement ${replacement.pid} ready ${load.now() - exitedAt} ms later`)
    t.equal(exit.code, 0, `worker ${worker.pid} exits 0 on SIGTERM`)
  }
  const endedAt = load.now()
  await sleep(500)
  load.stop()
  await load.done

  const outcomes = await settleAnswers(load.answers, () => stack.url, tokenOf(seats, tokens), 20_000)
  const during = load.answers.filter((a) => a.sentAt >= startedAt && a.sentAt < endedAt)
  const lat = latencies(during)
  const asked = new Set(load.answers.map((a) => a.seatId))
  const audit = await auditBookings(stack.db, event.id, outcomes.flatMap((o) => o.bookingId ? [o.bookingId] : []))

  for (const step of steps) t.comment(step)
  t.comment(`load at the first SIGTERM: ${inFlightAt(load, startedAt)} requests in flight, ${rateBefore(load, startedAt)} answers/s in the second before`)
  t.comment(`during the restarts (${endedAt - startedAt} ms): ${lat.n} requests, ${formatCounts(countBy(during, (a) => a.status))}; ` +
    `latency p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms; longest silence ${longestSilence(load.answers, startedAt).ms} ms`)
  t.comment(`overall: ${load.answers.length} requests, ${formatCounts(load.statuses())}; final: ${formatCounts(countBy(outcomes, (o) => o.final))}`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  t.ok(load.answers.some((a) => a.sentAt >= endedAt), 'the load ran throughout the restarts')
  t.same(load.answers.filter((a) => a.status !== 201 && a.status !== 202).map((a) => `${a.seatId} ${a.status}`), [], 'zero failed requests: every answer 201 or 202, none 5xx, none dropped')
  t.same(outcomes.filter((o) => o.final !== 'booked').map((o) => `${o.seatId} ${o.status} ${o.final}`), [], 'every request ends booked, 202s once polled')
  t.same(audit.lost, [], 'lost = 0')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(audit.pending, 0, 'no request left pending')
  t.equal(audit.bookedSeats.size, asked.size, 'one booking per seat asked for')
  t.same(await disagreements(stack.db, event.id, outcomes), [], 'each request record holds what its client was told')
})
