import { audit, auditSeatBookings, collectBookings } from '../lib/audit.ts'
import { jsonRequest, load, loadFigures } from '../lib/load.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { sampleRss } from '../lib/rss.ts'
import { seatPool } from '../lib/seat-pool.ts'
import type { Target } from '../lib/target.ts'

export interface HoldConfirmOptions { connections: number, durationS: number }

/** What one autocannon connection remembers between the hold and its confirm. */
interface Flow { token?: string, holdId?: string }

/** Each virtual buyer holds two seats, then confirms the hold: the checkout path. */
export async function holdConfirm (target: Target, options: HoldConfirmOptions): Promise<ScenarioResult> {
  const buyers = await target.buyers(options.connections)
  const pool = await seatPool(target, buyers[0]!, Math.min(options.durationS * 4_000, 1_000_000))
  let next = 0
  const created: string[] = []
  const rss = sampleRss(target.pids)
  const result = await load({
    title: 'hold-confirm',
    url: target.url,
    connections: options.connections,
    durationS: options.durationS,
    requests: [
      {
        setupRequest: (request, context) => {
          const i = next++
          const a = pool.seat((2 * i) % pool.size)
          const b = pool.seat((2 * i + 1) % pool.size)
          const buyer = buyers[i % buyers.length]!
          const flow = context as Flow
          flow.token = buyer.token
          return { ...request, ...jsonRequest('POST', `/v1/events/${a.eventId}/holds`, buyer.token, { seatIds: [a.seatId, b.seatId] }) }
        },
        onResponse: (status, body, context) => {
          const flow = context as Flow
          flow.holdId = status === 201 ? /"holdId":"([0-9a-f-]{36})"/.exec(body)?.[1] : undefined
        },
      },
      {
        // No hold (refused): start the flow over with the next seats.
        setupRequest: (request, context) => {
          const flow = context as Flow
          return flow.holdId ? { ...request, ...jsonRequest('POST', `/v1/holds/${flow.holdId}/confirm`, flow.token!) } : undefined as never
        },
        onResponse: collectBookings(created),
      },
    ],
  })
  const rssMb = await rss.stop()
  const checks = await auditSeatBookings(target, pool.eventIds, created, 2, options.connections)
  return {
    scenario: 'hold-confirm',
    system: 'seatline',
    label: 'hold-confirm',
    config: { connections: options.connections, durationS: options.durationS },
    throughput: created.length / result.durationS,
    unit: 'checkouts/s',
    ...loadFigures(result),
    audit: audit(checks),
    rssMb,
  }
}
