import { parseStreamMessage, Reconciler, type SeatState, type SectionState, type Snapshot, type StreamMessage } from '../../apps/web/client/live-map.ts'
import { openSse, type SseConnection, type SseMessage } from './sse-client.ts'

/** Many clients of one gateway get the same messages: each is parsed once (the bench runs thousands). */
const parsedById = new Map<string, StreamMessage | undefined>()
function parsed (message: SseMessage): StreamMessage | undefined {
  if (!message.id) return parseStreamMessage(message.event, message.data)
  if (!parsedById.has(message.id)) {
    parsedById.set(message.id, parseStreamMessage(message.event, message.data))
    if (parsedById.size > 10_000) parsedById.delete(parsedById.keys().next().value!)
  }
  return parsedById.get(message.id)
}

interface SeatPage { items: SeatState[], nextCursor: string | null }
interface ReadText { pages: string[], event: string }

/**
 * A live seat map kept in Node exactly as the web pages keep theirs (the pages' Reconciler):
 * open the stream first, then read the list (every page) and the event; per seat and section
 * the higher version wins; a `reset` reads them again.
 */
export class LiveMapClient {
  readonly baseUrl: string
  readonly eventId: string
  readonly #reconciler: Reconciler
  lastEventId: string | undefined
  resets = 0
  /** Messages by event name. */
  readonly received: Record<string, number> = {}
  /** Called with each seat a stream message changed, as it is applied (for delivery delays). */
  onSeat?: (seat: SeatState) => void
  #connection: SseConnection | undefined
  /** A held client's list, read when it opened and applied at `catchUp()`. */
  #readLater: ReadText | undefined

  constructor (baseUrl: string, eventId: string) {
    this.baseUrl = baseUrl
    this.eventId = eventId
    this.#reconciler = new Reconciler({
      load: () => this.#load(),
      onUpdate: (update) => {
        if (!this.onSeat) return
        for (const seatId of update.seatIds) this.onSeat(this.seats.get(seatId)!)
      },
      retryMs: 200,
    })
  }

  get seats (): Map<string, SeatState> {
    return this.#reconciler.map.seats
  }

  get sections (): Map<string, SectionState> {
    return this.#reconciler.map.sections
  }

  /**
   * Opens the stream; a fresh client then reads the map, a resuming one keeps the map it has.
   * A `held` client keeps the stream's bytes unread until `catchUp()` (see SseOptions.held), and
   * the list it reads as text: thousands of parsed maps would make every garbage collection of
   * the bench process, which shares the stack's cores, walk millions of seats.
   */
  async open (lastEventId?: string, options: { held?: boolean } = {}): Promise<number> {
    this.#connection = await openSse(`${this.baseUrl}/v1/events/${this.eventId}/stream`, (m) => this.#receive(m), { lastEventId, held: options.held })
    if (this.#connection.status !== 200) return this.#connection.status
    if (lastEventId === undefined) {
      if (options.held) this.#readLater = await this.#read()
      else await this.#reconciler.reload()
    }
    return 200
  }

  /** A held client: applies the list it read, then what its stream brought since; then live. */
  async catchUp (): Promise<void> {
    if (this.#readLater) await this.#reconciler.reload()
    this.#connection?.release()
    await this.#reconciler.settled
  }

  close (): void {
    this.#connection?.close()
  }

  get ended (): Promise<void> {
    return this.#connection?.ended ?? Promise.resolve()
  }

  #receive (message: SseMessage): void {
    if (message.id) this.lastEventId = message.id
    this.received[message.event] = (this.received[message.event] ?? 0) + 1
    const streamMessage = parsed(message)
    if (!streamMessage) return
    if (streamMessage.type === 'reset') this.resets++
    this.#reconciler.receive(streamMessage)
  }

  async #load (): Promise<Snapshot> {
    const read = this.#readLater ?? await this.#read()
    this.#readLater = undefined
    const seats = read.pages.flatMap((page) => (JSON.parse(page) as SeatPage).items)
    const event = JSON.parse(read.event) as { sections: SectionState[], seats: Snapshot['counts'] }
    return { seats, sections: event.sections, counts: event.seats }
  }

  /** Every page of the seat list, then the event, as the texts the gateway sent. */
  async #read (): Promise<ReadText> {
    const pages: string[] = []
    let cursor: string | null | undefined
    do {
      const res = await fetch(`${this.baseUrl}/v1/events/${this.eventId}/seats?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
      if (res.status !== 200) throw new Error(`seat list: ${res.status}`)
      const page = await res.text()
      pages.push(page)
      cursor = (JSON.parse(page) as SeatPage).nextCursor
    } while (cursor)
    const res = await fetch(`${this.baseUrl}/v1/events/${this.eventId}`)
    if (res.status !== 200) throw new Error(`event: ${res.status}`)
    return { pages, event: await res.text() }
  }
}
