import type { Command, CommandResult } from '@seatline/contracts'
import { createBlockingRedis, type RedisClient, type RedisTarget } from './redis.ts'

/** Which seats and sections of an event a committed job (or a sweep) may have changed. */
export interface SeatChangeNotice {
  eventId: string
  seatIds: string[]
  sectionIds: string[]
}

const channel = (prefix: string) => `${prefix}:seat-changes`

function sectionOf (command: Command): string | null {
  if (command.type === 'book-section') return command.sectionId
  if (command.type === 'cancel-booking') return command.sectionId
  return null
}

/** The seats and sections each event's successful commands wrote; refusals change nothing. */
export function changesOf (commands: readonly Command[], results: readonly CommandResult[]): SeatChangeNotice[] {
  const byEvent = new Map<string, { seats: Set<string>, sections: Set<string> }>()
  commands.forEach((command, i) => {
    if (!results[i]?.ok) return
    const entry = byEvent.get(command.eventId) ?? { seats: new Set(), sections: new Set() }
    byEvent.set(command.eventId, entry)
    if ('seatIds' in command) for (const seat of command.seatIds) entry.seats.add(seat)
    const section = sectionOf(command)
    if (section) entry.sections.add(section)
  })
  return [...byEvent].map(([eventId, { seats, sections }]) => ({ eventId, seatIds: [...seats], sectionIds: [...sections] }))
}

/** The seats a sweep tidied, as one notice per event. */
export function sweptNotices (seats: ReadonlyArray<{ eventId: string, seatId: string }>): SeatChangeNotice[] {
  return [...Map.groupBy(seats, (s) => s.eventId)].map(([eventId, list]) => ({ eventId, seatIds: list.map((s) => s.seatId), sectionIds: [] }))
}

/**
 * Tells every gateway, after the commit, what changed: one PUBLISH per job. Pub/sub may drop a
 * message (a gateway reconnecting); gateways then tell their clients to read the map again.
 */
export async function publishSeatChanges (redis: RedisClient, prefix: string, notices: SeatChangeNotice[]): Promise<void> {
  if (notices.length === 0) return
  await redis.publish(channel(prefix), JSON.stringify(notices))
}

export interface SeatChangeSubscription {
  close (): Promise<void>
}

/**
 * A gateway's side: `onNotices` for every message; `onGap` whenever messages may have been
 * missed (the connection dropped and came back), so that live maps start over.
 */
export async function subscribeSeatChanges (target: RedisTarget, prefix: string, handlers: {
  onNotices (notices: SeatChangeNotice[]): void
  onGap (): void
}): Promise<SeatChangeSubscription> {
  const redis = createBlockingRedis(target, 'seatline-gateway-seat-changes')
  redis.on('error', () => {})
  let subscribed = false
  redis.on('ready', () => { if (subscribed) handlers.onGap() })
  redis.on('message', (_channel: string, message: string) => {
    try {
      handlers.onNotices(JSON.parse(message) as SeatChangeNotice[])
    } catch {
      handlers.onGap()
    }
  })
  await redis.subscribe(channel(prefix))
  subscribed = true
  return {
    async close () {
      await redis.quit().catch(() => { redis.disconnect() })
    },
  }
}
