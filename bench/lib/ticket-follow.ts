import { openSse, type SseConnection } from '../../test/helpers/sse-client.ts'
import type { HttpClient } from './http-client.ts'

/** A queue ticket as the API shows it (GET /v1/events/:id/queue, and each `ticket` message of its stream). */
export interface Ticket {
  ticketId: string
  eventId: string
  status: 'waiting' | 'admitted' | 'expired' | 'sold-out' | 'closed'
  joinedAt: string
  opensAt: string
  position?: number
  ahead?: number
  estimatedWaitSeconds?: number
  admittedAt?: string
  admittedUntil?: string
  seatsAvailable: number
}

/** After these the ticket never changes: its stream closes, a poller stops. */
export const FINAL = new Set<Ticket['status']>(['expired', 'sold-out', 'closed'])

/** Heard by every follower, stream or poll, with the moment it heard (Date.now()). */
export type OnTicket = (ticket: Ticket, at: number) => void

/**
 * One ticket's stream, parsed as it comes. Keeps the gaps between the messages that carry a
 * waiting ticket's position: the figure that says whether a buyer in line keeps seeing the
 * line move (the gateway sends a position only when it changed, at most once a second).
 */
export class StreamWatch {
  messages = 0
  /** The ticket was admitted while watched: the line moved for it as far as it goes. */
  admitted = false
  /** Milliseconds between consecutive position updates while the ticket waited with a position. */
  readonly gaps: number[] = []
  #lastUpdateAt: number | undefined
  #connection: SseConnection | undefined
  /** Settles when the stream has ended, closed by either side. */
  done: Promise<void> = Promise.resolve()

  static async open (baseUrl: string, ticketId: string, onTicket: OnTicket): Promise<StreamWatch> {
    const watch = new StreamWatch()
    watch.#connection = await openSse(`${baseUrl}/v1/queue/${ticketId}/stream`, (message) => {
      if (message.event !== 'ticket') return
      const at = Date.now()
      const ticket = JSON.parse(message.data) as Ticket
      watch.messages++
      if (ticket.status === 'admitted') watch.admitted = true
      if (ticket.status === 'waiting' && ticket.position !== undefined) {
        if (watch.#lastUpdateAt !== undefined) watch.gaps.push(at - watch.#lastUpdateAt)
        watch.#lastUpdateAt = at
      } else {
        watch.#lastUpdateAt = undefined
      }
      onTicket(ticket, at)
    })
    if (watch.#connection.status !== 200) throw new Error(`the stream of ticket ${ticketId} answered ${watch.#connection.status}`)
    watch.done = watch.#connection.ended
    return watch
  }

  /** How long a still-waiting ticket has now gone without an update (0 if it is not waiting with a position). */
  silentFor (now = Date.now()): number {
    return this.#lastUpdateAt === undefined ? 0 : now - this.#lastUpdateAt
  }

  close (): void {
    this.#connection?.close()
  }
}

export interface PollersOptions {
  client: HttpClient
  eventId: string
  /** How long a buyer waits before asking again, from what the ticket last said (ms). */
  cadence (ticket: Ticket): number
  onTicket (i: number, ticket: Ticket, at: number): void
}

/**
 * The buyers who follow their ticket by asking (GET /v1/events/:id/queue) rather than by a
 * stream: each asks when its cadence says, until its ticket is final or it is told to stop (it
 * was admitted and went on to book). A 429 or 503 is asked again after its Retry-After.
 */
export class Pollers {
  readonly #options: PollersOptions
  readonly #timers = new Map<number, NodeJS.Timeout>()
  readonly #tokens = new Map<number, string>()
  polls = 0

  constructor (options: PollersOptions) {
    this.#options = options
  }

  get active (): number {
    return this.#tokens.size
  }

  /** Buyer `i` starts asking `inMs` from now. */
  start (i: number, token: string, inMs: number): void {
    this.#tokens.set(i, token)
    this.#schedule(i, inMs)
  }

  stop (i: number): void {
    clearTimeout(this.#timers.get(i))
    this.#timers.delete(i)
    this.#tokens.delete(i)
  }

  stopAll (): void {
    for (const i of [...this.#tokens.keys()]) this.stop(i)
  }

  #schedule (i: number, inMs: number): void {
    this.#timers.set(i, setTimeout(() => { this.#ask(i).catch(() => {}) }, Math.max(0, inMs)))
  }

  async #ask (i: number): Promise<void> {
    const token = this.#tokens.get(i)
    if (token === undefined) return
    this.polls++
    const reply = await this.#options.client.request('GET', `/v1/events/${this.#options.eventId}/queue`, { token })
    if (!this.#tokens.has(i)) return
    if (reply.status !== 200) {
      // Busy or refused on the way: ask again when told to, or in 1–3 s.
      this.#schedule(i, reply.retryAfterS !== undefined ? reply.retryAfterS * 1000 : 1_000 + Math.random() * 2_000)
      return
    }
    const ticket = JSON.parse(reply.body) as Ticket
    this.#options.onTicket(i, ticket, Date.now())
    if (!this.#tokens.has(i)) return
    if (FINAL.has(ticket.status)) this.stop(i)
    else this.#schedule(i, this.#options.cadence(ticket))
  }
}
