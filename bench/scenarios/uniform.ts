import { auditSeatBookings, bookingIdOf, audit } from '../lib/audit.ts'
import { jsonRequest, load } from '../lib/load.ts'
import type { ScenarioResult } from '../lib/report.ts'
import { sampleRss } from '../lib/rss.ts'
import { createEvent, seatNames, type Target } from '../lib/target.ts'

export interface UniformOptions {
  connections: number
  durationS: number
  label?: string
  config?: { workers?: number, partitions?: number }
}

const SEATS_PER_EVENT = 100_000
const SAFE_RATE = 8_000 // bookings/s no run here reaches: enough seats that none is asked twice

/** Every request books a distinct seat of large events: the steady-state cost of one booking. */
export async function uniform (target: Target, options: UniformOptions): Promise<ScenarioResult> {
  const buyers = await target.buyers(options.connections)
  const needed = Math.min(options.durationS * SAFE_RATE, 10 * SEATS_PER_EVENT)
  const events: string[] = []
  for (let made = 0; made < needed; made += SEATS_PER_EVENT) {
    events.push((await createEvent(target, buyers[0]!, { seats: seatNames(Math.min(SEATS_PER_EVENT, needed - made)) })).id)
  }

  let next = 0
  const created: string[] = []
  const rss = sampleRss(target.pids)
  const result = await load({
    title: options.label ?? 'uniform',
    url: target.url,
    connections: options.connections,
    durationS: options.durationS,
    requests: [{
      setupRequest: (request) => {
        const i = next++
        const buyer = buyers[i % buyers.length]!
        const event = events[Math.floor(i / SEATS_PER_EVENT) % events.length]!
        return { ...request, ...jsonRequest('POST', `/v1/events/${event}/bookings`, buyer.token, { seatIds: [`S${(i % SEATS_PER_EVENT) + 1}`] }) }
      },
      onResponse: (status, body) => {
        if (status === 201) {
          const id = bookingIdOf(body)
          if (id) created.push(id)
        }
      },
    }],
  })
  const rssMb = await rss.stop()
  const checks = await auditSeatBookings(target, events, created, 1)
  return {
    scenario: 'uniform',
    system: target.name === 'baseline' ? 'baseline' : 'seatline',
    label: options.label ?? (target.name === 'baseline' ? 'uniform (baseline)' : 'uniform'),
    config: { connections: options.connections, durationS: options.durationS, ...options.config },
    throughput: created.length / result.durationS,
    unit: 'bookings/s',
    latencyMs: result.latencyMs,
    requests: result.requests,
    statuses: result.statuses,
    errors: result.errors,
    audit: audit(checks),
    rssMb,
  }
}
