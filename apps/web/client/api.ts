/**
 * The public HTTP API as the pages use it (docs/api.md). Commands carry an Idempotency-Key, so
 * the retries the API guide recommends (503, 429 after Retry-After) can never book twice, and
 * a 202 is polled until it has its answer.
 */
import type { SeatCounts, SeatState, SectionState, Snapshot } from './live-map.ts'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  seats?: Array<{ seatId: string, status: 'held' | 'booked', retryAfterSeconds?: number }>
  remaining?: number
  errors?: Array<{ path: string, message: string }>
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

export interface EventSummary { id: string, name: string, startsAt: string | null, createdAt: string }
export interface EventDetail extends EventSummary { seats: SeatCounts, sections: SectionState[] }
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

  async #send (method: string, path: string, body: unknown, key: string | undefined): Promise<Response> {
    const headers: Record<string, string> = {}
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
        throw new ApiError({ type: 'about:blank', title: 'Network error', status: 0, code: 'NETWORK', detail: `the server could not be reached (${(error as Error).message})` })
      }
      const parsed = parseJson(await res.text())
      if (res.status === 202 && key) return this.#poll<T>(res.headers.get('location'), parsed)
      if (res.ok) return parsed as T
      const problem = (parsed ?? { type: 'about:blank', title: res.statusText, status: res.status, code: 'HTTP', detail: res.statusText }) as Problem
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

  events (cursor?: string | null) {
    return this.call<Page<EventSummary>>('GET', `/v1/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
  }

  event (eventId: string) {
    return this.call<EventDetail>('GET', `/v1/events/${encodeURIComponent(eventId)}`)
  }

  /** Every seat of the event, all pages. */
  async seats (eventId: string): Promise<SeatState[]> {
    const seats: SeatState[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const page: Page<SeatState> = await this.call<Page<SeatState>>('GET', `/v1/events/${encodeURIComponent(eventId)}/seats?limit=1000${query}`)
      seats.push(...page.items)
      cursor = page.nextCursor
    } while (cursor)
    return seats
  }

  /** The seat list and the event together: what the reconciler reads. */
  async snapshot (eventId: string): Promise<Snapshot> {
    const [seats, event] = await Promise.all([this.seats(eventId), this.event(eventId)])
    return { seats, sections: event.sections, counts: event.seats }
  }

  createEvent (body: { name: string, startsAt?: string, seats?: string[], sections?: Array<{ name: string, capacity: number, priceCents?: number }> }) {
    return this.call<EventDetail>('POST', '/v1/events', body)
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

/** What a refusal means, in words, naming each seat. */
export function describeProblem (problem: Problem): string {
  if (problem.code === 'SEATS_UNAVAILABLE' && problem.seats?.length) {
    return problem.seats.map((s) => s.status === 'booked'
      ? `${s.seatId} is already booked`
      : `${s.seatId} is held by another buyer${s.retryAfterSeconds ? ` (free again in ${s.retryAfterSeconds} s unless they confirm)` : ''}`
    ).join('; ')
  }
  switch (problem.code) {
    case 'SOLD_OUT': return `sold out: only ${problem.remaining ?? 0} left in this section`
    case 'HOLD_EXPIRED': return 'your hold ran out before you confirmed; the seats are free again for anyone'
    case 'HOLD_NOT_ACTIVE': return 'this hold was already confirmed or released'
    case 'RATE_LIMITED': return 'too many requests; wait a moment'
    case 'OVERLOADED': return 'the sale is very busy; nothing was changed, try again'
    case 'UNAVAILABLE': return 'the service is unavailable; nothing was changed, try again'
    default: return problem.detail || problem.title
  }
}
