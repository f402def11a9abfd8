import { auditSeatBookings, collectBookings, audit } from '../lib/audit.ts'
import { jsonRequest, load, loadFigures } from '../lib/load.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { cpuBetween, cpuByPid, pidsNamed, sampleRss } from '../lib/rss.ts'
import { SEATS_PER_EVENT, seatPool } from '../lib/seat-pool.ts'
import type { Target } from '../lib/target.ts'

export interface UniformOptions {
  connections: number
  durationS: number
  label?: string
  config?: { workers?: number, partitions?: number }
}

const SAFE_RATE = 5_000 // bookings/s no run here reaches: enough seats that none is asked twice

/** Every request books a distinct seat of large events: the steady-state cost of one booking. */
export async function uniform (target: Target, options: UniformOptions): Promise<ScenarioResult> {
  const buyers = await target.buyers(options.connections)
  const pool = await seatPool(target, buyers[0]!, Math.min(options.durationS * SAFE_RATE, 10 * SEATS_PER_EVENT))

  let next = 0
  const created: string[] = []
  const rss = sampleRss(target.pids)
  // Postgres's CPU over the load, on a stack the bench started (its database is on this machine).
  const pgBefore = target.db ? await cpuByPid(pidsNamed('postgres')) : undefined
  const result = await load({
    title: options.label ?? 'uniform',
    url: target.url,
    connections: options.connections,
    durationS: options.durationS,
    requests: [{
      setupRequest: (request) => {
        const i = next++
        const { eventId, seatId } = pool.seat(i % pool.size)
        return { ...request, ...jsonRequest('POST', `/v1/events/${eventId}/bookings`, buyers[i % buyers.length]!.token, { seatIds: [seatId] }) }
      },
      onResponse: collectBookings(created),
    }],
  })
  const pgCpuS = pgBefore ? cpuBetween(pgBefore, await cpuByPid(pidsNamed('postgres'))) : Number.NaN
  const rssMb = await rss.stop()
  const checks = await auditSeatBookings(target, pool.eventIds, created, 1, options.connections)
  return {
    scenario: 'uniform',
    system: target.name,
    label: options.label ?? (target.name === 'seatline' ? 'uniform' : `uniform (${target.name})`),
    config: { connections: options.connections, durationS: options.durationS, ...options.config },
    throughput: created.length / result.durationS,
    unit: 'bookings/s',
    ...loadFigures(result),
    audit: audit(checks),
    ...postgresCpu(pgCpuS, created.length),
    rssMb,
  }
}

/** Postgres CPU ms per booking, left out when it could not be measured (or nothing was booked). */
function postgresCpu (cpuS: number, bookings: number): { extra?: Record<string, number> } {
  const ms = (cpuS * 1000) / bookings
  return Number.isFinite(ms) && ms >= 0 && bookings > 0 ? { extra: { postgresCpuMsPerBooking: Math.round(ms * 1000) / 1000 } } : {}
}
