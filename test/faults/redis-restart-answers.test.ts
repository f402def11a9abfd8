/**
 * The buyer's view of a Redis restart: 32 buyers book with Idempotency-Keys, poll every 202 and
 * retry every 503 after its Retry-After, as a real client does, while Redis (with its AOF, so
 * nothing is lost) is shut down for 3 s and started again, three times over. The promise: every
 * buyer has a final answer (booked, or refused and why) within 10 s of Redis answering again.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { startPrivateRedis } from '../harness/private-redis.ts'
import { call, createEvent, seatIds, signupMany } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import { bookedTwiceEver, fullAudit, sleep } from './outage-kit.ts'

const BUYERS = 32
const OUTAGES = 3
const OUTAGE_MS = 3_000
const FINAL_WITHIN_MS = 10_000

interface Attempt {
  seatId: string
  key: string
  /** Every status seen on the way: HTTP codes, and `poll:<status>` while polling a 202. */
  path: string[]
  startedAt: number
  finalAt?: number
  bookingId?: string
}

t.test('redis shut down for 3 s and restarted with its AOF: every buyer is told within 10 s of redis answering', async (t) => {
  const redis = await startPrivateRedis({ appendonly: true })
  t.teardown(() => redis.stop())
  // A short wait, so that requests caught by the outage are answered 202 and polled.
  const stack = await startStack({ workers: 2, redisUrl: redis.url, env: { BOOKING_WAIT_MS: '2000' } })
  t.teardown(() => stack.stop({ graceMs: 5_000 }))
  const started = performance.now()
  const now = () => Math.round(performance.now() - started)

  const buyers = await signupMany(stack.url, BUYERS)
  const seats = seatIds('S', 20_000)
  const event = await createEvent(stack.url, buyers[0]!.token, { seats })
  let nextSeat = 0
  let stopAt = Number.POSITIVE_INFINITY
  const attempts: Attempt[][] = buyers.map(() => [])

  const buyer = async (b: number) => {
    const token = buyers[b]!.token
    while (now() < stopAt) {
      const attempt: Attempt = { seatId: seats[nextSeat++]!, key: randomUUID(), path: [], startedAt: now() }
      attempts[b]!.push(attempt)
      while (attempt.finalAt === undefined) {
        const res = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: [attempt.seatId] }, headers: { 'idempotency-key': attempt.key } })
          .catch(() => ({ status: 0, body: undefined, headers: new Headers() }))
        attempt.path.push(String(res.status))
        if (res.status === 201 || res.status === 409) {
          attempt.finalAt = now()
          attempt.bookingId = res.body?.bookingId
        } else if (res.status === 202) {
          // Poll until the request is no longer pending: then it is final, or (failed
          // UNAVAILABLE: nothing was changed) sent again under its key.
          for (;;) {
            await sleep(200)
            const polled = await call(stack.url, 'GET', `/v1/requests/${res.body.requestId}`, { token }).catch(() => undefined)
            const status = polled?.status === 200 ? String(polled.body.status) : `http-${polled?.status ?? 0}`
            if (status === 'pending' || status.startsWith('http-')) continue
            attempt.path.push(`poll:${status}`)
            if (status === 'succeeded' || polled!.body.error?.code !== 'UNAVAILABLE') {
              attempt.finalAt = now()
              attempt.bookingId = polled!.body.result?.bookingId
            }
            break
          }
        } else {
          // 503 (or no answer): retry under the same key after the advised wait.
          await sleep(Math.min(2_000, 1_000 * Number(res.headers.get('retry-after') ?? 1)))
        }
      }
    }
  }
  const running = buyers.map((_, b) => buyer(b))

  const outages: Array<{ downAt: number, backAt: number }> = []
  for (let i = 0; i < OUTAGES; i++) {
    await sleep(2_000)
    const downAt = now()
    await redis.shutdown()
    await sleep(OUTAGE_MS)
    await redis.start()
    outages.push({ downAt, backAt: now() })
    // Let the buyers caught by this outage finish before the next one.
    if (i < OUTAGES - 1) await sleep(FINAL_WITHIN_MS + 2_000)
  }
  // New attempts stop 1 s after the last outage; every buyer then finishes what it started.
  stopAt = outages.at(-1)!.backAt + 1_000
  const settled = await Promise.race([Promise.all(running).then(() => true), sleep(60_000, false, { ref: false })])
  t.ok(settled, 'every buyer has a final answer within 60 s of the last outage')

  const all = attempts.flat()
  for (const [i, { downAt, backAt }] of outages.entries()) {
    // The attempts this outage caught: not final when Redis went down, or begun during it.
    const caught = all.filter((a) => a.startedAt < backAt && (a.finalAt ?? Infinity) > downAt)
    const lastFinal = Math.max(backAt, ...caught.map((a) => a.finalAt ?? Infinity))
    const accepted = caught.filter((a) => a.path.includes('202')).length
    const refused = caught.filter((a) => a.path.includes('503') || a.path.includes('0')).length
    t.comment(`redis-restart-answers: outage ${i + 1}: down ${backAt - downAt} ms; ${caught.length} attempts caught (${accepted} answered 202, ${refused} 503); last buyer told ${lastFinal - backAt} ms after redis answered`)
    t.ok(caught.length > 0, `outage ${i + 1} caught buyers mid-request (${caught.length})`)
    for (const a of caught.filter((a) => (a.finalAt ?? Infinity) - backAt > FINAL_WITHIN_MS).slice(0, 5)) {
      t.comment(`  slow: ${a.seatId} started ${a.startedAt - backAt} ms, final ${(a.finalAt ?? Infinity) - backAt} ms after redis answered: ${a.path.join(' → ')}`)
    }
    t.ok(lastFinal - backAt <= FINAL_WITHIN_MS, `outage ${i + 1}: every buyer told within ${FINAL_WITHIN_MS / 1000} s of redis answering (${lastFinal - backAt} ms)`)
  }
  t.ok(all.some((a) => a.path.includes('202')), 'some buyers were answered 202 and polled to a final answer')

  const told = new Set(all.flatMap((a) => a.bookingId ? [a.bookingId] : []))
  const audit = await fullAudit(stack.db, event.id, told)
  t.same(await bookedTwiceEver(stack.db, event.id), [], 'no seat was ever booked twice')
  t.same(audit.untold, [], 'every booking made was told to its buyer')
  t.same(audit.lost, [], 'every booking told is in the database')
  t.equal(audit.pending, 0, 'no request is left pending')
})
