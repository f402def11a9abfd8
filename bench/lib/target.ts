import { randomBytes, randomUUID } from 'node:crypto'
import { type Db, insertSeats } from '@seatline/db'
import { sql } from 'kysely'
import { REDIS_URL, startStack } from '../../test/harness/local-stack.ts'
import { mintToken } from './tokens.ts'

export interface Buyer { userId: string, token: string }

/** What a scenario loads: a stack the bench started itself, or one already running (`--target`). */
export interface Target {
  /** seatline; baseline (the tutorial design running Seatline's transaction); peer (the tutorial design on its own tables) */
  name: 'seatline' | 'baseline' | 'peer'
  url: string
  /** Present only for stacks the bench started: the audit then reads the database directly. */
  db?: Db
  /** Present only for stacks the bench started: their Redis and key prefix (QUEUE_PREFIX), to read the waiting room's keys. */
  redis?: { url: string, prefix: string }
  pids: { gateway: number[], worker: number[] }
  buyers (count: number): Promise<Buyer[]>
  /** What the stack's processes printed, to explain a failed run. */
  output (): string
  stop (): Promise<void>
}

export interface OwnStackOptions {
  workers: number
  partitions?: number
  /** Run the baseline server in place of Seatline's gateway and workers. */
  baseline?: boolean
  /** Run the peer (bench/peer/server.ts) in place of Seatline's gateway and workers. */
  peer?: boolean
  /** More environment for the stack's processes. */
  env?: Record<string, string>
}

/**
 * Buyers straight into the database, with tokens signed by the stack's secret: 20,000 scrypt
 * signups would take longer than the benchmark.
 */
export async function insertBuyers (db: Db, secret: string, count: number): Promise<Buyer[]> {
  const { rows } = await sql<{ id: string }>`
    insert into users (email, password_hash)
    select 'bench-' || ${randomBytes(4).toString('hex')} || '-' || g || '@example.com', 'not-a-login'
      from generate_series(1, ${count}) g
    returning id`.execute(db)
  return rows.map((r) => ({ userId: r.id, token: mintToken(secret, r.id) }))
}

/** The environment every stack the bench starts runs with, on top of `env`. */
export function benchStackEnv (secret: string, options: Pick<OwnStackOptions, 'partitions' | 'env'>): Record<string, string> {
  return { JWT_SECRET: secret, LOG_LEVEL: 'warn', QUEUE_PARTITIONS: String(options.partitions ?? 4), ...options.env }
}

export async function ownStack (options: OwnStackOptions): Promise<Target> {
  const secret = randomBytes(32).toString('hex')
  const other = options.peer ? 'peer' : options.baseline ? 'baseline' : undefined
  const stack = await startStack({
    workers: other ? 0 : options.workers,
    gatewayScript: other ? `bench/${other}/server.ts` : undefined,
    env: benchStackEnv(secret, options),
  })
  return {
    name: other ?? 'seatline',
    url: stack.url,
    db: stack.db,
    redis: { url: REDIS_URL, prefix: stack.prefix },
    pids: stack.pids,
    buyers: (count) => insertBuyers(stack.db, secret, count),
    output: () => stack.output(),
    stop: () => stack.stop(),
  }
}

/** A stack someone else runs: buyers sign up through the API (a pool, reused round robin). */
export function externalTarget (url: string): Target {
  const pool: Buyer[] = []
  return {
    name: 'seatline',
    url,
    pids: { gateway: [], worker: [] },
    async buyers (count) {
      const wanted = Math.min(count, 100)
      while (pool.length < wanted) {
        const batch = await Promise.all(Array.from({ length: Math.min(10, wanted - pool.length) }, async () => {
          const email = `bench-${randomBytes(8).toString('hex')}@example.com`
          const res = await fetch(`${url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'bench-password' }) })
          if (res.status !== 201) throw new Error(`signup at ${url} answered ${res.status}`)
          return await res.json() as Buyer
        }))
        pool.push(...batch)
      }
      return Array.from({ length: count }, (_, i) => pool[i % pool.length]!)
    },
    output: () => '',
    async stop () {},
  }
}

export interface EventSpec {
  seats?: string[]
  sections?: Array<{ name: string, capacity: number }>
  sale?: { opensAt?: string, maxSeatsPerBuyer?: number, waitingRoom?: { admitPerMinute: number, admissionSeconds: number } }
}

/**
 * Creates an event for a scenario: straight into the database of a stack the bench started (the
 * baseline has no events API), through the API otherwise.
 */
export async function createEvent (target: Target, buyer: Buyer, spec: EventSpec): Promise<{ id: string, sections: Array<{ id: string }> }> {
  if (target.db && target.name === 'peer') {
    const id = randomUUID()
    await sql`insert into peer_seats (event_id, seat_id) select ${id}::uuid, unnest(${spec.seats ?? []}::text[])`.execute(target.db)
    await sql`analyze peer_seats`.execute(target.db)
    return { id, sections: [] }
  }
  if (target.db) {
    const db = target.db
    return db.transaction().execute(async (trx) => {
      const event = await trx.insertInto('events').values({
        name: 'Benchmark',
        created_by: buyer.userId,
        ...(spec.sale?.opensAt ? { sale_opens_at: spec.sale.opensAt } : {}),
        max_seats_per_buyer: spec.sale?.maxSeatsPerBuyer ?? null,
        // Both or neither (a check constraint): the API takes them as `sale.waitingRoom`.
        admit_per_minute: spec.sale?.waitingRoom?.admitPerMinute ?? null,
        admission_seconds: spec.sale?.waitingRoom?.admissionSeconds ?? null,
      }).returning('id').executeTakeFirstOrThrow()
      // As the API inserts them (a big event analyzed, so plans know it).
      await insertSeats(trx, event.id, spec.seats ?? [])
      const sections = spec.sections?.length
        ? await trx.insertInto('sections').values(spec.sections.map((s) => ({ event_id: event.id, name: s.name, capacity: s.capacity, remaining: s.capacity })))
          .returning('id').execute()
        : []
      return { id: event.id, sections }
    })
  }
  const res = await fetch(`${target.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` },
    body: JSON.stringify({ name: 'Benchmark', ...spec }),
  })
  if (res.status !== 201) throw new Error(`creating an event answered ${res.status}: ${await res.text()}`)
  return await res.json() as { id: string, sections: Array<{ id: string }> }
}

/** Changes an event's sale through the API, as its organiser (the buyer who created it). */
export async function patchSale (target: Target, organiser: Buyer, eventId: string, sale: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${target.url}/v1/events/${eventId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${organiser.token}` },
    body: JSON.stringify({ sale }),
  })
  if (res.status !== 200) throw new Error(`changing the sale answered ${res.status}: ${await res.text()}`)
}

/** Seat ids S1..Sn. */
export function seatNames (count: number): string[] {
  return Array.from({ length: count }, (_, i) => `S${i + 1}`)
}
