import type { LiveMessages, SeatChange, SectionChange } from '@seatline/contracts'
import { openSse, type SseConnection, type SseMessage } from './sse-client.ts'

/** Many clients of one gateway get the same messages: each is parsed once (the bench runs thousands). */
const parsedById = new Map<string, unknown>()
function parsed<T> (message: SseMessage): T {
  if (!message.id) return JSON.parse(message.data) as T
  let data = parsedById.get(message.id)
  if (data === undefined) {
    data = JSON.parse(message.data)
    parsedById.set(message.id, data)
    if (parsedById.size > 10_000) parsedById.delete(parsedById.keys().next().value!)
  }
  return data as T
}

/**
 * A live seat map as a client keeps one: open the stream first, then read the list (every page)
 * and the event; per seat and section the higher version wins; a `reset` reads them again.
 */
export class LiveMapClient {
  readonly seats = new Map<string, SeatChange>()
  readonly sections = new Map<string, SectionChange>()
  lastEventId: string | undefined
  resets = 0
  /** Messages by event name. */
  readonly received: Record<string, number> = {}
  /** Called with each seat change as it is applied (for delivery delays). */
  onSeat?: (change: SeatChange) => void
  #connection: SseConnection | undefined
  #loading: Promise<void> | undefined
  #buffer: SseMessage[] = []

  readonly baseUrl: string
  readonly eventId: string

  constructor (baseUrl: string, eventId: string) {
    this.baseUrl = baseUrl
    this.eventId = eventId
  }

  async open (lastEventId?: string): Promise<number> {
    this.#connection = await openSse(`${this.baseUrl}/v1/events/${this.eventId}/stream`, (m) => this.#receive(m), { lastEventId })
    if (this.#connection.status !== 200) return this.#connection.status
    // Resuming keeps the map as it was; starting afresh reads it.
    if (lastEventId === undefined) await this.reload()
    return 200
  }

  close (): void {
    this.#connection?.close()
  }

  get ended (): Promise<void> {
    return this.#connection?.ended ?? Promise.resolve()
  }

  async reload (): Promise<void> {
    this.#loading = (async () => {
      let cursor: string | null | undefined
      do {
        const res = await fetch(`${this.baseUrl}/v1/events/${this.eventId}/seats?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
        const page = await res.json() as { items: SeatChange[], nextCursor: string | null }
        for (const seat of page.items) this.#seat(seat)
        cursor = page.nextCursor
      } while (cursor)
      const event = await (await fetch(`${this.baseUrl}/v1/events/${this.eventId}`)).json() as { sections: Array<{ id: string, remaining: number, version: number }> }
      for (const s of event.sections) this.#section({ sectionId: s.id, remaining: s.remaining, version: s.version })
    })()
    await this.#loading
    this.#loading = undefined
    const buffered = this.#buffer
    this.#buffer = []
    for (const message of buffered) this.#apply(message)
  }

  #receive (message: SseMessage): void {
    if (message.id) this.lastEventId = message.id
    this.received[message.event] = (this.received[message.event] ?? 0) + 1
    if (this.#loading) this.#buffer.push(message)
    else this.#apply(message)
  }

  #apply (message: SseMessage): void {
    if (message.event === 'seats') {
      for (const change of parsed<LiveMessages['seats']>(message).changes) this.#seat(change, true)
    } else if (message.event === 'sections') {
      for (const change of parsed<LiveMessages['sections']>(message).changes) this.#section(change)
    } else if (message.event === 'reset') {
      this.resets++
      this.reload().catch(() => {})
    }
  }

  #seat (change: SeatChange, live = false): void {
    const current = this.seats.get(change.seatId)
    if (!current || change.version >= current.version) this.seats.set(change.seatId, change)
    if (live) this.onSeat?.(change)
  }

  #section (change: SectionChange): void {
    const current = this.sections.get(change.sectionId)
    if (!current || change.version >= current.version) this.sections.set(change.sectionId, change)
  }
}
