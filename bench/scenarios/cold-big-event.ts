import { sql } from 'kysely'
import { jsonRequest, load } from '../lib/load.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { createEvent, seatNames, type Target } from '../lib/target.ts'
import { uniform, type UniformOptions } from './uniform.ts'

const WARM_EVENTS = 10
const WARM_SEATS = 50

/**
 * A stack that has run for a while meets a big event: first every seat of a few small events is
 * booked (enough calls for every worker connection to settle its plans on a small `seats`
 * table) and the table analyzed, as autovacuum would have; then a 100,000-seat event is created
 * and loaded at once, exactly as `uniform` loads a fresh stack. Its figures are compared with
 * uniform's from the same run.
 */
export async function coldBigEvent (target: Target, options: UniformOptions): Promise<ScenarioResult> {
  const [owner] = await target.buyers(1)
  const events: string[] = []
  for (let e = 0; e < WARM_EVENTS; e++) events.push((await createEvent(target, owner!, { seats: seatNames(WARM_SEATS) })).id)
  let next = 0
  await load({
    title: 'cold-big-event: warming on small events',
    url: target.url,
    connections: Math.min(options.connections, 16),
    amount: WARM_EVENTS * WARM_SEATS,
    requests: [{
      setupRequest: (request) => {
        const i = next++
        return { ...request, ...jsonRequest('POST', `/v1/events/${events[Math.floor(i / WARM_SEATS) % WARM_EVENTS]}/bookings`, owner!.token, { seatIds: [`S${(i % WARM_SEATS) + 1}`] }) }
      },
    }],
  })
  // A stack that has run a while has had autovacuum analyze its small tables: the planner now
  // knows `seats` as small. (A fresh stack has no statistics at all, and guesses well.)
  if (target.db) await sql`analyze seats`.execute(target.db)
  return { ...await uniform(target, { ...options, label: options.label ?? 'cold-big-event' }), scenario: 'cold-big-event' }
}
