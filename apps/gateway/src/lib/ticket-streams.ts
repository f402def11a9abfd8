import type { Ticket } from '@seatline/contracts'
import type { StepResult, StoredTicket, WaitingRoom } from '@seatline/queue'
import type { SaleSettings } from '../repositories/events.ts'
import { ticketView } from './ticket-view.ts'

/** One open stream: `write` returns false when the client has stopped reading. */
export interface TicketSubscriber {
  write (chunk: string): boolean
  end (): void
}

/** A ticket followed by one stream, as this gateway last knew it. */
interface Watch {
  ticket: StoredTicket
  sale: SaleSettings
  subscriber: TicketSubscriber
  /** The ticket's place at a read, and the admissions so far at that read: its place now is the one less the admissions since. */
  rank?: { at: number, served: number }
  sent: string
}

const FINAL = new Set(['expired', 'sold-out', 'closed'])

export interface TicketStreamsOptions {
  room: WaitingRoom
  /** The event's sale now (the rate for the estimated wait, the opening). */
  sale (eventId: string): Promise<SaleSettings | undefined>
  heartbeatMs?: number
  onError? (error: unknown): void
}

/**
 * The queue tickets' streams on this gateway. Nothing is read per ticket per second: each
 * admission step's message (one per event per second, from Redis pub/sub) says how many were
 * admitted so far and which tickets were admitted or ran out, and every stream's position is its
 * place at one read less the admissions since. A ticket's place is read once (on subscribing,
 * and for early joiners once more when the sale opens, their shuffle being final then), or again
 * after a gap in the messages.
 */
export class TicketStreams {
  readonly #options: TicketStreamsOptions
  readonly #byEvent = new Map<string, Set<Watch>>()
  readonly #heartbeat: NodeJS.Timeout

  constructor (options: TicketStreamsOptions) {
    this.#options = options
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs ?? 15_000).unref()
  }

  get size (): number {
    let n = 0
    for (const watches of this.#byEvent.values()) n += watches.size
    return n
  }

  /** Starts a ticket's stream with the ticket as it is; returns the function that ends it. */
  subscribe (ticket: StoredTicket, sale: SaleSettings, subscriber: TicketSubscriber): () => void {
    const watch: Watch = { ticket, sale, subscriber, sent: '' }
    // Before the opening a place is not final (early joiners are shuffled in): read it then.
    if (ticket.rank !== undefined && Date.now() >= sale.opensAt.getTime()) watch.rank = { at: ticket.rank, served: ticket.served }
    subscriber.write(`retry: 1000\n: queue ticket ${ticket.ticketId}\n\n`)
    if (!this.#send(watch)) return () => {}
    let watches = this.#byEvent.get(ticket.eventId)
    if (!watches) this.#byEvent.set(ticket.eventId, watches = new Set())
    watches.add(watch)
    return () => this.#drop(watch)
  }

  /** An admission step of an event: every stream of it moves on, from the message alone. */
  onStep (step: StepResult): void {
    const watches = this.#byEvent.get(step.eventId)
    if (!watches?.size) return
    this.#apply(step, watches).catch((error: unknown) => this.#options.onError?.(error))
  }

  /** Messages may have been missed: every stream reads its ticket again. */
  gap (): void {
    for (const watches of this.#byEvent.values()) {
      for (const watch of watches) {
        this.#options.room.ticket(watch.ticket.ticketId).then((ticket) => {
          if (!ticket) return
          watch.ticket = ticket
          watch.rank = ticket.rank === undefined ? undefined : { at: ticket.rank, served: ticket.served }
          this.#send(watch)
        }, (error: unknown) => this.#options.onError?.(error))
      }
    }
  }

  close (): void {
    clearInterval(this.#heartbeat)
    for (const watches of this.#byEvent.values()) for (const watch of watches) watch.subscriber.end()
    this.#byEvent.clear()
  }

  async #apply (step: StepResult, watches: Set<Watch>): Promise<void> {
    const sale = await this.#options.sale(step.eventId)
    const admitted = new Set(step.admittedNow)
    const ended = new Set(step.endedNow)
    const unranked: Watch[] = []
    for (const watch of watches) {
      const { ticket } = watch
      if (sale) watch.sale = sale
      ticket.seatsAvailable = step.seatsAvailable
      ticket.served = step.served
      if (admitted.has(ticket.ticketId)) {
        Object.assign(ticket, { status: 'admitted', admittedAt: step.at, admittedUntil: step.admittedUntil })
      } else if (ended.has(ticket.ticketId)) {
        ticket.status = 'expired'
      } else if (ticket.status === 'waiting' && step.status !== 'waiting') {
        ticket.status = step.status
      } else if (ticket.status === 'waiting' && !watch.rank && step.at >= watch.sale.opensAt.getTime()) {
        unranked.push(watch)
        continue
      }
      this.#send(watch)
    }
    if (unranked.length === 0) return
    // The sale has opened: the early joiners' shuffle is final, their places can be read, once.
    const { ranks, served } = await this.#options.room.ranks(step.eventId, unranked.map((w) => w.ticket.ticketId))
    for (const watch of unranked) {
      const rank = ranks.get(watch.ticket.ticketId)
      if (rank !== undefined) watch.rank = { at: rank, served }
      this.#send(watch)
    }
  }

  /** Sends the ticket if it changed; ends the stream after a final status. False once ended. */
  #send (watch: Watch): boolean {
    const rank = watch.rank && Math.max(0, watch.rank.at - (watch.ticket.served - watch.rank.served))
    const view: Ticket = ticketView(watch.ticket, watch.sale, watch.ticket.status === 'waiting' ? rank : undefined)
    const data = JSON.stringify(view)
    if (data !== watch.sent) {
      watch.sent = data
      if (!watch.subscriber.write(`event: ticket\ndata: ${data}\n\n`)) {
        this.#drop(watch)
        watch.subscriber.end()
        return false
      }
    }
    if (!FINAL.has(view.status)) return true
    this.#drop(watch)
    watch.subscriber.end()
    return false
  }

  #drop (watch: Watch): void {
    const watches = this.#byEvent.get(watch.ticket.eventId)
    watches?.delete(watch)
    if (watches?.size === 0) this.#byEvent.delete(watch.ticket.eventId)
  }

  #beat (): void {
    for (const watches of this.#byEvent.values()) {
      for (const watch of watches) {
        if (!watch.subscriber.write(': heartbeat\n\n')) {
          this.#drop(watch)
          watch.subscriber.end()
        }
      }
    }
  }
}
