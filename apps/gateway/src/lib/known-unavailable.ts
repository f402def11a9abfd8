import { type Command, type CommandResult, type Refusal, refuse, seatResource, seatsUnavailable, sectionResource } from '@seatline/contracts'
import { ExpiringSet } from './expiring-set.ts'

/**
 * What this gateway has recently learnt is gone: seats seen booked, sections seen sold out. In a
 * flash sale most buyers ask for something already sold; answering them here spares the queue
 * and the database without changing who gets what: a refusal changes no state. Every gateway
 * reads every job's result from the event streams, so a booking or cancellation made through any
 * gateway is learnt within milliseconds; `ttlMs` only bounds how long a result missed in a
 * reconnect could leave a seat reading as booked.
 */
export class KnownUnavailable {
  readonly #gone: ExpiringSet
  readonly #ttlMs: number

  constructor (ttlMs = 10_000, max = 200_000) {
    this.#gone = new ExpiringSet(ttlMs, max)
    this.#ttlMs = ttlMs
  }

  /** A refusal this gateway can give without asking, or undefined. */
  refusal (command: Command): Refusal | undefined {
    if (command.type === 'book-section') {
      if (!this.#gone.has(sectionResource(command.eventId, command.sectionId))) return undefined
      return refuse('SOLD_OUT', `${command.quantity} wanted, 0 left`, { remaining: 0 })
    }
    if (command.type === 'book-seats' || command.type === 'hold-seats') {
      const { eventId, seatIds } = command
      if (!seatIds.every((s) => this.#gone.has(seatResource(eventId, s)))) return undefined
      return seatsUnavailable([...seatIds].sort().map((seatId) => ({ seatId, status: 'booked' as const })))
    }
    return undefined
  }

  /** Learns from any command's result, from this gateway or another: bookings and cancellations. */
  learn (result: CommandResult): void {
    if (!result.ok || (result.kind !== 'booking' && result.kind !== 'cancellation')) return
    const { eventId, seatIds, sectionId, createdAt } = result.booking
    // A job sent again replays its recorded result: a booking older than this memory may have
    // been cancelled since, so only a fresh one is learnt.
    const fresh = Date.now() - Date.parse(createdAt) < this.#ttlMs
    if (result.kind === 'booking' && seatIds && fresh) this.#mark(seatIds.map((s) => seatResource(eventId, s)))
    if (result.kind === 'cancellation') {
      for (const key of sectionId ? [sectionResource(eventId, sectionId)] : (seatIds ?? []).map((s) => seatResource(eventId, s))) this.#gone.delete(key)
    }
  }

  /**
   * Learns from a refusal to a command of this gateway's (a refusal names no event on its own).
   * Successes are learnt from the event stream; one read back from the record instead (a missed
   * event) only costs a later request its shortcut.
   */
  observe (command: Command, result: CommandResult): void {
    const { eventId } = command
    if (result.ok) return
    if (result.code === 'SEATS_UNAVAILABLE') {
      this.#mark((result.seats ?? []).filter((s) => s.status === 'booked').map((s) => seatResource(eventId, s.seatId)))
    }
    if (result.code === 'SOLD_OUT' && result.remaining === 0 && command.type === 'book-section') {
      this.#mark([sectionResource(eventId, command.sectionId)])
    }
  }

  #mark (keys: string[]): void {
    for (const key of keys) this.#gone.add(key)
  }
}
