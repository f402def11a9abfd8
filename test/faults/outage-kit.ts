/**
 * What the Redis and Postgres outage tests share: the rules every answer must keep whatever the
 * fault, polling 202s to their end, keyed retries, and the figures each test prints.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Db } from '@seatline/db'
import { auditBookings, type BookingAudit } from '../harness/booking-audit.ts'
import type { Answer, SteadyLoad } from '../harness/steady-load.ts'
import { call, type Reply } from '../helpers/api.ts'

export { sleep }

/** "201:120 202:3 503:40": counts in order of their keys (statuses, or outcomes). */
export function formatCounts (counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([k, n]) => `${k}:${n}`)
  return parts.length ? parts.join(' ') : 'none'
}

export function countStatuses (statuses: Iterable<number | string>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

/**
 * Answers no fault may produce: a status outside `allowed`, a dropped connection (0), any 500,
 * or a 503 that is not UNAVAILABLE with Retry-After (a client could not tell to come back).
 */
export function badAnswers (answers: Iterable<Pick<Answer, 'status' | 'body' | 'retryAfter'>>, allowed: number[]) {
  return [...answers].filter((a) => !allowed.includes(a.status) ||
    (a.status === 503 && (a.body?.code !== 'UNAVAILABLE' || !a.retryAfter)))
}

/** A short description of a few answers, for a failure message. */
export function sample (answers: Array<{ status: number, body?: unknown, seatId?: string }>, n = 5): string {
  return answers.slice(0, n).map((a) => `${a.seatId ?? ''} ${a.status} ${JSON.stringify(a.body)?.slice(0, 200)}`).join('\n')
}

/** Requests per second answered in [from, to) ms of the load. */
export function rate (load: SteadyLoad, from: number, to: number): number {
  const n = load.answers.filter((a) => a.answeredAt >= from && a.answeredAt < to).length
  return Math.round(n / ((to - from) / 1000))
}

/** Maps each seat of a steady load to the token that asked for it (the load goes round robin). */
export function tokenOf (seats: string[], tokens: string[]): (seatId: string) => string {
  const index = new Map(seats.map((s, i) => [s, i]))
  return (seatId) => tokens[index.get(seatId)! % tokens.length]!
}

export interface PollEnd {
  requestId: string
  /** The last view seen: succeeded or failed, or pending if the bound ran out. */
  status: string
  body: any
  /** When the poll first saw it final, by `now`. */
  at: number
}

/**
 * Polls every request until it is no longer pending, a few at a time, or until `ms` pass.
 * A poll answered 503 (the database away) is simply asked again.
 */
export async function pollAll (url: string, requests: Array<{ requestId: string, token: string }>, ms: number, now: () => number): Promise<Map<string, PollEnd>> {
  const ends = new Map<string, PollEnd>()
  const deadline = Date.now() + ms
  let open = [...requests]
  while (open.length > 0) {
    const still: typeof open = []
    for (let i = 0; i < open.length; i += 8) {
      await Promise.all(open.slice(i, i + 8).map(async (r) => {
        const res = await call(url, 'GET', `/v1/requests/${r.requestId}`, { token: r.token }).catch(() => undefined)
        const status = res?.status === 200 ? String(res.body.status) : 'pending'
        ends.set(r.requestId, { requestId: r.requestId, status, body: res?.body, at: now() })
        if (status === 'pending') still.push(r)
      }))
    }
    open = still
    if (open.length === 0 || Date.now() >= deadline) break
    await sleep(200)
  }
  return ends
}

/** Sends a keyed booking again, exactly as the first time: same user, key and body. */
export function retryKeyed (url: string, eventId: string, token: string, seatId: string, key: string): Promise<Reply> {
  return call(url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: [seatId] }, headers: { 'idempotency-key': key } })
}

/** Runs `fn` over `items`, `n` at a time. */
export async function inBatches<T, R> (items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += n) out.push(...await Promise.all(items.slice(i, i + n).map(fn)))
  return out
}

export interface FullAudit extends BookingAudit {
  /** Active bookings nobody was told about (no 201, no succeeded poll): a half-done request. */
  untold: Array<[string, string]>
}

/** auditBookings, plus the reverse check: every active booking was told to somebody. */
export async function fullAudit (db: Db, eventId: string, told: Set<string>): Promise<FullAudit> {
  const audit = await auditBookings(db, eventId, told)
  return { ...audit, untold: [...audit.bookedSeats].filter(([, bookingId]) => !told.has(bookingId)) }
}

/** Booking ids a load's clients were told: every 201's. */
export function toldIn (answers: Iterable<{ status: number, body?: any }>): string[] {
  return [...answers].filter((a) => a.status === 201 && a.body?.bookingId).map((a) => a.body.bookingId as string)
}

/** The booking ids in succeeded polls. */
export function toldByPolls (ends: Iterable<PollEnd>): string[] {
  return [...ends].filter((e) => e.status === 'succeeded' && e.body?.result?.bookingId).map((e) => e.body.result.bookingId as string)
}

/** Polls `url`/ready until it answers 200; returns when it did (by `now`), or undefined. */
export async function waitReady (url: string, ms: number, now: () => number): Promise<number | undefined> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/ready`).catch(() => undefined)
    if (res?.status === 200) return now()
    await sleep(100)
  }
  return undefined
}

/**
 * Checks each keyed request against two later retries under its key, and returns what is wrong.
 * Both retries answer alike. An original that booked (201, or 202 polled to succeeded) gets its
 * own booking back; one refused for good (409) gets the same refusal; one that changed nothing
 * (503, or a poll failed UNAVAILABLE) left its seat free, and the retries book it once.
 */
export function keyedRetryProblems (originals: Answer[], ends: Map<string, PollEnd>, first: Reply[], second: Reply[], bookedBefore: Map<string, string>): string[] {
  return originals.flatMap((a, i) => {
    const [one, two] = [first[i]!, second[i]!]
    const end = a.status === 202 ? ends.get(a.body.requestId) : undefined
    const booked: string | undefined = a.status === 201 ? a.body.bookingId : end?.body?.result?.bookingId
    const refusal: string | undefined = a.status === 409 ? a.body.code : (end?.status === 'failed' && end.body.error?.code !== 'UNAVAILABLE' ? end.body.error?.code : undefined)
    const what = `${a.seatId}: first ${a.status}${end ? ` → ${end.status}` : ''} ${booked ?? refusal ?? ''}; retries ${one.status} ${one.body?.bookingId ?? one.body?.code} / ${two.status} ${two.body?.bookingId ?? two.body?.code}`
    if (one.status !== two.status || one.body?.bookingId !== two.body?.bookingId) return [`${what}: the retries differ`]
    if (booked) return one.status === 201 && one.body.bookingId === booked ? [] : [`${what}: not the original booking`]
    if (refusal) return one.status === 409 && one.body.code === refusal ? [] : [`${what}: not the original refusal`]
    if (bookedBefore.has(a.seatId)) return [`${what}: the seat was booked before the retry (${bookedBefore.get(a.seatId)})`]
    return one.status === 201 ? [] : [`${what}: the retry did not book`]
  })
}

/** Seats that were ever in two bookings, cancelled ones included (a retry's second booking). */
export async function bookedTwiceEver (db: Db, eventId: string, except: string[] = []): Promise<string[]> {
  const rows = await db.selectFrom('booking_seats').select('seat_id').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('event_id', '=', eventId).groupBy('seat_id').having((eb) => eb.fn.countAll(), '>', 1).execute()
  return rows.map((r) => r.seat_id).filter((s) => !except.includes(s))
}
