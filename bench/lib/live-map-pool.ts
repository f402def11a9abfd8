import { setTimeout as sleep } from 'node:timers/promises'
import type { Db } from '@seatline/db'
import { LiveMapClient } from '../../test/helpers/live-map-client.ts'

/**
 * Live seat maps held open for a whole run, as browsers left on an event's page: each opens the
 * stream, reads the list and follows. `replace()` closes the oldest and opens one on the event
 * given, so streams come and go all along. A stream the gateway ends is counted and replaced.
 */
export class LiveMapPool {
  readonly #url: string
  readonly #maps = new Set<LiveMapClient>()
  readonly #closing = new Set<LiveMapClient>()
  readonly #opening = new Set<Promise<void>>()
  opened = 0
  failed = 0
  dropped = 0

  constructor (url: string) {
    this.#url = url
  }

  get size (): number {
    return this.#maps.size
  }

  /** Opens `count` maps on one event, ten at a time. */
  async fill (eventId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => this.#open(eventId)))
    }
  }

  replace (eventId: string): void {
    const oldest = this.#maps.values().next().value
    if (oldest) this.#close(oldest)
    this.#openLater(eventId)
  }

  /**
   * After the load: every open map equal to the database, seat by seat (status and version).
   * Holds still expiring reach the maps a moment later, so it looks again for up to `withinMs`.
   */
  async exact (db: Db, withinMs: number): Promise<{ exact: number, total: number }> {
    await Promise.all(this.#opening)
    const deadline = Date.now() + withinMs
    for (;;) {
      const maps = [...this.#maps]
      await Promise.all(maps.map((map) => map.catchUp()))
      const exact = await countExact(db, maps)
      if (exact === maps.length || Date.now() > deadline) return { exact, total: maps.length }
      await sleep(1_000)
    }
  }

  close (): void {
    for (const map of this.#maps) this.#close(map)
  }

  async #open (eventId: string): Promise<void> {
    const map = new LiveMapClient(this.#url, eventId)
    const status = await map.open().catch(() => 0)
    if (status !== 200) {
      this.failed++
      return
    }
    this.opened++
    this.#maps.add(map)
    map.ended.then(() => {
      if (this.#closing.delete(map)) return
      // Ended by the gateway: a browser would open it again.
      this.dropped++
      this.#maps.delete(map)
      this.#openLater(eventId)
    })
  }

  #openLater (eventId: string): void {
    const opening = this.#open(eventId)
    this.#opening.add(opening)
    opening.then(() => this.#opening.delete(opening), () => {})
  }

  #close (map: LiveMapClient): void {
    this.#maps.delete(map)
    this.#closing.add(map)
    map.close()
  }
}

async function countExact (db: Db, maps: LiveMapClient[]): Promise<number> {
  let exact = 0
  const byEvent = Map.groupBy(maps, (map) => map.eventId)
  for (const [eventId, ofEvent] of byEvent) {
    const truth = await db.selectFrom('seat_states').select(['seat_id', 'status', 'version']).where('event_id', '=', eventId).execute()
    for (const map of ofEvent) {
      const same = map.seats.size === truth.length &&
        truth.every((s) => map.seats.get(s.seat_id)?.status === s.status && map.seats.get(s.seat_id)?.version === Number(s.version))
      if (same) exact++
    }
  }
  return exact
}
