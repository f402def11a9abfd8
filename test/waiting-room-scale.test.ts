import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { mintToken } from '../bench/lib/tokens.ts'
import { startPrivateRedis } from './harness/private-redis.ts'
import { call } from './helpers/api.ts'
import { openSse } from './helpers/sse-client.ts'
import { startStack } from './helpers/stack.ts'

/**
 * A waiting room of 5,000 tickets, 300 of them watched (the 200,000-ticket run is the bench's
 * waiting-room-scale): every stream's position moves at least every 2 s, and Redis does not
 * see a read per ticket per second. On a Redis of its own, so its command counts are this
 * stack's alone.
 */
const TICKETS = 5_000
const STREAMS = 300
/** Admissions a second: every waiting position moves each second. */
const RATE_PER_MINUTE = 120

const secret = randomBytes(32).toString('hex')
const redis = await startPrivateRedis()
t.teardown(() => redis.stop())
const stack = await startStack({ workers: 1, redisUrl: redis.url, env: { JWT_SECRET: secret, RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' } })
t.teardown(() => stack.stop({ graceMs: 5_000 }))

async function commandsSoFar (): Promise<number> {
  const stats = String(await redis.command('info', 'commandstats'))
  return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

t.test(`${TICKETS.toLocaleString('en')} tickets, ${STREAMS} streams: positions move every second, no read per ticket per second`, async (t) => {
  const { rows: users } = await sql<{ id: string }>`
    insert into users (email, password_hash)
    select 'line-' || g || '-' || ${randomBytes(4).toString('hex')} || '@example.com', 'x' from generate_series(1, ${TICKETS}) g
    returning id`.execute(stack.db)
  const tokens = users.map((u) => mintToken(secret, u.id))
  const opensAt = new Date(Date.now() + 30_000)
  const event = await stack.db.insertInto('events').values({
    name: 'Big line', created_by: users[0]!.id, sale_opens_at: opensAt, admit_per_minute: RATE_PER_MINUTE, admission_seconds: 600,
  }).returning('id').executeTakeFirstOrThrow()
  await sql`insert into seats (event_id, seat_id) select ${event.id}, 'S' || g from generate_series(1, 1000) g`.execute(stack.db)

  const latencies: number[] = []
  const ticketIds: string[] = new Array(TICKETS)
  let next = 0
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < TICKETS) {
      const i = next++
      const started = performance.now()
      const reply = await call(stack.url, 'POST', `/v1/events/${event.id}/queue`, { token: tokens[i]! })
      latencies.push(performance.now() - started)
      if (reply.status !== 201) throw new Error(`join ${i}: ${reply.status} ${JSON.stringify(reply.body)}`)
      ticketIds[i] = reply.body.ticketId
    }
  }))
  latencies.sort((a, b) => a - b)
  t.comment(`${TICKETS} joins on 64 connections: p50 ${latencies[TICKETS >> 1]!.toFixed(0)} ms, p99 ${latencies[Math.floor(TICKETS * 0.99)]!.toFixed(0)} ms`)
  t.equal(new Set(ticketIds).size, TICKETS, 'one ticket each')
  t.ok(Date.now() < opensAt.getTime(), 'all joined before the opening')

  // Streams of tickets all along the line, from the opening on.
  const watched = Array.from({ length: STREAMS }, (_, i) => ticketIds[Math.floor((i * TICKETS) / STREAMS)]!)
  const updates = watched.map(() => [] as Array<{ at: number, position?: number, status: string }>)
  const streams = await Promise.all(watched.map((ticketId, i) => openSse(`${stack.url}/v1/queue/${ticketId}/stream`, (m) => {
    if (m.event === 'ticket') updates[i]!.push({ at: Date.now(), ...JSON.parse(m.data) })
  })))
  t.teardown(() => { for (const s of streams) s.close() })

  // The stack's own traffic (queues, schedulers, the steps) before the opening, when nobody moves...
  const IDLE_MS = 4_000
  const idleFrom = await commandsSoFar()
  await sleep(IDLE_MS)
  const idle = ((await commandsSoFar()) - idleFrom) / (IDLE_MS / 1000)
  t.ok(Date.now() < opensAt.getTime(), 'measured before the opening')
  await sleep(Math.max(0, opensAt.getTime() - Date.now()) + 1_500)
  // ...and after it, while every stream's position moves each second.
  const WATCH_MS = 8_000
  const before = await commandsSoFar()
  const from = Date.now()
  await sleep(WATCH_MS)
  const perSecond = ((await commandsSoFar()) - before) / (WATCH_MS / 1000)
  t.comment(`Redis commands a second: ${idle.toFixed(0)} before the opening, ${perSecond.toFixed(0)} while ${TICKETS} wait, ${STREAMS} watched and 2 a second are admitted`)
  t.ok(perSecond - idle < STREAMS / 4, `the line moving adds ${(perSecond - idle).toFixed(0)} commands a second: nothing is read per ticket (${TICKETS}) or per stream (${STREAMS}) each second`)

  // Streams still waiting at the end of the window (those admitted during it stop moving, rightly).
  const waiting = updates.filter((list) => list.at(-1)?.status === 'waiting')
  const gaps = waiting.map((list) => {
    const moves = [{ at: from }, ...list.filter((u) => u.at >= from && u.position !== undefined), { at: from + WATCH_MS }]
    return Math.max(...moves.slice(1).map((u, i) => u.at - moves[i]!.at))
  })
  const worst = Math.max(...gaps)
  t.comment(`longest wait between two position updates of one waiting stream, over ${WATCH_MS / 1000} s: ${worst} ms`)
  t.ok(waiting.length >= STREAMS * 0.9, `${waiting.length} of ${STREAMS} streams still waiting`)
  t.ok(worst <= 2_000, 'every waiting stream\'s position moved at least every 2 s')
  const positions = waiting.map((list) => list.at(-1)!.position!)
  t.equal(new Set(positions).size, positions.length, 'no two streams at the same place')
})
