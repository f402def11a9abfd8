import { randomUUID } from 'node:crypto'
import { bookSeatsMany } from '../../apps/worker/src/commands/book-seats.ts'
import { audit, check } from '../lib/audit.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { seatPool } from '../lib/seat-pool.ts'
import type { Target } from '../lib/target.ts'

export interface CeilingOptions { connections: number, durationS: number }

/**
 * The booking transaction alone, the very one the worker runs, from N pooled connections in a
 * tight loop: no HTTP, no queue, no Redis. The database's own limit on this machine.
 */
export async function ceiling (target: Target, options: CeilingOptions): Promise<ScenarioResult> {
  const db = target.db
  if (!db) throw new Error('ceiling needs a stack the bench started itself')
  const [owner] = await target.buyers(1)
  const pool = await seatPool(target, owner!, Math.min(options.durationS * 20_000, 1_000_000))
  let next = 0
  let booked = 0
  let fence = 0
  const deadline = performance.now() + options.durationS * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: options.connections }, async () => {
    while (performance.now() < deadline && next < pool.size) {
      const { eventId, seatId } = pool.seat(next++)
      const command = { type: 'book-seats' as const, requestId: randomUUID(), userId: owner!.userId, eventId, seatIds: [seatId] }
      const [result] = await bookSeatsMany(db, [command], ++fence)
      if (result?.ok) booked++
    }
  }))
  const elapsedS = (performance.now() - started) / 1000
  const rows = await db.selectFrom('bookings').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', 'in', pool.eventIds).executeTakeFirstOrThrow()
  return {
    scenario: 'ceiling',
    system: 'postgres',
    label: 'ceiling (transaction alone)',
    config: { connections: options.connections, durationS: options.durationS },
    throughput: booked / elapsedS,
    unit: 'bookings/s',
    requests: next,
    statuses: {},
    errors: next - booked,
    audit: audit([check('every transaction booked its seat', Number(rows.n) === booked && booked === next, `${booked} booked of ${next}, ${rows.n} in the database`)]),
  }
}
