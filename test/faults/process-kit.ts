/**
 * What the process-fault tests (worker and gateway crashes, freezes, shutdowns) share: which
 * process holds which job (lock tokens in Redis), a copy of the queues' event streams, ways to
 * keep a job in hand (a pinned seat lock, a held row), polling 202s to their end, checking the
 * database against what clients were told, and the figures each test prints.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { seatResource } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { lockKey } from '@seatline/lock'
import { partitionQueueName } from '@seatline/queue'
import { Redis } from 'ioredis'
import { type RawBuilder, sql } from 'kysely'
import type { Answer, SteadyLoad } from '../harness/steady-load.ts'
import type { Stack } from '../harness/local-stack.ts'
import { call } from '../helpers/api.ts'

// Shared with the outage tests: one copy of each.
import { inBatches } from './outage-kit.ts'
export { formatCounts, inBatches, tokenOf } from './outage-kit.ts'

export { sleep }

export interface ActiveJob {
  partition: number
  jobId: string
  /** BullMQ's lock token, `<worker id>:<n>`; empty when the lock has run out. */
  token: string
  /** The id of the BullMQ Worker (one per partition per process) holding the job, if locked. */
  workerId: string | undefined
}

// Every partition's active jobs with their lock tokens, read in one atomic step: a job seen
// here with a token was held by that token's worker at that instant.
const ACTIVE_JOBS = `
local out = {}
for i, key in ipairs(KEYS) do
  local base = string.sub(key, 1, #key - 6)
  for _, id in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local token = redis.call('GET', base .. id .. ':lock')
    table.insert(out, { i - 1, id, token or '' })
  end
end
return out`

export interface JobWatch {
  redis: Redis
  active (): Promise<ActiveJob[]>
  /** A job's hash as BullMQ keeps it while it exists (a completed job is removed at once). */
  job (partition: number, jobId: string): Promise<Record<string, string>>
  /**
   * Watches the active jobs until every partition has shown a locked one; returns the worker id
   * seen per partition. Call while a single worker process runs: the ids are then all its own.
   */
  learnWorkerIds (ms: number): Promise<Map<number, string>>
  close (): Promise<void>
}

export function watchJobs (stack: Stack, partitions: number): JobWatch {
  const redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  const queueKey = (p: number) => `${stack.prefix}:${partitionQueueName(p)}`
  const activeKeys = Array.from({ length: partitions }, (_, p) => `${queueKey(p)}:active`)
  const watch: JobWatch = {
    redis,
    async active () {
      const rows = await redis.eval(ACTIVE_JOBS, activeKeys.length, ...activeKeys) as Array<[number, string, string]>
      return rows.map(([partition, jobId, token]) => ({ partition, jobId, token, workerId: token ? token.slice(0, token.lastIndexOf(':')) : undefined }))
    },
    job: (p, jobId) => redis.hgetall(`${queueKey(p)}:${jobId}`),
    async learnWorkerIds (ms) {
      const ids = new Map<number, string>()
      const deadline = Date.now() + ms
      while (ids.size < partitions && Date.now() < deadline) {
        for (const job of await watch.active()) if (job.workerId) ids.set(job.partition, job.workerId)
        await sleep(1)
      }
      if (ids.size < partitions) throw new Error(`saw a locked job on ${ids.size} of ${partitions} partitions in ${ms} ms`)
      return ids
    },
    async close () {
      redis.disconnect()
    },
  }
  return watch
}

/**
 * Takes a seat's lock in Redis as another owner would, so that the job booking that seat stays
 * in its worker's hands, retrying the lock, before it has written anything: a worker can then be
 * killed or frozen in the middle of a job, and which job is known. Expires on its own after `ms`.
 */
export async function pinSeat (watch: JobWatch, stack: Stack, eventId: string, seatId: string, ms = 8_000): Promise<{ release (): Promise<void> }> {
  const key = lockKey(stack.prefix, seatResource(eventId, seatId))
  await watch.redis.set(key, `test-pin-${randomUUID()}`, 'PX', ms)
  return { release: async () => { await watch.redis.del(key) } }
}

/** The active, locked job whose commands include `seatId`, once a worker has taken it. */
export async function activeJobFor (watch: JobWatch, seatId: string, ms = 5_000): Promise<ActiveJob> {
  let found: ActiveJob | undefined
  await until(async () => {
    for (const job of await watch.active()) {
      const data = JSON.parse((await watch.job(job.partition, job.jobId)).data ?? '{}')
      if (job.workerId && data.commands?.some((c: { seatIds?: string[] }) => c.seatIds?.includes(seatId))) found = job
    }
    return Boolean(found)
  }, ms, `a worker to take the job booking ${seatId}`)
  return found!
}

export interface QueueEvent {
  partition: number
  /** Epoch ms, by the Redis server's clock (the stream entry's id): this machine's. */
  at: number
  /** BullMQ's event name: added, waiting, active, completed, failed, stalled... */
  event: string
  jobId: string
  fields: Record<string, string>
}

export interface EventLog {
  readonly events: QueueEvent[]
  of (jobId: string, event?: string): QueueEvent[]
  /** Resolves once the log holds every event written before the call. */
  caughtUp (): Promise<void>
  stop (): Promise<void>
}

/**
 * Copies every partition's BullMQ event stream into the test as it is written. Completed jobs
 * are removed from Redis at once and the streams are trimmed, so what happened to a job (taken
 * back, started twice, finished when) is read here rather than from Redis afterwards.
 */
export function recordQueueEvents (stack: Stack, partitions: number): EventLog {
  const redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null })
  redis.on('error', () => {})
  const keys = Array.from({ length: partitions }, (_, p) => `${stack.prefix}:${partitionQueueName(p)}:events`)
  const last = keys.map(() => '0')
  const events: QueueEvent[] = []
  const state = { stopped: false }
  const loop = (async () => {
    while (!state.stopped) {
      const reply = await redis.call('XREAD', 'COUNT', '1000', 'BLOCK', '200', 'STREAMS', ...keys, ...last)
        .catch(async () => { await sleep(50) }) as Array<[string, Array<[string, string[]]>]> | null | undefined
      for (const [key, entries] of reply ?? []) {
        const partition = keys.indexOf(key)
        for (const [id, list] of entries) {
          last[partition] = id
          const fields: Record<string, string> = {}
          for (let i = 0; i < list.length; i += 2) fields[list[i]!] = list[i + 1]!
          events.push({ partition, at: Number(id.split('-')[0]), event: fields.event ?? '', jobId: fields.jobId ?? '', fields })
        }
      }
    }
  })()
  const after = (a: string, b: string) => {
    const [am, as] = a.split('-').map(Number)
    const [bm, bs] = b.split('-').map(Number)
    return am! > bm! || (am === bm && as! >= bs!)
  }
  return {
    events,
    of: (jobId, event) => events.filter((e) => e.jobId === jobId && (!event || e.event === event)),
    async caughtUp () {
      const ends = await Promise.all(keys.map(async (key) => (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0'))
      await until(() => ends.every((end, p) => after(last[p]!, end)), 10_000, 'the event log to catch up', 20)
    },
    async stop () {
      state.stopped = true
      await loop
      redis.disconnect()
    },
  }
}

/** One booking outside the steady load, timed on the load's clock; a failed connection is status 0. */
export async function bookOne (load: SteadyLoad, url: string, eventId: string, token: string, seatId: string, key = randomUUID()): Promise<Answer> {
  const sentAt = load.now()
  const headers = { 'idempotency-key': key }
  const reply = await call(url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: [seatId] }, headers }).catch(() => undefined)
  return { sentAt, answeredAt: load.now(), seatId, key, status: reply?.status ?? 0, body: reply?.body, retryAfter: reply?.headers.get('retry-after') ?? null }
}

/** Resolves once `check` says yes, polling every `everyMs`; rejects after `ms`. */
export async function until (check: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 5): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export interface Outcome {
  seatId: string
  /** The HTTP status first given, then what the client finally learnt. */
  status: number
  final: 'booked' | 'refused' | 'failed' | 'pending' | 'no answer' | 'error'
  bookingId?: string
  polled: boolean
}

/**
 * Where each answer of a load ended for its client: a 201 is booked, a 409 refused, a 202 is
 * polled (through `pollUrl()`) until its record says succeeded or failed, or `ms` pass.
 */
export async function settleAnswers (answers: Answer[], pollUrl: () => string, tokenFor: (seatId: string) => string, ms: number): Promise<Outcome[]> {
  const deadline = Date.now() + ms
  return inBatches(answers, 8, async (a): Promise<Outcome> => {
    const base = { seatId: a.seatId, status: a.status, polled: false }
    if (a.status === 201) return { ...base, final: 'booked', bookingId: a.body?.bookingId }
    if (a.status === 409) return { ...base, final: 'refused' }
    if (a.status === 0) return { ...base, final: 'no answer' }
    if (a.status !== 202) return { ...base, final: 'error' }
    for (;;) {
      const res = await call(pollUrl(), 'GET', `/v1/requests/${a.body.requestId}`, { token: tokenFor(a.seatId) }).catch(() => undefined)
      const view = res?.status === 200 ? res.body : undefined
      if (view?.status === 'succeeded') return { ...base, polled: true, final: 'booked', bookingId: view.result?.bookingId }
      if (view?.status === 'failed') return { ...base, polled: true, final: view.error?.code === 'SEATS_UNAVAILABLE' ? 'refused' : 'failed' }
      if (Date.now() >= deadline) return { ...base, polled: true, final: 'pending' }
      await sleep(200)
    }
  })
}

export function countBy<T> (items: Iterable<T>, key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) {
    const k = String(key(item))
    counts[k] = (counts[k] ?? 0) + 1
  }
  return counts
}

/** Requests in flight at `at` ms of the load (sent before it, answered after it). */
export function inFlightAt (load: SteadyLoad, at: number): number {
  return load.answers.filter((a) => a.sentAt <= at && a.answeredAt > at).length
}

/** Answers per second in the second before `at` ms of the load. */
export function rateBefore (load: SteadyLoad, at: number): number {
  return load.answers.filter((a) => a.answeredAt >= at - 1000 && a.answeredAt < at).length
}

/** The longest time from `from` ms on with no answer at all: how long the load stood still. */
export function longestSilence (answers: Answer[], from: number): { ms: number, endedAt: number } {
  const times = answers.map((a) => a.answeredAt).filter((at) => at >= from).sort((a, b) => a - b)
  let previous = from
  let longest = { ms: 0, endedAt: from }
  for (const at of times) {
    if (at - previous > longest.ms) longest = { ms: at - previous, endedAt: at }
    previous = at
  }
  return longest
}

export function latencies (answers: Answer[]): { n: number, p50: number, p99: number, max: number } {
  const ms = answers.map((a) => a.answeredAt - a.sentAt).sort((a, b) => a - b)
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(ms.length * q))] ?? 0
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: ms.at(-1) ?? 0 }
}

/** Log lines of the stack's processes that contain any of `needles`, for a test's comments. */
export function logLines (stack: Stack, ...needles: string[]): string[] {
  return stack.output().split('\n').filter((line) => needles.some((n) => line.includes(n)))
}

export interface RequestRow {
  id: string
  status: string
  seatIds: string[]
  result: any
  completedAt: Date | null
}

/** Every request record of an event, as the database holds it. */
export async function requestRows (db: Db, eventId: string): Promise<RequestRow[]> {
  const rows = await db.selectFrom('requests').select(['id', 'status', 'command', 'result', 'completed_at'])
    .where(sql<string>`command ->> 'eventId'`, '=', eventId).execute()
  return rows.map((r) => ({ id: r.id, status: r.status, seatIds: (r.command as { seatIds?: string[] }).seatIds ?? [], result: r.result, completedAt: r.completed_at }))
}

/**
 * Where the database disagrees with what the clients were told, one line per problem. A keyed,
 * async or 202-answered request has one record, whose result is what its client was told (the
 * booking, or a refusal); a plain one has none, and is what it made: every booking told is a
 * booking of its seat, made under its request's id, and no confirmed booking is one nobody was told.
 */
export async function disagreements (db: Db, eventId: string, outcomes: Outcome[]): Promise<string[]> {
  const problems: string[] = []
  const bySeat = new Map<string, RequestRow[]>()
  for (const row of await requestRows(db, eventId)) for (const seat of row.seatIds) bySeat.set(seat, [...bySeat.get(seat) ?? [], row])
  const seatsOf = new Map<string, string[]>()
  const rows = await db.selectFrom('booking_seats').select(['booking_id', 'seat_id']).where('event_id', '=', eventId).execute()
  for (const r of rows) seatsOf.set(r.booking_id, [...seatsOf.get(r.booking_id) ?? [], r.seat_id])
  for (const o of outcomes) {
    const records = bySeat.get(o.seatId) ?? []
    if (records.length > 1) problems.push(`${o.seatId}: ${records.length} request records`)
    const recorded = records[0]
    if (recorded?.status === 'pending') problems.push(`${o.seatId}: its record is still pending`)
    if (o.final === 'booked') {
      if (recorded && (recorded.status !== 'succeeded' || recorded.result?.booking?.bookingId !== o.bookingId)) {
        problems.push(`${o.seatId}: told booking ${o.bookingId}, recorded ${recorded.status} ${JSON.stringify(recorded.result)}`)
      }
      if (!seatsOf.get(o.bookingId ?? '')?.includes(o.seatId)) problems.push(`${o.seatId}: told booking ${o.bookingId}, which is no booking of the seat`)
    }
    if (o.final === 'refused' && recorded && recorded.status !== 'failed') problems.push(`${o.seatId}: told refused, recorded ${recorded.status}`)
  }
  const told = new Set(outcomes.map((o) => o.bookingId).filter(Boolean))
  const held = await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).where('status', '=', 'confirmed').execute()
  for (const b of held) if (!told.has(b.id)) problems.push(`booking ${b.id} is confirmed but nobody was told`)
  return problems
}

export interface RowHold {
  /** The backend holding the lock, to find who waits on it (`pg_blocking_pids`). */
  pid: number
  /** Ends the transaction; safe to call more than once. */
  release (): Promise<void>
}

/** Runs `lock` (a SELECT ... FOR UPDATE) in a transaction of the test's own and keeps it open. */
async function holdRows (db: Db, lock: RawBuilder<unknown>): Promise<RowHold> {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let held!: (pid: number) => void
  const pid = new Promise<number>((resolve) => { held = resolve })
  const done = db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
    await lock.execute(trx)
    held(rows[0]!.pid)
    await released
  })
  // A failure before the lock is taken must not leave the caller waiting for the pid.
  const endedEarly = done.then(() => { throw new Error('the lock transaction ended before taking its lock') })
  endedEarly.catch(() => {})
  return { pid: await Promise.race([pid, endedEarly]), release: async () => { release(); await done } }
}

/** Holds a seat's row as a slow statement or a vacuum might: every booking of it waits. */
export function holdSeat (db: Db, eventId: string, seatId: string): Promise<RowHold> {
  return holdRows(db, sql`select 1 from seats where event_id = ${eventId} and seat_id = ${seatId} for update`)
}

/** Holds a request's record: any run of its command waits on it, once it holds the command's seats. */
export function holdRequest (db: Db, requestId: string): Promise<RowHold> {
  return holdRows(db, sql`select 1 from requests where id = ${requestId} for update`)
}

/** How many backends are waiting for a lock that one of `pids` holds. */
export async function blockedBy (db: Db, pids: number[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where pg_blocking_pids(pid) && ${pids}::int[]`.execute(db)
  return Number(rows[0]!.n)
}
