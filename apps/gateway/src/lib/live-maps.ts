import { randomBytes } from 'node:crypto'
import type { LiveEventName, LiveMessages, SeatChange, SeatCounts, SectionChange } from '@seatline/contracts'
import type { SeatChangeNotice } from '@seatline/queue'

/** Where the current state comes from: the database, read after the commit that was noticed. */
export interface LiveMapSource {
  seatChanges (eventId: string, seatIds: readonly string[]): Promise<SeatChange[]>
  sectionChanges (eventId: string, sectionIds: readonly string[]): Promise<SectionChange[]>
  counts (eventId: string): Promise<SeatCounts>
}

/** One open stream: `write` returns false when the client has stopped reading. */
export interface LiveSubscriber {
  write (chunk: string | Buffer): boolean
  end (): void
}

export interface LiveMapsOptions {
  source: LiveMapSource
  /** Changes noticed within this long go out together: a bounded number of messages per event. */
  flushMs?: number
  /**
   * Socket writes a second this gateway may spend on live maps, all events together. Past
   * `flushMs × writesPerSecond / 1000` open streams, flushes come less often instead: each
   * write is a system call, and a gateway with thousands of maps open in a sale must still
   * spend its cores on the sale.
   */
  writesPerSecond?: number
  /** Counts are the costly read (every seat of the event): at most this often. */
  countsMs?: number
  /** How long messages are kept for a client that resumes with Last-Event-ID. */
  historyMs?: number
  heartbeatMs?: number
  onError? (error: unknown): void
}

const SEATS_PER_MESSAGE = 1_000
/** History kept per event for resuming, at most: a resume from before it starts over. */
const HISTORY_BYTES = 1_000_000
/** A hold read as still held just past its expiry (the clocks differ a little) is read again. */
const EXPIRY_RECHECK_MS = 200

/** A message as sent: encoded once, written to every client of the event as the same bytes. */
interface Frame { seq: number, at: number, bytes: Buffer }

/** One event's live map: who listens, what changed since the last flush, what was sent. */
interface Feed {
  eventId: string
  subscribers: Set<LiveSubscriber>
  seats: Set<string>
  sections: Set<string>
  countsDue: boolean
  countsAt: number
  timer: NodeJS.Timeout | undefined
  flushing: boolean
  history: Frame[]
  historyBytes: number
  /** Frames after this one are all in `history`; a client resuming from before gets a reset. */
  floor: number
  idleSince: number | undefined
  expiries: Map<string, NodeJS.Timeout>
}

/**
 * Live seat maps for `GET /v1/events/:eventId/stream`. Workers announce which seats a commit
 * changed; this gateway reads those seats back from the database (so every message is committed
 * state, with its version), at most once per `flushMs` per event, and sends them to every
 * client of that event. A hold's expiry is sent when it happens. Messages carry ids
 * `<this process>.<n>`, and are kept a while so a client can resume with Last-Event-ID; any
 * doubt (an id from another gateway, a gap in the announcements) is a `reset`: read the list.
 */
export class LiveMaps {
  readonly #options: Required<Omit<LiveMapsOptions, 'onError'>> & Pick<LiveMapsOptions, 'onError'>
  readonly #feeds = new Map<string, Feed>()
  readonly #boot = randomBytes(4).toString('hex')
  #seq = 0
  readonly #heartbeat: NodeJS.Timeout
  readonly #sweeper: NodeJS.Timeout

  constructor (options: LiveMapsOptions) {
    this.#options = { flushMs: 200, writesPerSecond: 5_000, countsMs: 1_000, historyMs: 60_000, heartbeatMs: 15_000, ...options }
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs).unref()
    this.#sweeper = setInterval(() => this.#forgetIdle(), this.#options.historyMs).unref()
  }

  /** Starts a client's stream; returns the function that ends it. */
  subscribe (eventId: string, lastEventId: string | undefined, subscriber: LiveSubscriber): () => void {
    let feed = this.#feeds.get(eventId)
    if (!feed) {
      feed = {
        eventId,
        subscribers: new Set(),
        seats: new Set(),
        sections: new Set(),
        countsDue: false,
        countsAt: 0,
        timer: undefined,
        flushing: false,
        history: [],
        historyBytes: 0,
        floor: this.#seq,
        idleSince: undefined,
        expiries: new Map(),
      }
      this.#feeds.set(eventId, feed)
    }
    feed.subscribers.add(subscriber)
    feed.idleSince = undefined
    // The first bytes: tells the client (and any proxy) that the stream is open.
    subscriber.write(`retry: 1000\n: stream of event ${eventId}\n\n`)
    if (lastEventId !== undefined) this.#resume(feed, lastEventId, subscriber)
    return () => {
      feed.subscribers.delete(subscriber)
      if (feed.subscribers.size === 0) feed.idleSince = Date.now()
    }
  }

  /** A worker's announcement: mark what changed, for events someone watches (or watched lately). */
  notice (notices: readonly SeatChangeNotice[]): void {
    for (const notice of notices) {
      const feed = this.#feeds.get(notice.eventId)
      if (!feed) continue
      for (const seat of notice.seatIds) feed.seats.add(seat)
      for (const section of notice.sectionIds) feed.sections.add(section)
      feed.countsDue ||= notice.seatIds.length > 0
      this.#schedule(feed)
    }
  }

  /** Announcements may have been lost: every client starts over from the list. */
  gap (): void {
    for (const feed of this.#feeds.values()) {
      feed.history = []
      feed.historyBytes = 0
      feed.floor = this.#seq + 1
      this.#send(feed, 'reset', { eventId: feed.eventId })
    }
  }

  /** Ends every stream (shutting down: clients reconnect elsewhere and resume or reset). */
  close (): void {
    clearInterval(this.#heartbeat)
    clearInterval(this.#sweeper)
    for (const feed of this.#feeds.values()) {
      clearTimeout(feed.timer)
      for (const timer of feed.expiries.values()) clearTimeout(timer)
      for (const subscriber of feed.subscribers) subscriber.end()
    }
    this.#feeds.clear()
  }

  #resume (feed: Feed, lastEventId: string, subscriber: LiveSubscriber): void {
    const [boot, seqText] = lastEventId.split('.')
    const seq = Number(seqText)
    if (boot !== this.#boot || !Number.isInteger(seq) || seq < feed.floor) {
      subscriber.write(this.#frame('reset', { eventId: feed.eventId }).bytes)
      return
    }
    for (const frame of feed.history) if (frame.seq > seq) subscriber.write(frame.bytes)
  }

  /** How long changes gather before a flush: `flushMs`, longer once flushes would pass the write budget. */
  get flushDelayMs (): number {
    const { flushMs, writesPerSecond } = this.#options
    // Open streams, all events together: what one flush of each costs in writes.
    let streams = 0
    for (const feed of this.#feeds.values()) streams += feed.subscribers.size
    return Math.max(flushMs, Math.ceil((1_000 * streams) / writesPerSecond))
  }

  #schedule (feed: Feed): void {
    if (feed.timer || feed.flushing) return
    feed.timer = setTimeout(() => {
      feed.timer = undefined
      this.#flush(feed).catch((error: unknown) => this.#options.onError?.(error))
    }, this.flushDelayMs)
  }

  async #flush (feed: Feed): Promise<void> {
    const seats = [...feed.seats]
    const sections = [...feed.sections]
    const counts = feed.countsDue && Date.now() - feed.countsAt >= this.#options.countsMs
    feed.seats.clear()
    feed.sections.clear()
    if (counts) feed.countsDue = false
    feed.flushing = true
    try {
      const { source } = this.#options
      const [seatChanges, sectionChanges, seatCounts] = await Promise.all([
        source.seatChanges(feed.eventId, seats),
        source.sectionChanges(feed.eventId, sections),
        counts ? source.counts(feed.eventId) : undefined,
      ])
      const frames: Frame[] = []
      for (let i = 0; i < seatChanges.length; i += SEATS_PER_MESSAGE) {
        frames.push(this.#record(feed, 'seats', { eventId: feed.eventId, changes: seatChanges.slice(i, i + SEATS_PER_MESSAGE) }))
      }
      if (sectionChanges.length) frames.push(this.#record(feed, 'sections', { eventId: feed.eventId, changes: sectionChanges }))
      if (seatCounts) {
        feed.countsAt = Date.now()
        frames.push(this.#record(feed, 'counts', { eventId: feed.eventId, seats: seatCounts }))
      }
      // One write per client per flush, of bytes shared by every client.
      if (frames.length) this.#deliver(feed, frames.length === 1 ? frames[0]!.bytes : Buffer.concat(frames.map((f) => f.bytes)))
      for (const change of seatChanges) if (change.holdExpiresAt) this.#watchExpiry(feed, change.seatId, change.holdExpiresAt)
    } catch (error) {
      // Not sent: try again with the next tick, whatever else has changed by then.
      for (const seat of seats) feed.seats.add(seat)
      for (const section of sections) feed.sections.add(section)
      feed.countsDue ||= counts
      this.#options.onError?.(error)
    } finally {
      feed.flushing = false
      if (feed.seats.size || feed.sections.size || feed.countsDue) this.#schedule(feed)
    }
  }

  /** A held seat is read again when its hold expires: its version then moves on by one. */
  #watchExpiry (feed: Feed, seatId: string, holdExpiresAt: string): void {
    clearTimeout(feed.expiries.get(seatId))
    const delay = Math.max(Date.parse(holdExpiresAt) - Date.now() + 20, EXPIRY_RECHECK_MS)
    feed.expiries.set(seatId, setTimeout(() => {
      feed.expiries.delete(seatId)
      this.notice([{ eventId: feed.eventId, seatIds: [seatId], sectionIds: [] }])
    }, delay).unref())
  }

  #frame<E extends LiveEventName> (event: E, data: LiveMessages[E]): Frame {
    const seq = ++this.#seq
    const text = `id: ${this.#boot}.${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    // Bytes of its own, not a slice of Node's shared Buffer pool: a frame kept in the history for
    // a minute would keep its whole 64 KB slab alive with it (the soak saw 35 MB of slabs pinned
    // by 100-byte frames, growing with the run).
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
    bytes.write(text)
    return { seq, at: Date.now(), bytes }
  }

  #send<E extends LiveEventName> (feed: Feed, event: E, data: LiveMessages[E]): void {
    this.#deliver(feed, this.#record(feed, event, data).bytes)
  }

  /** Keeps a message for clients that will resume; returns it, to be delivered. */
  #record<E extends LiveEventName> (feed: Feed, event: E, data: LiveMessages[E]): Frame {
    const frame = this.#frame(event, data)
    feed.history.push(frame)
    feed.historyBytes += frame.bytes.length
    const keepFrom = Date.now() - this.#options.historyMs
    while (feed.history.length && (feed.history[0]!.at < keepFrom || feed.historyBytes > HISTORY_BYTES)) {
      const dropped = feed.history.shift()!
      feed.historyBytes -= dropped.bytes.length
      feed.floor = dropped.seq
    }
    return frame
  }

  #deliver (feed: Feed, bytes: Buffer): void {
    for (const subscriber of feed.subscribers) {
      // A client that stopped reading is let go: it reconnects and resumes, or starts over.
      if (!subscriber.write(bytes)) {
        feed.subscribers.delete(subscriber)
        subscriber.end()
      }
    }
  }

  #beat (): void {
    for (const feed of this.#feeds.values()) for (const subscriber of feed.subscribers) subscriber.write(': keep-alive\n\n')
  }

  /** Events nobody has watched for a while are forgotten; a client resuming one gets a reset. */
  #forgetIdle (): void {
    const before = Date.now() - this.#options.historyMs
    for (const [eventId, feed] of this.#feeds) {
      if (feed.idleSince === undefined || feed.idleSince > before) continue
      clearTimeout(feed.timer)
      for (const timer of feed.expiries.values()) clearTimeout(timer)
      this.#feeds.delete(eventId)
    }
  }
}
