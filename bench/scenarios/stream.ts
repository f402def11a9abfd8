import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { LiveMapClient } from '../../test/helpers/live-map-client.ts'
import { check } from '../lib/audit.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { percentile } from '../lib/stats.ts'
import type { Target } from '../lib/target.ts'
import { flashSale, type FlashSaleOptions } from './flash-sale.ts'

export interface StreamOptions {
  subscribers: number
  sale: FlashSaleOptions
}

/**
 * The share of clients that follow the sale live and time every delivery (100 of 2,000). The
 * others keep the bytes and apply them after the sale: the gateway sends them the same, but
 * their parsing would run on the buyers' devices, not on the two cores the stack has here.
 * All are checked at the end.
 */
const TIMED_SHARE = 0.05
/** After the last answer, how long the maps get to hear the last changes. */
const SETTLE_MS = 2_000

/**
 * The flash sale with `subscribers` live seat maps open on its event, all on the one gateway:
 * each opens the stream, reads the list, and follows the sale. Afterwards every map must equal
 * the database; the figures are the delay from a booking's commit to its arrival on a map, and
 * the sale's own figures (compared with flash-sale's in the same run).
 */
export async function stream (target: Target, options: StreamOptions): Promise<ScenarioResult> {
  const maps: LiveMapClient[] = []
  const arrivals = new Map<LiveMapClient, Map<string, number>>()
  let eventId = ''
  let openMs = 0
  const timed = Math.max(1, Math.round(options.subscribers * TIMED_SHARE))
  const result = await flashSale(target, {
    ...options.sale,
    label: `flash-sale with ${options.subscribers.toLocaleString('en')} live maps`,
    async beforeSale (id) {
      eventId = id
      const opening = performance.now()
      for (let i = 0; i < options.subscribers; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, options.subscribers - i) }, async (_, k) => {
          const map = new LiveMapClient(target.url, id)
          if (i + k < timed) {
            const seen = new Map<string, number>()
            arrivals.set(map, seen)
            map.onSeat = (change) => { if (change.status === 'booked' && !seen.has(change.seatId)) seen.set(change.seatId, Date.now()) }
          }
          const status = await map.open(undefined, { held: i + k >= timed })
          if (status !== 200) throw new Error(`a live map could not open its stream: ${status}`)
          maps.push(map)
        }))
      }
      openMs = Math.round(performance.now() - opening)
    },
  })
  await sleep(SETTLE_MS)
  await Promise.all(maps.map((map) => map.catchUp()))

  const db = target.db!
  const truth = await db.selectFrom('seat_states').select(['seat_id', 'status', 'version']).where('event_id', '=', eventId).execute()
  const { rows: committed } = await sql<{ seat_id: string, created_at: Date }>`
    select bs.seat_id, b.created_at from booking_seats bs join bookings b on b.id = bs.booking_id
     where bs.event_id = ${eventId} and bs.active`.execute(db)
  const exact = maps.filter((map) => map.seats.size === truth.length &&
    truth.every((s) => map.seats.get(s.seat_id)?.status === s.status && map.seats.get(s.seat_id)?.version === Number(s.version))).length
  const delays: number[] = []
  for (const seen of arrivals.values()) {
    for (const { seat_id: seat, created_at: at } of committed) {
      const arrived = seen.get(seat)
      if (arrived !== undefined) delays.push(Math.max(0, arrived - at.getTime()))
    }
  }
  const messages = maps.reduce((n, m) => n + (m.received.seats ?? 0), 0) / Math.max(1, maps.length)
  const resets = maps.reduce((n, m) => n + m.resets, 0)
  for (const map of maps) map.close()

  return {
    ...result,
    scenario: 'stream',
    audit: {
      ok: result.audit.ok && exact === options.subscribers,
      checks: [
        ...result.audit.checks,
        check('every live map ends equal to the database', exact === options.subscribers, `${exact} of ${options.subscribers} maps exact`),
      ],
    },
    extra: {
      ...result.extra,
      subscribers: options.subscribers,
      /** How long the maps took to open their streams and read the list, 100 at a time. */
      openMs,
      exactMaps: exact,
      deliveryP50Ms: percentile(delays, 50),
      deliveryP99Ms: percentile(delays, 99),
      seatsMessagesPerMap: Math.round(messages),
      resets,
    },
  }
}
