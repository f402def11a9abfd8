/**
 * Worker processes dying, freezing and stalling under load: a dead worker's jobs come back within
 * the job lock plus a stalled check, a frozen one's late run changes nothing, and a worker merely
 * waiting on Postgres keeps its job.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { partitionOf } from '@seatline/queue'
import { sql } from 'kysely'
import t from 'tap'
import { auditBookings } from '../harness/booking-audit.ts'
import { startStack } from '../harness/local-stack.ts'
import { steadyLoad } from '../harness/steady-load.ts'
import { call, createEvent, seatIds, signupMany } from '../helpers/api.ts'
import {
  type ActiveJob, activeJobFor, blockedBy, bookOne, countBy, disagreements, formatCounts, holdRequest, holdSeat, inFlightAt, latencies, logLines,
  longestSilence, rateBefore, pinSeat, recordQueueEvents, settleAnswers, sleep, tokenOf, until, watchJobs,
} from './process-kit.ts'

// The stack's defaults (packages/config): the job lock, renewed every half of it while the
// worker's event loop runs, and how often a live worker looks for jobs whose lock ran out.
const JOB_LOCK_MS = 2_500
const STALLED_CHECK_MS = 1_000
const PARTITIONS = 4
/** The protocol's promise: a dead or frozen worker's job is taken back within its lock and one stalled check. */
const TAKE_BACK_MS = JOB_LOCK_MS + STALLED_CHECK_MS
/**
 * What the tests hold it to: 3x the promise, for a machine of 2 cores shared with other tests,
 * where a GC pause or a busy neighbour costs seconds (seen at a load average of 8 to 12: jobs
 * taken back 2.5 to 3.4 s after the kill or freeze). A job left to BullMQ's defaults (a 30 s
 * lock, a 30 s check) still fails it; how fast it really is goes to the comments and the benchmarks.
 */
const TAKE_BACK_BOUND_MS = 3 * TAKE_BACK_MS
/** A worker waiting for work looks again after drainDelay (the stalled check, 1 s; BullMQ's default is 5 s): 3x that. */
const WAKE_UP_BOUND_MS = 3 * STALLED_CHECK_MS

/** The process state letter from /proc: 'T' while stopped by SIGSTOP. */
function procState (pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!
}

t.test('a worker SIGKILLed mid-job: its jobs are taken back within lock + stalled check, nothing lost or doubled', async (t) => {
  const stack = await startStack({ workers: 1 })
  t.teardown(() => stack.stop())
  const watch = watchJobs(stack, PARTITIONS)
  t.teardown(() => watch.close())
  const log = recordQueueEvents(stack, PARTITIONS)
  t.teardown(() => log.stop())
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)

  // A lock token starts with the id of the BullMQ worker holding the job (one per partition per
  // process). Learnt while the first worker runs alone, these ids later say which process holds
  // a job, so the kill can be aimed at a process that is in the middle of one.
  const warmSeats = seatIds('W', 1000)
  const warmEvent = await createEvent(stack.url, tokens[0]!, { seats: warmSeats })
  const warm = steadyLoad({ urls: () => stack.urls, eventId: warmEvent.id, tokens, seats: warmSeats, concurrency: 40 })
  const firstIds = await watch.learnWorkerIds(10_000)
  warm.stop()
  await warm.done
  const first = stack.workers[0]!
  const second = await stack.startWorker()
  const holderOf = (job: ActiveJob) => firstIds.get(job.partition) === job.workerId ? first : second

  const seats = seatIds('S', 1200)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...seats, 'X1'] })
  const load = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats, concurrency: 40 })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')

  // The kill must land mid-job: a booking of X1, whose seat lock the test holds, keeps its
  // worker inside that job (retrying the lock) until that worker is killed; the pin then goes.
  const pin = await pinSeat(watch, stack, event.id, 'X1')
  const xReply = bookOne(load, stack.url, event.id, tokens[0]!, 'X1')
  const pinned = await activeJobFor(watch, 'X1')
  const victim = holderOf(pinned)
  victim.process.kill('SIGKILL')
  const killedAt = load.now()
  const killedWall = Date.now()
  await victim.exited
  await pin.release()
  // Once it is gone nothing it holds can change: these jobs are the ones it died holding (the
  // pinned one, and whatever else it had in hand on other partitions).
  const orphans = (await watch.active()).filter((j) => j.workerId && holderOf(j) === victim)
  t.ok(orphans.some((j) => j.jobId === pinned.jobId), `the kill landed mid-job: the dead worker held ${orphans.length} job(s), the X1 booking's among them`)

  const finishedAt = (jobId: string) => log.of(jobId).find((e) => (e.event === 'completed' || e.event === 'failed') && e.at >= killedWall)?.at
  await until(() => orphans.every((j) => finishedAt(j.jobId)), 20_000, "the dead worker's jobs to finish", 20)
  const takenBackMs = Math.max(...orphans.map((j) => finishedAt(j.jobId)!)) - killedWall
  t.same(orphans.filter((j) => log.of(j.jobId, 'stalled').length === 0).map((j) => j.jobId), [], 'each was taken back by a stalled check')
  t.same(orphans.filter((j) => !log.of(j.jobId, 'completed').length).map((j) => j.jobId), [], 'and completed')
  t.comment(`the dead worker's jobs finished ${takenBackMs} ms after the kill (promise ${TAKE_BACK_MS} ms: ${JOB_LOCK_MS} lock + ${STALLED_CHECK_MS} check)`)
  t.ok(takenBackMs < TAKE_BACK_BOUND_MS, `and finished by the other worker within 3x lock + check (${TAKE_BACK_BOUND_MS} ms): ${takenBackMs} ms after the kill`)

  await load.done
  const x = await xReply
  // Jobs the dead worker never held, on partitions where it held nothing, should not have waited
  // at all; one that waited seconds lost its wake-up to the dying worker (see below).
  await log.caughtUp()
  const orphanPartitions = new Set(orphans.map((j) => j.partition))
  const lostWakeUps = log.events.filter((e) => e.event === 'added' && e.at >= killedWall - 1_000 && !orphanPartitions.has(e.partition))
    .map((added) => ({ added, started: log.of(added.jobId, 'active')[0] }))
    .filter(({ added, started }) => started && log.of(added.jobId, 'stalled').length === 0 && started.at - added.at > WAKE_UP_BOUND_MS)
    .map(({ added, started }) => `partition ${added.partition} job ${added.jobId} added at ${added.at - killedWall} ms, started at +${started!.at - killedWall} ms, never taken back`)
  const outcomes = await settleAnswers([...load.answers, x], () => stack.url, (seatId) => seatId === 'X1' ? tokens[0]! : tokenOf(seats, tokens)(seatId), 20_000)
  const silence = longestSilence(load.answers, killedAt)
  const firstBooked = load.firstBookedAfter(killedAt)
  const lat = latencies(load.answers)
  const audit = await auditBookings(stack.db, event.id, outcomes.flatMap((o) => o.bookingId ? [o.bookingId] : []))

  t.comment(`load at the kill: ${inFlightAt(load, killedAt)} requests in flight, ${rateBefore(load, killedAt)} answers/s in the second before; ` +
    `worker ${victim.pid} killed holding ${orphans.length} job(s) on partition(s) ${orphans.map((j) => j.partition).join(',')}`)
  t.comment(`bookings flowed again: the dead worker's jobs finished ${takenBackMs} ms after the kill; longest silence after it ${silence.ms} ms ` +
    `(ended at +${silence.endedAt - killedAt} ms); first 201 sent after it answered at +${firstBooked ? firstBooked.answeredAt - killedAt : 'never'} ms`)
  t.comment(`answers sent in the fault window [kill, kill + ${TAKE_BACK_MS} ms): ${formatCounts(load.statuses(killedAt, killedAt + TAKE_BACK_MS))}; ` +
    `overall: ${formatCounts(load.statuses())} + X1 ${x.status}; final: ${formatCounts(countBy(outcomes, (o) => o.final))}`)
  t.comment(`latency over ${lat.n} requests: p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms`)
  for (const line of lostWakeUps) t.comment(`waited with no worker on it: ${line}`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  t.same(outcomes.filter((o) => o.final !== 'booked'), [], 'every request ends booked (201, or 202 polled to succeeded): its seat was nobody else\'s')
  t.same(load.answers.filter((a) => a.status === 0 || a.status >= 500).map((a) => `${a.seatId} ${a.status}`), [], 'no 5xx, no dropped connection')
  t.ok(silence.ms < TAKE_BACK_BOUND_MS, `the load never stood still for 3x lock + check, ${TAKE_BACK_BOUND_MS} ms (longest ${silence.ms} ms)`)
  // A request caught in the dead job was sent up to one normal latency (p99 under 0.5 s here)
  // before the kill, then waits out the lock and the check: about 5 s, held to 3x that. Past it
  // a client was left hanging (the gateway answers 202 after BOOKING_WAIT_MS, 10 s, at the latest).
  t.ok(lat.max < 3 * 5_000, `no answer took 15 s (longest ${lat.max} ms)`)
  // A worker killed while blocked waiting for work can take the wake-up of a job added in that
  // instant; the others look again after drainDelay (set to the stalled check), not BullMQ's 5 s.
  t.same(lostWakeUps, [], `no job the dead worker never held waited over ${WAKE_UP_BOUND_MS} ms for a worker`)
  t.same(audit.lost, [], 'lost = 0')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(audit.pending, 0, 'no request left pending')
  t.same(await disagreements(stack.db, event.id, outcomes), [], "each seat's record (or, for a plain request, its booking) holds what its client was told, and nothing else is booked")

  // A replacement joins and the stack carries on at full strength.
  const replacement = await stack.startWorker()
  const moreSeats = seatIds('R', 300)
  const more = await createEvent(stack.url, tokens[0]!, { seats: moreSeats })
  const after = steadyLoad({ urls: () => stack.urls, eventId: more.id, tokens, seats: moreSeats, concurrency: 40 })
  await after.done
  const afterLat = latencies(after.answers)
  t.comment(`after the replacement (pid ${replacement.pid}) joined: ${formatCounts(after.statuses())}, p99 ${afterLat.p99} ms, max ${afterLat.max} ms`)
  t.same(after.statuses(), { 201: moreSeats.length }, 'with a replacement worker every booking is a 201 again')
})

t.test('a frozen worker loses its job to the other worker, and its late run changes nothing', async (t) => {
  // One partition: one job runs at a time in the whole stack, so the job the test pins is the
  // only one in hand and the load waits behind it.
  const stack = await startStack({ workers: 1, env: { QUEUE_PARTITIONS: '1' } })
  t.teardown(() => stack.stop())
  const watch = watchJobs(stack, 1)
  t.teardown(() => watch.close())
  const log = recordQueueEvents(stack, 1)
  t.teardown(() => log.stop())
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)

  const warmSeats = seatIds('W', 1000)
  const warmEvent = await createEvent(stack.url, tokens[0]!, { seats: warmSeats })
  const warm = steadyLoad({ urls: () => stack.urls, eventId: warmEvent.id, tokens, seats: warmSeats, concurrency: 30 })
  const firstIds = await watch.learnWorkerIds(10_000)
  warm.stop()
  await warm.done
  const first = stack.workers[0]!
  const second = await stack.startWorker()
  const holderOf = (job: ActiveJob) => firstIds.get(0) === job.workerId ? first : second

  const seats = seatIds('S', 800)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...seats, 'X1'] })
  const load = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats, concurrency: 30 })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')

  // How the freeze is made to land mid-job, deterministically: the test takes X1's seat lock in
  // Redis as another owner would, then books X1. Whichever worker takes that job stays inside it,
  // retrying the lock, before writing anything; its lock token says which process it is, and
  // that one is frozen. The seat lock is then let go, so the job can run elsewhere.
  const pin = await pinSeat(watch, stack, event.id, 'X1')
  const xKey = randomUUID()
  const xReply = bookOne(load, stack.url, event.id, tokens[0]!, 'X1', xKey)
  const pinned = await activeJobFor(watch, 'X1')
  const holder = holderOf(pinned)
  const other = holder === first ? second : first
  holder.process.kill('SIGSTOP')
  const frozenWall = Date.now()
  const frozenAt = load.now()
  // stop() sends SIGTERM, which a stopped process would never act on.
  t.teardown(() => { if (holder.alive) holder.process.kill('SIGCONT') })
  const stillHeld = (await watch.active()).find((j) => j.jobId === pinned.jobId)
  t.equal(stillHeld?.token, pinned.token, `worker ${holder.pid} is frozen holding job ${pinned.jobId}`)
  await pin.release()

  await until(() => log.of(pinned.jobId, 'completed').length > 0, 15_000, 'the frozen job to be run elsewhere', 20)
  const done = log.of(pinned.jobId, 'completed')[0]!
  const takenBackMs = done.at - frozenWall
  t.equal(procState(holder.pid), 'T', `the job completed ${takenBackMs} ms into the freeze, the frozen worker still stopped: worker ${other.pid} ran it`)
  const stalls = log.of(pinned.jobId, 'stalled').length
  t.ok(stalls >= 1, 'a stalled check took it back')
  t.comment(`the frozen job completed elsewhere ${takenBackMs} ms into the freeze (promise ${TAKE_BACK_MS} ms: ${JOB_LOCK_MS} lock + ${STALLED_CHECK_MS} check)`)
  t.ok(takenBackMs < TAKE_BACK_BOUND_MS, `within 3x lock + check, ${TAKE_BACK_BOUND_MS} ms (${takenBackMs} ms)`)
  const ranElsewhere = JSON.parse(done.fields.returnvalue ?? '[]')[0]
  t.match(ranElsewhere, { ok: true, kind: 'booking', booking: { seatIds: ['X1'] } }, 'and booked X1')

  // What the database says before the frozen worker wakes, to compare with after.
  const snapshot = async () => ({
    record: await stack.db.selectFrom('requests').select(['id', 'status', 'result', 'completed_at'])
      .where(sql<string>`command ->> 'eventId'`, '=', event.id).where(sql<string>`command -> 'seatIds' ->> 0`, '=', 'X1').execute(),
    seat: await stack.db.selectFrom('seats').selectAll().where('event_id', '=', event.id).where('seat_id', '=', 'X1').execute(),
    bookings: await stack.db.selectFrom('booking_seats').selectAll().where('event_id', '=', event.id).where('seat_id', '=', 'X1').execute(),
  })
  const before = await snapshot()

  // To catch the late run in the act, the test holds X1's request record (X1's request is keyed),
  // which any run of X1's command locks once it holds the seat: a statement waiting on it after
  // the wake-up can only be the woken worker's.
  const { requestId: xRequestId } = await stack.db.selectFrom('idempotency_keys').select('request_id as requestId').where('key', '=', xKey).executeTakeFirstOrThrow()
  const recordHold = await holdRequest(stack.db, xRequestId)
  t.teardown(() => recordHold.release())

  await sleep(Math.max(0, frozenWall + 2 * JOB_LOCK_MS - Date.now()))
  holder.process.kill('SIGCONT')
  const resumedAt = load.now()
  await until(async () => await blockedBy(stack.db, [recordHold.pid]) > 0, 10_000, "the woken worker's late run to reach Postgres", 10)
  const lateRunAt = load.now()
  t.pass(`${lateRunAt - resumedAt} ms after waking, the woken worker's late run of X1 reached Postgres`)
  await recordHold.release()

  const x = await xReply
  const xOutcome = (await settleAnswers([x], () => stack.url, () => tokens[0]!, 15_000))[0]!
  t.equal(xOutcome.final, 'booked', `the X1 buyer is told booked (HTTP ${x.status})`)
  t.equal(xOutcome.bookingId, ranElsewhere.booking.bookingId, 'with the booking the other worker made')

  // The woken worker goes on with the job it no longer owns (it was waiting for the seat lock):
  // it runs X1's booking again under a fresh seat lock, finds the result recorded and replays
  // it, and its completion is refused for want of the job's lock. It fetches a job only when
  // done with that one, so seeing it hold a job again means its late run is over.
  const tailSeats = seatIds('T', 600)
  const tailEvent = await createEvent(stack.url, tokens[0]!, { seats: tailSeats })
  const tail = steadyLoad({ urls: () => stack.urls, eventId: tailEvent.id, tokens, seats: tailSeats, concurrency: 30 })
  let backAtWork = false
  while (!backAtWork && tail.answers.length < tailSeats.length) {
    backAtWork = (await watch.active()).some((j) => j.workerId && holderOf(j) === holder)
  }
  await Promise.all([load.done, tail.done])
  t.ok(backAtWork, `worker ${holder.pid} was back at work after waking`)
  t.same(await snapshot(), before, "the woken worker's late run changed nothing: X1's record, seat row and booking are as the other worker left them")

  const outcomes = await settleAnswers(load.answers, () => stack.url, tokenOf(seats, tokens), 20_000)
  const all = [...outcomes, xOutcome]
  const silence = longestSilence(load.answers, frozenAt)
  const firstBooked = load.firstBookedAfter(frozenAt)
  const audit = await auditBookings(stack.db, event.id, all.flatMap((o) => o.bookingId ? [o.bookingId] : []))
  t.comment(`load at the freeze: ${inFlightAt(load, frozenAt)} requests in flight, ${rateBefore(load, frozenAt)} answers/s in the second before; ` +
    `worker ${holder.pid} frozen ${resumedAt - frozenAt} ms (2 x JOB_LOCK_MS) holding job ${pinned.jobId}`)
  t.comment(`bookings flowed again: the frozen job finished on worker ${other.pid} ${takenBackMs} ms into the freeze (taken back ${stalls} time(s), started ${log.of(pinned.jobId, 'active').length} times); ` +
    `longest silence after the freeze ${silence.ms} ms; first 201 sent after it answered at +${firstBooked ? firstBooked.answeredAt - frozenAt : 'never'} ms`)
  t.comment(`answers sent during the freeze [freeze, resume): ${formatCounts(load.statuses(frozenAt, resumedAt))}; overall: ${formatCounts(load.statuses())} + X1 ${x.status}; ` +
    `final: ${formatCounts(countBy(all, (o) => o.final))}`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  t.same(all.filter((o) => o.final !== 'booked'), [], 'every request ends booked')
  t.same(load.answers.filter((a) => a.status === 0 || a.status >= 500).map((a) => `${a.seatId} ${a.status}`), [], 'no 5xx, no dropped connection')
  t.same(audit.lost, [], 'lost = 0: every told booking is there')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(audit.pending, 0, 'no request left pending')
  t.same(await disagreements(stack.db, event.id, all), [], "each request's record (or, for a plain request, its booking) is what its client was told, once")
})

t.test('a long Postgres stall is not taken for death: the job keeps its lock and runs once', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const log = recordQueueEvents(stack, PARTITIONS)
  t.teardown(() => log.stop())
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)
  const seats = seatIds('S', 800)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...seats, 'X1'] })
  const load = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats, concurrency: 20 })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')

  // The test's own transaction holds X1's row, as a slow statement or a vacuum might.
  const rowHold = await holdSeat(stack.db, event.id, 'X1')
  t.teardown(() => rowHold.release())

  const book = (token: string, key: string) => call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: ['X1'] }, headers: { 'idempotency-key': key } })
  const key = randomUUID()
  const firstReply = book(tokens[1]!, key)
  await until(async () => await blockedBy(stack.db, [rowHold.pid]) > 0, 10_000, 'the X1 booking to wait on the row lock', 20)
  const stalledAt = load.now()
  // A rival for the same seat: same partition, so it can only run once the first job has ended.
  const rivalReply = book(tokens[2]!, randomUUID())
  await sleep(3 * JOB_LOCK_MS)
  const releasedAt = load.now()
  await rowHold.release()
  const [first, rival] = await Promise.all([firstReply, rivalReply])
  const firstAnsweredAt = load.now()
  await load.done

  const { requestId } = await stack.db.selectFrom('idempotency_keys').select('request_id as requestId').where('key', '=', key).executeTakeFirstOrThrow()
  await log.caughtUp()
  const jobId = `req-${requestId}`
  const starts = log.of(jobId, 'active')
  const stalled = log.events.filter((e) => e.event === 'stalled')
  const failed = log.events.filter((e) => e.event === 'failed')
  const failedLines = logLines(stack, 'job failed', 'stalled')
  const outcomes = await settleAnswers(load.answers, () => stack.url, tokenOf(seats, tokens), 20_000)
  const xBooked = await stack.db.selectFrom('booking_seats').select('booking_id').where('event_id', '=', event.id).where('seat_id', '=', 'X1').execute()
  const audit = await auditBookings(stack.db, event.id, [...outcomes.flatMap((o) => o.bookingId ? [o.bookingId] : []), first.body?.bookingId])
  const lat = latencies(load.answers)

  t.comment(`load at the stall: ${inFlightAt(load, stalledAt)} requests in flight, ${rateBefore(load, stalledAt)} answers/s in the second before; ` +
    `X1's row held ${releasedAt - stalledAt} ms (3 x JOB_LOCK_MS) while its booking waited on it`)
  t.comment(`bookings flowed again: X1 answered ${first.status} ${firstAnsweredAt - releasedAt} ms after the row was let go; the rival ${rival.status}; ` +
    `the X1 job started ${starts.length} time(s) (partition ${starts[0]?.partition}, expected ${partitionOf(`${event.id}:X1`, PARTITIONS)}); ` +
    `stalled events in the run: ${stalled.length}, failed attempts: ${failed.length}`)
  t.comment(`answers sent during the stall: ${formatCounts(load.statuses(stalledAt, releasedAt))}; overall: ${formatCounts(load.statuses())}; ` +
    `latency p99 ${lat.p99} ms, max ${lat.max} ms`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  t.equal(first.status, 201, 'the stalled booking is answered 201')
  t.equal(rival.status, 409, 'the rival is told the seat is taken')
  t.same(xBooked, [{ booking_id: first.body?.bookingId }], 'X1 is booked once, to the first buyer')
  t.equal(starts.length, 1, 'its job started once')
  t.same(log.of(jobId, 'completed').length, 1, 'and completed once')
  t.same(stalled, [], 'no job of any partition was taken back during the stall')
  t.same(failed, [], 'no attempt of any job failed')
  t.same(failedLines, [], "no 'job failed' or 'stalled' lines in the workers' logs")
  t.same(outcomes.filter((o) => o.final !== 'booked'), [], 'every load request ends booked')
  t.same(load.answers.filter((a) => a.status === 0 || a.status >= 500).map((a) => `${a.seatId} ${a.status}`), [], 'no 5xx, no dropped connection')
  t.same(audit.lost, [], 'lost = 0')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(audit.pending, 0, 'no request left pending')
})
