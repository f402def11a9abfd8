import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { BATCHES_PER_TICK } from '../apps/worker/src/maintenance/delete-expired-records.ts'
import { call, createEvent, poll, signup } from './helpers/api.ts'
import { freePort, startStack } from './helpers/stack.ts'

/**
 * Retention with a real worker: records, idempotency keys and ended holds older than
 * RETENTION_SECONDS go in batches of RETENTION_BATCH_SIZE, a bounded number a tick; young ones,
 * and a record still pending, stay; a key past retention is a new request, not a replay.
 */
const RETENTION_SECONDS = 60 // its tick: every tenth of it, 6 s
const BATCH = 5
const OLD = 70 // more than one tick takes (50)
const metricsPort = await freePort()
const stack = await startStack({
  workers: 1,
  env: { RETENTION_SECONDS: String(RETENTION_SECONDS), RETENTION_BATCH_SIZE: String(BATCH), WORKER_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' },
})
t.teardown(() => stack.stop())
const db = stack.db

interface Tick { requests: number, idempotencyKeys: number, holds: number, batches: number, more: boolean }

function ticks (): Tick[] {
  return stack.output().split('\n').flatMap((line) => {
    if (!line.includes('deleted expired records')) return []
    try {
      return [JSON.parse(line) as Tick]
    } catch {
      return []
    }
  })
}

async function deletedMetric (table: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('seatline_retention_deleted_total{') && l.includes(`table="${table}"`))
  return line ? Number(line.split(' ').at(-1)) : Number.NaN
}

const exists = async (table: 'requests' | 'holds', id: string) =>
  (await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined
const keyOf = (userId: string, key: string) =>
  db.selectFrom('idempotency_keys').select(['request_id', 'created_at']).where('user_id', '=', userId).where('key', '=', key).executeTakeFirst()

t.test('old records, keys and holds go in batches; young and pending ones stay; an expired key is new', async (t) => {
  const ada = await signup(stack.url)
  const event = await createEvent(stack.url, ada.token, { seats: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'] })
  const book = (seat: string, key: string) =>
    call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: ada.token, body: { seatIds: [seat] }, headers: { 'idempotency-key': key } })

  // K1: booked, replayed while kept, then cancelled (so that a new attempt could book A1 again).
  const k1 = randomUUID()
  const first = await book('A1', k1)
  t.equal(first.status, 201, 'a keyed booking')
  const firstId: string = first.body.bookingId
  const replay = await book('A1', k1)
  t.equal(replay.body.bookingId, firstId, 'while the key is young, its reuse replays the first booking')
  t.equal((await call(stack.url, 'DELETE', `/v1/bookings/${firstId}`, { token: ada.token })).status, 200, 'then it is cancelled')

  // K2: young, stays. K3: its key row made old, its record young.
  const k2 = randomUUID()
  const young = await book('A2', k2)
  t.equal(young.status, 201, 'a second keyed booking, to stay young')
  const k3 = randomUUID()
  const third = await book('A6', k3)
  t.equal(third.status, 201, 'a third, whose key will be made old')

  // Holds: one released and made old, one released and young.
  const hold = async (seat: string) => {
    const held = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: ada.token, body: { seatIds: [seat] } })
    t.equal(held.status, 201, `${seat} held`)
    t.equal((await call(stack.url, 'DELETE', `/v1/holds/${held.body.holdId}`, { token: ada.token })).status, 204, 'and released')
    return held.body.holdId as string
  }
  const oldHold = await hold('A3')
  const youngHold = await hold('A4')
  const oldRelease = await db.selectFrom('requests').select('id')
    .where(sql<boolean>`command ->> 'type' = 'release-hold' and command ->> 'holdId' = ${oldHold}`).executeTakeFirstOrThrow()

  // A record still pending, two days old: its command never ran (a lost job, say).
  const pendingId = randomUUID()
  const pendingCommand = { type: 'book-seats', requestId: pendingId, userId: ada.userId, eventId: event.id, seatIds: ['A5'] }

  const oldLeft = (executor = db) => executor.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', ada.userId).where('created_at', '<', sql<Date>`now() - interval '1 day'`).where('id', '<>', pendingId)
    .executeTakeFirstOrThrow().then((r) => Number(r.n))
  await db.transaction().execute(async (trx) => {
    const twoDaysAgo = sql<Date>`now() - interval '2 days'`
    // Bulk: old completed records, each with its key.
    await sql`
      with made as (
        insert into requests (id, user_id, command, status, result, created_at, completed_at)
        select gen_random_uuid(), ${ada.userId}::uuid, '{"type":"cancel-booking"}'::jsonb, 'failed', '{"ok":false}'::json, ${twoDaysAgo}, ${twoDaysAgo}
          from generate_series(1, ${OLD})
        returning id)
      insert into idempotency_keys (user_id, key, fingerprint, request_id, created_at)
      select ${ada.userId}::uuid, 'bulk-' || id, 'x', id, ${twoDaysAgo} from made`.execute(trx)
    // created_at is not writable through the schema's types: aged in SQL.
    await sql`update requests set created_at = ${twoDaysAgo}, completed_at = ${twoDaysAgo} where id in (${firstId}, ${oldRelease.id})`.execute(trx)
    await sql`update idempotency_keys set created_at = ${twoDaysAgo} where user_id = ${ada.userId} and key = ${k1}`.execute(trx)
    // Past RETENTION_SECONDS, well within the day the gateway used to assume.
    await sql`update idempotency_keys set created_at = now() - interval '2 minutes' where user_id = ${ada.userId} and key = ${k3}`.execute(trx)
    await sql`update holds set created_at = ${twoDaysAgo}, expires_at = ${twoDaysAgo} where id = ${oldHold}`.execute(trx)
    await trx.insertInto('requests').values({ id: pendingId, user_id: ada.userId, command: JSON.stringify(pendingCommand), created_at: twoDaysAgo }).execute()
    // Counted before the commit: a tick may come at any moment after it.
    t.equal(await oldLeft(trx), OLD + 2, `${OLD + 2} old records to delete`)
  })

  // The gateway's own rule, before any deletion: K3's key is past RETENTION_SECONDS, so it is a new request.
  const k3Again = await book('A6', k3)
  t.equal(k3Again.status, 409, 'a key past retention is not replayed: a new attempt, which finds A6 booked by the first')
  t.equal(k3Again.body.code, 'SEATS_UNAVAILABLE', 'refused as a new request is')
  t.not((await keyOf(ada.userId, k3))?.request_id, third.body.bookingId, 'the key now names the new request')

  const left = await poll(() => oldLeft(), (n) => n === 0, 60_000)
  t.equal(left, 0, 'every old record is gone')
  await poll(async () => ticks().reduce((sum, tick) => sum + tick.requests, 0), (n) => n >= OLD + 2, 10_000)

  const seen = ticks()
  const deleted = seen.reduce((sum, tick) => ({
    requests: sum.requests + tick.requests,
    idempotencyKeys: sum.idempotencyKeys + tick.idempotencyKeys,
    holds: sum.holds + tick.holds,
  }), { requests: 0, idempotencyKeys: 0, holds: 0 })
  t.same(deleted, { requests: OLD + 2, idempotencyKeys: OLD + 1, holds: 1 }, 'the ticks\' log lines count what went: records, their keys, the old hold')
  t.ok(seen.every((tick) => tick.requests <= BATCH * BATCHES_PER_TICK), `no tick deleted more than ${BATCH * BATCHES_PER_TICK} records (${seen.map((s) => s.requests).join(', ')})`)
  t.ok(seen.some((tick) => tick.requests === BATCH * BATCHES_PER_TICK && tick.batches > 1 && tick.more), 'a full tick ran its bounded number of batches, and left the rest for the next')
  t.equal(await deletedMetric('requests'), OLD + 2, 'seatline_retention_deleted_total{table="requests"}')
  t.equal(await deletedMetric('idempotency_keys'), OLD + 1, 'seatline_retention_deleted_total{table="idempotency_keys"}')
  t.equal(await deletedMetric('holds'), 1, 'seatline_retention_deleted_total{table="holds"}')
  // Dead rows must not pile up: autovacuum takes them where it runs; where it is off, the tick does.
  const { rows: [setting] } = await sql<{ autovacuum: string }>`show autovacuum`.execute(db)
  const vacuumed = seen.filter((tick) => (tick as Tick & { vacuumed?: boolean }).vacuumed)
  if (setting!.autovacuum === 'off') {
    t.equal(vacuumed.length, seen.length, 'autovacuum is off: every tick that deleted vacuumed its tables')
    const { rows: stats } = await sql<{ relname: string, vacuumed: boolean }>`
      select relname, last_vacuum is not null as vacuumed from pg_stat_user_tables where relname in ('requests', 'idempotency_keys', 'holds') order by relname`.execute(db)
    t.same(stats, [{ relname: 'holds', vacuumed: true }, { relname: 'idempotency_keys', vacuumed: true }, { relname: 'requests', vacuumed: true }], 'and Postgres says so')
  } else {
    t.equal(vacuumed.length, 0, 'autovacuum runs: the ticks leave the dead rows to it')
  }

  const bulkKeys = await db.selectFrom('idempotency_keys').select('key').where('user_id', '=', ada.userId).where('key', 'like', 'bulk-%').execute()
  t.same(bulkKeys, [], 'the old keys went with their records')
  t.equal(await keyOf(ada.userId, k1), undefined, 'K1\'s key is gone')
  t.ok(await exists('requests', young.body.bookingId), 'a young record stays')
  t.ok(await keyOf(ada.userId, k2), 'and its key')
  t.ok(await exists('requests', third.body.bookingId), 'a young record whose key was made old stays')
  t.notOk(await exists('holds', oldHold), 'the hold that ended two days ago is gone')
  t.ok(await exists('holds', youngHold), 'the one that ended just now stays')
  t.equal((await call(stack.url, 'GET', `/v1/requests/${firstId}`, { token: ada.token })).status, 404, 'a deleted record reads as unknown')
  t.equal((await call(stack.url, 'GET', `/v1/requests/${young.body.bookingId}`, { token: ada.token })).status, 200, 'a young one reads')

  // The pending record was the requeue sweeper's: it ran its command, and keeps its answer a full retention from then.
  const pending = await poll(() => db.selectFrom('requests').select(['status', 'completed_at']).where('id', '=', pendingId).executeTakeFirst(),
    (row) => row?.status !== 'pending', 15_000)
  t.ok(pending, 'the old pending record was not deleted')
  t.equal(pending?.status, 'succeeded', 'it was sent again and ran')
  t.ok(pending?.completed_at && Date.now() - pending.completed_at.getTime() < RETENTION_SECONDS * 1000, 'and completed just now: kept for a retention from its completion')

  // K1 was deleted with its record: the same request again is a new attempt, which books A1 anew.
  const again = await book('A1', k1)
  t.equal(again.status, 201, 'the expired key reused: a new booking attempt')
  t.not(again.body.bookingId, firstId, 'a new booking, not the first replayed')
  t.equal(again.body.status, 'confirmed', 'confirmed')
})
