/**
 * The public HTTP API as the pages use it (docs/api.md). Commands carry an Idempotency-Key, so
 * the retries the API guide recommends (503, 429 after Retry-After) can never book twice, and
 * a 202 is polled until it has its answer.
 */
import type { LoadProgress, SeatCounts, SeatState, SectionState, Snapshot } from './live-map.ts'
import { formatMoment, ticketsText } from './sale.ts'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  seats?: Array<{ seatId: string, status: 'held' | 'booked', retryAfterSeconds?: number }>
  remaining?: number
  errors?: Array<{ path: string, message: string }>
  /** SALE_NOT_OPEN: when it opens. */
  opensAt?: string
  /** SALE_CLOSED: when it closed. */
  closesAt?: string | null
  /** BUYER_LIMIT_REACHED: places a buyer may have, and how many this one has. */
  limit?: number
  current?: number
  /** NOT_ADMITTED: where the buyer's queue ticket stands (null: not in the queue), and the place when waiting. */
  ticketStatus?: TicketStatus | null
  position?: number
}

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem

  constructor (problem: Problem) {
    super(problem.detail || problem.title)
    this.status = problem.status
    this.problem = problem
  }
}

export type SaleStatus = 'scheduled' | 'open' | 'paused' | 'closed' | 'sold-out'
/** A sale's waiting room: buyers are let in at `admitPerMinute`, each for `admissionSeconds`. */
export interface WaitingRoom { admitPerMinute: number, admissionSeconds: number }
export interface Sale {
  opensAt: string
  closesAt: string | null
  maxSeatsPerBuyer: number | null
  paused: boolean
  /** Absent from servers that predate the waiting room. */
  waitingRoom?: WaitingRoom | null
  status: SaleStatus
}
/** What an organiser may set about a sale; what is left out keeps its default (or its value). */
export interface SaleSettings { opensAt?: string, closesAt?: string | null, maxSeatsPerBuyer?: number | null, paused?: boolean, waitingRoom?: WaitingRoom | null }

export type TicketStatus = 'waiting' | 'admitted' | 'expired' | 'sold-out' | 'closed'
/** A buyer's place in an event's waiting room (docs/api.md, "The waiting room"). */
export interface Ticket {
  ticketId: string
  eventId: string
  status: TicketStatus
  joinedAt: string
  opensAt: string
  /** 1 = next; only while waiting, once the sale has opened (so are `ahead` and the estimate). */
  position?: number
  ahead?: number
  estimatedWaitSeconds?: number
  admittedAt?: string
  admittedUntil?: string
  /** Places neither booked nor held, as of the last admission step. */
  seatsAvailable: number
}
export interface EventSummary { id: string, name: string, startsAt: string | null, createdAt: string, sale: Sale }
export interface EventDetail extends EventSummary { seats: SeatCounts, sections: SectionState[] }
export interface SalesReport {
  eventId: string
  status: SaleStatus
  seats: SeatCounts
  sections: Array<{ id: string, name: string, capacity: number, remaining: number, sold: number, revenueCents: number }>
  bookings: { confirmed: number, cancelled: number }
  buyers: number
  revenueCents: number
  /** Waiting-room events only: tickets waiting, admissions running now, ran out, told sold out. */
  waitingRoom?: { waiting: number, admitted: number, expired: number, soldOut: number, admitPerMinute: number }
}
export interface Hold { holdId: string, eventId: string, seatIds: string[], expiresAt: string }
export interface Booking {
  bookingId: string
  eventId: string
  userId: string
  status: 'confirmed' | 'cancelled'
  seatIds?: string[]
  sectionId?: string
  quantity?: number
  createdAt: string
}
export interface Page<T> { items: T[], nextCursor: string | null }

const RETRIES = 3
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** crypto.randomUUID exists only on https or localhost; a LAN address over http has neither. */
export function newKey (): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Milliseconds to add to Date.now() to get the server's time (0 unless the clocks are far apart). */
export let clockOffset = 0

function noteServerTime (res: Response): void {
  const date = Date.parse(res.headers.get('date') ?? '')
  if (Number.isNaN(date)) return
  // The header has whole seconds: only a skew well beyond that is worth correcting.
  const offset = date + 500 - Date.now()
  clockOffset = Math.abs(offset) > 2000 ? offset : 0
}

export interface ApiClientOptions {
  /** The current token, read at each call. */
  token: () => string | undefined
  /** A 401: the token is gone or expired. */
  onUnauthenticated?: () => void
  baseUrl?: string
}

function networkError (error: unknown): ApiError {
  return new ApiError({ type: 'about:blank', title: 'Network error', status: 0, code: 'NETWORK', detail: `the server could not be reached (${(error as Error).message})` })
}

/** The problem a refusal carries, or one made of its status line when the body has none. */
function problemOf (res: Response, parsed: unknown): Problem {
  return (parsed ?? { type: 'about:blank', title: res.statusText, status: res.status, code: 'HTTP', detail: res.statusText }) as Problem
}

function parseJson (text: string): unknown {
  try {
    return text ? JSON.parse(text) as unknown : undefined
  } catch {
    return undefined
  }
}

export class ApiClient {
  readonly #options: ApiClientOptions

  constructor (options: ApiClientOptions) {
    this.#options = options
  }

  async #send (method: string, path: string, body: unknown, key: string | undefined, accept?: string): Promise<Response> {
    const headers: Record<string, string> = {}
    if (accept) headers.accept = accept
    const token = this.#options.token()
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (key) headers['idempotency-key'] = key
    const res = await fetch(`${this.#options.baseUrl ?? ''}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    noteServerTime(res)
    return res
  }

  /** One call: the parsed body of a 2xx, else an ApiError with the problem. */
  async call<T> (method: string, path: string, body?: unknown, options: { command?: boolean } = {}): Promise<T> {
    const key = options.command ? newKey() : undefined
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await this.#send(method, path, body, key)
      } catch (error) {
        // The connection failed: a command with its key is safe to send again.
        if (attempt < RETRIES && (key || method === 'GET')) {
          await sleep(1000 * (attempt + 1))
          continue
        }
        throw networkError(error)
      }
      const parsed = parseJson(await res.text())
      if (res.status === 202 && key) return this.#poll<T>(res.headers.get('location'), parsed)
      if (res.ok) return parsed as T
      const problem = problemOf(res, parsed)
      if ((res.status === 503 || res.status === 429) && attempt < RETRIES && (key || method === 'GET')) {
        const seconds = Number(res.headers.get('retry-after') ?? '1')
        await sleep(Math.min(Number.isFinite(seconds) ? seconds : 1, 10) * 1000 * (1 + Math.random() * 0.2))
        continue
      }
      if (res.status === 401) this.#options.onUnauthenticated?.()
      throw new ApiError(problem)
    }
  }

  /** A 202: the command is queued; ask for its request until it has an answer. */
  async #poll<T> (location: string | null, first: unknown): Promise<T> {
    const path = location ?? `/v1/requests/${(first as { requestId: string }).requestId}`
    for (;;) {
      await sleep(1000)
      const record = await this.call<{ status: string, result?: T, error?: Problem }>('GET', path)
      if (record.status === 'succeeded') return record.result as T
      if (record.status === 'failed') throw new ApiError(record.error!)
    }
  }

  signup (email: string, password: string) {
    return this.call<{ userId: string, token: string }>('POST', '/v1/auth/signup', { email, password })
  }

  login (email: string, password: string) {
    return this.call<{ userId: string, token: string }>('POST', '/v1/auth/login', { email, password })
  }

  /** Revokes every token of the signed-in user, this one included. */
  signOutEverywhere () {
    return this.call<undefined>('POST', '/v1/auth/sign-out-everywhere')
  }

  /** The newest events; `mine`: only the caller's own (needs a token). */
  events (cursor?: string | null, options: { mine?: boolean } = {}) {
    return this.call<Page<EventSummary>>('GET', `/v1/events?limit=100${options.mine ? '&organiser=me' : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
  }

  event (eventId: string) {
    return this.call<EventDetail>('GET', `/v1/events/${encodeURIComponent(eventId)}`)
  }

  /** Every page of the event's seat list in turn, until the last or until `onPage` says stop. */
  async #seatPages (eventId: string, onPage: (items: SeatState[]) => boolean | Promise<boolean>): Promise<void> {
    let cursor: string | null = null
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const page: Page<SeatState> = await this.call<Page<SeatState>>('GET', `/v1/events/${encodeURIComponent(eventId)}/seats?limit=1000${query}`)
      if (!await onPage(page.items)) return
      cursor = page.nextCursor
    } while (cursor)
  }

  /** Every seat of the event, all pages. */
  async seats (eventId: string): Promise<SeatState[]> {
    const seats: SeatState[] = []
    await this.#seatPages(eventId, (items) => {
      seats.push(...items)
      return true
    })
    return seats
  }

  /**
   * The seat list and the event together: what the reconciler reads. With `progress`, the
   * event's counts come first (they say how big the map is), then each page as it arrives, and
   * the snapshot itself carries no seats.
   */
  async snapshot (eventId: string, progress?: LoadProgress): Promise<Snapshot> {
    const reading = this.event(eventId)
    if (!progress) {
      const [seats, event] = await Promise.all([this.seats(eventId), reading])
      return { seats, sections: event.sections, counts: event.seats }
    }
    // Awaited below: this only keeps a failed page from leaving the event's failure unhandled.
    reading.catch(() => {})
    let told = false
    await this.#seatPages(eventId, async (items) => {
      if (!told) {
        progress.event((await reading).seats)
        told = true
      }
      return progress.seats(items)
    })
    const event = await reading
    return { seats: [], sections: event.sections, counts: event.seats }
  }

  createEvent (body: { name: string, startsAt?: string, seats?: string[], sections?: Array<{ name: string, capacity: number, priceCents?: number }>, sale?: SaleSettings }) {
    return this.call<EventDetail>('POST', '/v1/events', body)
  }

  /** The organiser changes an event: what is given changes, what is left out stays. */
  changeEvent (eventId: string, body: { name?: string, startsAt?: string | null, sale?: SaleSettings }) {
    return this.call<EventDetail>('PATCH', `/v1/events/${encodeURIComponent(eventId)}`, body)
  }

  /** The organiser's sales report; 403 NOT_EVENT_ORGANISER for anyone else. */
  salesReport (eventId: string) {
    return this.call<SalesReport>('GET', `/v1/events/${encodeURIComponent(eventId)}/sales`)
  }

  /** Every booking of the event as CSV (organiser only): it needs the token, so it is no plain link. */
  async bookingsCsv (eventId: string): Promise<Blob> {
    let res: Response
    try {
      res = await this.#send('GET', `/v1/events/${encodeURIComponent(eventId)}/bookings`, undefined, undefined, 'text/csv')
    } catch (error) {
      throw networkError(error)
    }
    if (res.ok) return res.blob()
    if (res.status === 401) this.#options.onUnauthenticated?.()
    throw new ApiError(problemOf(res, parseJson(await res.text())))
  }

  /** Joins the event's waiting room: 201 a new ticket, 200 the one the buyer has (the same place). */
  joinQueue (eventId: string) {
    return this.call<Ticket>('POST', `/v1/events/${encodeURIComponent(eventId)}/queue`)
  }

  /** The caller's ticket in the event's waiting room; 404 QUEUE_TICKET_NOT_FOUND if not joined. */
  queueTicket (eventId: string) {
    return this.call<Ticket>('GET', `/v1/events/${encodeURIComponent(eventId)}/queue`)
  }

  hold (eventId: string, seatIds: string[], ttlSeconds: number) {
    return this.call<Hold>('POST', `/v1/events/${encodeURIComponent(eventId)}/holds`, { seatIds, ttlSeconds }, { command: true })
  }

  confirm (holdId: string) {
    return this.call<Booking>('POST', `/v1/holds/${holdId}/confirm`, undefined, { command: true })
  }

  release (holdId: string) {
    return this.call<undefined>('DELETE', `/v1/holds/${holdId}`, undefined, { command: true })
  }

  holdStatus (holdId: string) {
    return this.call<Hold & { status: 'active' | 'confirmed' | 'released' | 'expired', bookingId?: string }>('GET', `/v1/holds/${holdId}`)
  }

  bookSection (eventId: string, sectionId: string, quantity: number) {
    return this.call<Booking>('POST', `/v1/events/${encodeURIComponent(eventId)}/bookings`, { sectionId, quantity }, { command: true })
  }

  bookings () {
    return this.call<Page<Booking>>('GET', '/v1/bookings?limit=100')
  }

  cancel (bookingId: string) {
    return this.call<Booking>('DELETE', `/v1/bookings/${bookingId}`, undefined, { command: true })
  }
}

/** BUYER_LIMIT_REACHED: the limit, what the buyer has, and what is left if anything. */
function limitWords ({ limit, current }: Problem): string {
  if (limit === undefined) return 'you have as many tickets as one buyer may have for this event'
  const most = `at most ${ticketsText(limit)} per buyer for this event`
  if (!current) return most
  if (current < limit) return `${most}, and you already have ${current}: ${limit - current} more at most`
  return `${most}, and you already have ${current}`
}

/** NOT_ADMITTED: why a waiting room's event refused, by where the buyer's ticket stands. */
function notAdmittedWords ({ ticketStatus, position }: Problem): string {
  switch (ticketStatus) {
    case 'waiting': return position
      ? `you are in the queue at position ${position.toLocaleString('en')}; you can buy once admitted`
      : 'you are in the queue, waiting for the opening; you can buy once admitted'
    case 'expired': return 'your time to shop has run out; join the queue again (at the back) to buy more'
    case 'sold-out': return 'the sale is sold out'
    case 'closed': return 'the sale has closed'
    case 'admitted': return 'your admission has just ended; join the queue again to buy more'
    default: return 'this event has a waiting room: join the queue first, and buy once admitted'
  }
}

/**
 * What a refusal means, in words, naming each seat. `fields` names the request's fields the
 * way the page labels them (errors[].path → label), for VALIDATION_FAILED.
 */
export function describeProblem (problem: Problem, fields: Record<string, string> = {}): string {
  if (problem.code === 'SEATS_UNAVAILABLE' && problem.seats?.length) {
    return problem.seats.map((s) => s.status === 'booked'
      ? `${s.seatId} is already booked`
      : `${s.seatId} is held by another buyer${s.retryAfterSeconds ? ` (free again in ${s.retryAfterSeconds} s unless they confirm)` : ''}`
    ).join('; ')
  }
  if (problem.code === 'VALIDATION_FAILED' && problem.errors?.length) {
    return problem.errors.map((e) => fields[e.path] ? `${fields[e.path]}: ${e.message}` : `${e.path || 'body'} ${e.message}`).join('; ')
  }
  switch (problem.code) {
    case 'SOLD_OUT': return problem.remaining ? `sold out: only ${problem.remaining} left in this section` : 'sold out: nothing is left'
    case 'HOLD_EXPIRED': return 'your hold ran out before you confirmed; the seats are free again for anyone'
    case 'HOLD_NOT_ACTIVE': return 'this hold was already confirmed or released'
    case 'RATE_LIMITED': return 'too many requests; wait a moment'
    case 'OVERLOADED': return 'the sale is very busy; nothing was changed, try again'
    case 'UNAVAILABLE': return 'the service is unavailable; nothing was changed, try again'
    case 'SALE_NOT_OPEN': return problem.opensAt ? `the sale opens at ${formatMoment(problem.opensAt)}` : 'the sale has not opened yet'
    case 'SALE_CLOSED': return 'the sale has closed'
    case 'SALE_PAUSED': return 'the organiser has paused the sale; try again later'
    case 'BUYER_LIMIT_REACHED': return limitWords(problem)
    case 'SALE_ALREADY_OPEN': return 'the sale has already opened, so its opening time can no longer move'
    case 'NOT_EVENT_ORGANISER': return 'only the event\'s organiser may do this'
    case 'NOT_ADMITTED': return notAdmittedWords(problem)
    case 'NO_WAITING_ROOM': return 'this event has no waiting room: buy directly'
    case 'QUEUE_TICKET_NOT_FOUND': return 'you have not joined the queue for this event'
    default: return problem.detail || problem.title
  }
}
