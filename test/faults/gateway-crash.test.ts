/**
 * A gateway SIGKILLed under keyed load and restarted on its port: clients that lost their answer
 * retry with the same Idempotency-Key and get the one booking their key made; what the dead
 * gateway had sent to the queue still runs and is recorded.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { auditBookings } from '../harness/booking-audit.ts'
import { startStack } from '../harness/local-stack.ts'
import { steadyLoad } from '../harness/steady-load.ts'
import { call, createEvent, poll, seatIds, signupMany } from '../helpers/api.ts'
import { countBy, disagreements, formatCounts, inBatches, inFlightAt, logLines, type Outcome, rateBefore, tokenOf, until } from './process-kit.ts'

/** The worker's requeue sweeper sends again requests pending over 30 s, every 5 s: 40 s covers it. */
const SETTLE_MS = 40_000

t.test('a gateway SIGKILLed under keyed load: same-key retries end in one booking per key, nothing left pending', async (t) => {
  const stack = await startStack({ gateways: 2, workers: 2 })
  t.teardown(() => stack.stop())
  const tokens = (await signupMany(stack.url, 20)).map((u) => u.token)
  const seats = seatIds('S', 3000)
  const event = await createEvent(stack.url, tokens[0]!, { seats })
  const tokenFor = tokenOf(seats, tokens)
  // The load goes round robin over the two gateways by seat index: even seats go to gateway 0.
  const indexOf = new Map(seats.map((s, i) => [s, i]))
  const viaDead = (seatId: string) => indexOf.get(seatId)! % 2 === 0

  const load = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats, concurrency: 30, keyed: true })
  await until(() => load.answers.length >= 100, 30_000, '100 answers')
  const dead = stack.gateways[0]!
  const killedAt = load.now()
  await dead.kill('SIGKILL')
  // Clients keep calling the dead gateway's port meanwhile, and are refused.
  await sleep(500)
  await stack.restartGateway(0)
  const restartedAt = load.now()
  await load.done

  // Requests the dead gateway had accepted (their key claimed) before dying, and which of them
  // got a result with no client waiting for it: the worker records it whoever sent the job.
  const lostAnswers = load.answers.filter((a) => a.status === 0)
  const claimed = await stack.db.selectFrom('idempotency_keys as k').innerJoin('requests as r', 'r.id', 'k.request_id')
    .select(['k.key', 'r.status']).where('k.key', 'in', lostAnswers.length ? lostAnswers.map((a) => a.key) : ['none']).execute()

  // Every client without a definitive answer sends the same request again, same key and body,
  // through either gateway, until it gets one; each 201's booking id is kept per key.
  const told = new Map<string, Set<string>>()
  const tell = (key: string, status: number, body: any) => {
    if (status === 201) told.set(key, (told.get(key) ?? new Set()).add(body.bookingId))
  }
  for (const a of load.answers) tell(a.key, a.status, a.body)
  const deadline = Date.now() + SETTLE_MS
  const retryStatuses: number[] = []
  const send = (a: { seatId: string, key: string }, n: number) => call(stack.urls[n % 2]!, 'POST', `/v1/events/${event.id}/bookings`,
    { token: tokenFor(a.seatId), body: { seatIds: [a.seatId] }, headers: { 'idempotency-key': a.key } }).catch(() => undefined)
  // A 503 says "try again" (Retry-After): a gateway shedding load on a busy machine is allowed it.
  const retried = await inBatches(load.answers.filter((a) => a.status === 0 || a.status === 202 || a.status === 503), 10, async (a) => {
    for (let n = 0; ; n++) {
      const res = await send(a, n)
      const status = res?.status ?? 0
      retryStatuses.push(status)
      tell(a.key, status, res?.body)
      if (status === 201 || status === 409 || Date.now() >= deadline) return { ...a, status, body: res?.body, tries: n + 1 }
      await sleep(200)
    }
  })
  const finals = new Map(load.answers.map((a) => [a.key, a]))
  for (const r of retried) finals.set(r.key, { ...finals.get(r.key)!, status: r.status, body: r.body })

  // And once more for every key, answered or not: a replay must give the same booking.
  const replays = await inBatches(load.answers, 20, async (a) => {
    const res = await send(a, indexOf.get(a.seatId)! + 1)
    tell(a.key, res?.status ?? 0, res?.body)
    return res?.status ?? 0
  })

  const pendingLeft = await poll(async () => (await auditBookings(stack.db, event.id, [])).pending, (n) => n === 0, SETTLE_MS)
  const outcomes: Outcome[] = [...finals.values()].map((a) => ({
    seatId: a.seatId,
    status: a.status,
    final: a.status === 201 ? 'booked' : a.status === 409 ? 'refused' : 'error',
    bookingId: a.status === 201 ? a.body.bookingId : undefined,
    polled: false,
  }))
  const audit = await auditBookings(stack.db, event.id, outcomes.flatMap((o) => o.bookingId ? [o.bookingId] : []))
  const perSeat = await stack.db.selectFrom('booking_seats').select(['seat_id']).select((eb) => eb.fn.countAll<string>().as('n'))
    .where('event_id', '=', event.id).groupBy('seat_id').having((eb) => eb.fn.countAll(), '>', 1).execute()
  // Per key, the one request under it (the key's row names it) and the booking it recorded.
  const underKey = await stack.db.selectFrom('idempotency_keys as k').innerJoin('requests as r', 'r.id', 'k.request_id')
    .select(['k.key', 'r.status', 'r.result']).where(sql<string>`r.command ->> 'eventId'`, '=', event.id).execute()
  const recordedFor = new Map(underKey.map((row) => [row.key, (row.result as any)?.booking?.bookingId as string | undefined]))
  const deadAnswers = load.answers.filter((a) => viaDead(a.seatId))
  const firstBackThroughDead = deadAnswers.filter((a) => a.status === 201 && a.sentAt >= restartedAt).sort((a, b) => a.answeredAt - b.answeredAt)[0]

  t.comment(`load at the kill: ${inFlightAt(load, killedAt)} requests in flight (${deadAnswers.filter((a) => a.sentAt <= killedAt && a.answeredAt > killedAt).length} on the killed gateway), ` +
    `${rateBefore(load, killedAt)} answers/s in the second before`)
  t.comment(`bookings flowed again: first 201 sent after the kill answered at +${(load.firstBookedAfter(killedAt)?.answeredAt ?? NaN) - killedAt} ms (surviving gateway); ` +
    `killed gateway back on its port after ${restartedAt - killedAt} ms, its first 201 at +${(firstBackThroughDead?.answeredAt ?? NaN) - killedAt} ms`)
  t.comment(`answers sent while it was down [kill, restart): ${formatCounts(load.statuses(killedAt, restartedAt))}; overall first answers: ${formatCounts(load.statuses())}`)
  t.comment(`lost answers (status 0): ${lostAnswers.length}; of these the dead gateway had accepted ${claimed.length} ` +
    `(${claimed.filter((c) => c.status !== 'pending').length} already recorded before any retry); ` +
    `retries: ${retried.length} clients, ${retryStatuses.length} calls, ${formatCounts(countBy(retryStatuses, (s) => s))}; replay of every key: ${formatCounts(countBy(replays, (s) => s))}`)
  t.comment(`final per key: ${formatCounts(countBy(outcomes, (o) => o.final))}; pending left: ${pendingLeft}`)
  t.comment(`audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, pending = ${audit.pending}`)

  const shed = logLines(stack, 'shedding requests')
  if (shed.length > 0) t.comment(`a gateway shed requests (the machine was busy):\n${shed.slice(0, 10).join('\n')}`)

  t.ok(lostAnswers.length > 0, 'the kill cost some clients their answer')
  t.same(lostAnswers.filter((a) => !viaDead(a.seatId)).map((a) => a.seatId), [], 'only clients of the killed gateway lost theirs')
  const shedding = (a: typeof load.answers[number]) => a.status === 503 && a.body?.code === 'OVERLOADED' && Number(a.retryAfter) >= 1
  t.same(load.answers.filter((a) => ![0, 201, 202].includes(a.status) && !shedding(a)).map((a) => `${a.seatId} ${a.status} ${a.body?.detail ?? ''}`), [],
    'first answers are 201, 202, no answer from the dead gateway, or a shed 503 OVERLOADED with Retry-After: no other 5xx')
  t.ok(load.answers.filter(shedding).length === 0 || shed.length > 0, 'a shed request is logged with the guard that shed it')
  t.same(outcomes.filter((o) => o.final === 'error').map((o) => `${o.seatId} ${o.status}`), [], 'every key ends definitively: 201 or 409')
  t.same([...told].filter(([, ids]) => ids.size !== 1).map(([key, ids]) => `${key}: ${[...ids].join(', ')}`), [], 'every 201 for one key names the same booking')
  t.same(replays.filter((s) => s !== 201), [], 'a replay of every key answers 201 again')
  t.same(perSeat, [], 'no seat has a second booking, active or not')
  t.equal(underKey.length, load.answers.length, 'every key names one request of the event')
  t.same([...told].filter(([key, ids]) => recordedFor.get(key) !== [...ids][0]).map(([key]) => key), [], "each key's request recorded the booking its client was told")
  t.same(await disagreements(stack.db, event.id, outcomes), [], 'each key has one request record, holding the booking its client was told')
  t.same(audit.lost, [], 'lost = 0')
  t.same(audit.doubled, [], 'doubled = 0')
  t.equal(pendingLeft, 0, 'no request of the event left pending: the dead gateway\'s jobs were recorded')
})
