/**
 * An event's seat map kept current from its stream: the reconciliation the stream's contract
 * asks of a client, with no DOM and no network of its own (both are passed in), so that it runs
 * in Node's tests as it does in the browser.
 *
 * Open the stream first and buffer its messages, read the whole seat list and the event, then
 * apply the buffered messages and every later one. Per seat (and per section) the state with the
 * higher `version` wins: a change applies when change.version >= current.version. `reset` means
 * "read the list again", the same way.
 */

export type SeatStatus = 'available' | 'held' | 'booked'

export interface SeatState {
  seatId: string
  status: SeatStatus
  holdExpiresAt?: string
  /** Absent from servers that predate the stream: read as 0, so any change wins over it. */
  version?: number
}

export interface SectionState {
  id: string
  name: string
  capacity: number
  remaining: number
  priceCents: number | null
  version?: number
}

export interface SeatCounts {
  total: number
  available: number
  held: number
  booked: number
}

export interface SeatChange {
  seatId: string
  status: SeatStatus
  holdExpiresAt?: string
  version: number
}

export interface SectionChange {
  sectionId: string
  remaining: number
  version: number
}

export type StreamMessage =
  | { type: 'seats', data: { eventId: string, changes: SeatChange[] } }
  | { type: 'sections', data: { eventId: string, changes: SectionChange[] } }
  | { type: 'counts', data: { eventId: string, seats: SeatCounts } }
  | { type: 'reset', data: { eventId: string } }

/** What a full read returns: every seat (all pages) and the event's sections. */
export interface Snapshot {
  seats: SeatState[]
  sections: SectionState[]
  counts?: SeatCounts
}

/**
 * How a read reports as it goes, when the reconciler is progressive: the event's counts first
 * (how big the map will be), then each page of the seat list as it arrives.
 */
export interface LoadProgress {
  event (counts: SeatCounts | undefined): void
  /** One page of seats; false: stop reading, nobody wants the rest (the page was closed). */
  seats (page: SeatState[]): boolean
}

/** What changed in one step: the seats and whether sections or counts moved, or everything. */
export interface MapUpdate {
  all: boolean
  seatIds: string[]
  sections: boolean
  counts: boolean
}

const STREAM_TYPES = new Set(['seats', 'sections', 'counts', 'reset'])

/** A stream message from its SSE event name and data text; undefined if it is none we know. */
export function parseStreamMessage (type: string, text: string): StreamMessage | undefined {
  if (!STREAM_TYPES.has(type)) return undefined
  try {
    const data = JSON.parse(text) as unknown
    if (typeof data !== 'object' || data === null) return undefined
    return { type, data } as unknown as StreamMessage
  } catch {
    return undefined
  }
}

/** A held seat whose hold has run out reads as available, as the API's reads say. */
export function effectiveStatus (seat: SeatState, now: number): SeatStatus {
  if (seat.status === 'held' && seat.holdExpiresAt && Date.parse(seat.holdExpiresAt) <= now) return 'available'
  return seat.status
}

/** The seat and section states, with the version rule. */
export class LiveMap {
  readonly seats = new Map<string, SeatState>()
  readonly sections = new Map<string, SectionState>()
  /** The last counts the server sent (a stream `counts` message or the event read). */
  serverCounts: SeatCounts | undefined

  /** Replaces everything with a fresh read: what a reset asks for. */
  replace (snapshot: Snapshot): void {
    this.seats.clear()
    for (const seat of snapshot.seats) this.seats.set(seat.seatId, { ...seat })
    this.sections.clear()
    for (const section of snapshot.sections) this.sections.set(section.id, { ...section })
    this.serverCounts = snapshot.counts
  }

  /**
   * A seat from a read into a map that may know it already (from the stream, during a
   * progressive read): the read wins only when newer, as a change applied after it would have
   * won on a tie. Takes the object as it is (a freshly parsed page), with no copy.
   */
  mergeSeat (seat: SeatState): boolean {
    const current = this.seats.get(seat.seatId)
    if (current && (seat.version ?? 0) <= (current.version ?? 0)) return false
    this.seats.set(seat.seatId, seat)
    return true
  }

  /** Applies one change if it is at least as new as what we have; says whether it did. */
  applySeat (change: SeatChange): boolean {
    const current = this.seats.get(change.seatId)
    if (current && change.version < (current.version ?? 0)) return false
    const next: SeatState = { seatId: change.seatId, status: change.status, version: change.version }
    if (change.holdExpiresAt) next.holdExpiresAt = change.holdExpiresAt
    this.seats.set(change.seatId, next)
    return true
  }

  applySection (change: SectionChange): boolean {
    const current = this.sections.get(change.sectionId)
    // A section we have not read has no name or capacity to show: the next read brings it.
    if (!current || change.version < (current.version ?? 0)) return false
    current.remaining = change.remaining
    current.version = change.version
    return true
  }

  /** Applies a seats, sections or counts message (not reset) and says what changed. */
  apply (message: Exclude<StreamMessage, { type: 'reset' }>): MapUpdate {
    const update: MapUpdate = { all: false, seatIds: [], sections: false, counts: false }
    if (message.type === 'seats') {
      for (const change of message.data.changes ?? []) {
        if (this.applySeat(change)) update.seatIds.push(change.seatId)
      }
    } else if (message.type === 'sections') {
      for (const change of message.data.changes ?? []) {
        if (this.applySection(change)) update.sections = true
      }
    } else if (message.type === 'counts') {
      this.serverCounts = message.data.seats
      update.counts = true
    }
    return update
  }

  /** Counts from the seats themselves, expired holds as available: they always agree with the grid. */
  counts (now: number): SeatCounts {
    const counts: SeatCounts = { total: 0, available: 0, held: 0, booked: 0 }
    for (const seat of this.seats.values()) {
      counts.total++
      counts[effectiveStatus(seat, now)]++
    }
    return counts
  }
}

export interface ReconcilerOptions {
  /**
   * Reads every page of the seat list and the event. Given `progress` (progressive, first read
   * only), it reports the event and each page as they come, and its snapshot need not repeat
   * the seats.
   */
  load: (progress?: LoadProgress) => Promise<Snapshot>
  /** Called after each step that changed something. */
  onUpdate: (update: MapUpdate) => void
  /** A read failed; it is tried again after `retryMs`. */
  onError?: (error: unknown) => void
  retryMs?: number
  /** For tests: how to wait between tries. */
  sleep?: (ms: number) => Promise<void>
  /**
   * Shows the first read as it comes (a map of 100,000 seats takes 100 pages): each page goes
   * into the map at once with an update naming its seats, and seat changes from the stream
   * apply at once instead of waiting in the buffer. The higher version wins either way, so the
   * map ends the same as with the buffer. `loaded` turns true at the end; later reads (a reset)
   * buffer and replace as usual.
   */
  progressive?: boolean
}

/**
 * Feeds stream messages and full reads into a LiveMap in the contract's order. Messages that
 * arrive while a read is under way wait in a buffer and are applied after it.
 */
export class Reconciler {
  readonly map = new LiveMap()
  readonly #options: ReconcilerOptions
  #buffer: StreamMessage[] | undefined
  #loading: Promise<void> | undefined
  #again = false
  #stopped = false
  /** A progressive first read is under way: seat changes apply at once. */
  #progressive = false
  /** True once one full read has landed. */
  loaded = false

  constructor (options: ReconcilerOptions) {
    this.#options = options
  }

  /** A message from the stream, in the order it came. */
  receive (message: StreamMessage): void {
    if (this.#stopped) return
    if (this.#buffer) {
      if (this.#progressive && message.type === 'seats') this.#applyNow(message)
      else this.#buffer.push(message)
      return
    }
    if (message.type === 'reset') {
      this.reload()
      return
    }
    // Before the first read there is nothing to apply to: start buffering until it comes.
    if (!this.loaded) {
      this.#buffer = [message]
      return
    }
    const update = this.map.apply(message)
    if (update.seatIds.length || update.sections || update.counts) this.#options.onUpdate(update)
  }

  /**
   * Reads the list again (and the event), buffering the stream meanwhile; a reload asked for
   * while one runs makes it run once more after, since its read may predate the reset.
   */
  reload (): Promise<void> {
    if (this.#loading) {
      this.#again = true
      return this.#loading
    }
    this.#loading = this.#run().finally(() => { this.#loading = undefined })
    return this.#loading
  }

  /** Resolves when no read of the list is under way (at once if none is). */
  get settled (): Promise<void> {
    return this.#loading ?? Promise.resolve()
  }

  stop (): void {
    this.#stopped = true
    this.#buffer = undefined
  }

  #applyNow (message: Extract<StreamMessage, { type: 'seats' }>): void {
    const update = this.map.apply(message)
    if (update.seatIds.length) this.#options.onUpdate(update)
  }

  /** What a progressive read reports to: pages go into the map as they come. */
  #progress (): LoadProgress {
    return {
      event: (counts) => {
        if (this.#stopped) return
        this.map.serverCounts = counts
        this.#options.onUpdate({ all: false, seatIds: [], sections: false, counts: true })
      },
      seats: (page) => {
        if (this.#stopped) return false
        const seatIds: string[] = []
        for (const seat of page) if (this.map.mergeSeat(seat)) seatIds.push(seat.seatId)
        if (seatIds.length) this.#options.onUpdate({ all: false, seatIds, sections: false, counts: false })
        return true
      },
    }
  }

  async #run (): Promise<void> {
    const sleep = this.#options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
    do {
      this.#again = false
      // Keep what was buffered before the first read: those messages may be newer than it.
      this.#buffer ??= []
      const progressive = Boolean(this.#options.progressive) && !this.loaded
      if (progressive) {
        // Seat changes that came before the read apply now; the rest waits for its end.
        this.#progressive = true
        const waiting = this.#buffer
        this.#buffer = []
        for (const message of waiting) {
          if (message.type === 'seats') this.#applyNow(message)
          else this.#buffer.push(message)
        }
      }
      let snapshot: Snapshot | undefined
      while (!snapshot && !this.#stopped) {
        try {
          snapshot = await this.#options.load(progressive ? this.#progress() : undefined)
        } catch (error) {
          this.#options.onError?.(error)
          await sleep(this.#options.retryMs ?? 2000)
        }
      }
      this.#progressive = false
      if (!snapshot || this.#stopped) return
      if (progressive) {
        // The pages are in already (a snapshot may repeat them: merging is idempotent).
        for (const seat of snapshot.seats) this.map.mergeSeat({ ...seat })
        this.map.sections.clear()
        for (const section of snapshot.sections) this.map.sections.set(section.id, { ...section })
        this.map.serverCounts = snapshot.counts
      } else {
        this.map.replace(snapshot)
      }
      this.loaded = true
      const buffered = this.#buffer ?? []
      this.#buffer = undefined
      for (const message of buffered) {
        if (message.type === 'reset') this.#again = true
        else this.map.apply(message)
      }
    } while (this.#again && !this.#stopped)
    this.#options.onUpdate({ all: true, seatIds: [], sections: true, counts: true })
  }
}
