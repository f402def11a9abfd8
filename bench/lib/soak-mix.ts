import { randomUUID } from 'node:crypto'
import type { HttpClient, HttpReply } from './http-client.ts'
import type { SeatSupply } from './seat-supply.ts'
import type { Buyer } from './target.ts'

export type Kind = 'book' | 'hold' | 'checkout' | 'confirm' | 'cancel' | 'read'
export const KINDS: Kind[] = ['book', 'hold', 'checkout', 'confirm', 'cancel', 'read']

/**
 * Nine arrivals, over and over: 3 bookings of a seat, 3 reads of the seat list, a hold of 2 seats
 * let expire, a hold of 2 then its confirmation (a checkout), a cancellation of an earlier
 * booking. Interleaved so that every second has the same mix.
 */
const CYCLE: Array<Exclude<Kind, 'confirm'>> = ['book', 'read', 'hold', 'book', 'read', 'checkout', 'book', 'read', 'cancel']

/** `from`: when the arrival was due (its first request), or when a follow-up was sent. */
export interface Answer { kind: Kind, status: number, from: number, answeredAt: number }

interface Booking { id: string, token: string }

/**
 * What the buyers of a soak do, and what became of it: the bookings kept (answered 201 and not
 * cancelled), those cancelled (answered 200), and the commands whose outcome the bench cannot
 * know (a 202, a 5xx, a failed connection), which the audit allows for.
 */
export class SoakMix {
  readonly kept = new Map<string, Booking>()
  readonly cancelled: string[] = []
  uncertain = 0
  /** Answers other than the one each kind expects, by "kind status". */
  readonly unexpected = new Map<string, number>()
  readonly #client: HttpClient
  readonly #supply: SeatSupply
  readonly #buyers: Buyer[]
  readonly #holdTtlS: number
  #turn = 0

  constructor (client: HttpClient, supply: SeatSupply, buyers: Buyer[], holdTtlS: number) {
    this.#client = client
    this.#supply = supply
    this.#buyers = buyers
    this.#holdTtlS = holdTtlS
  }

  /**
   * Arrival i, due at `dueAt` (performance.now() ms): its requests, each answer handed to
   * `answered` as it comes. The first is timed from when it was due, so a bench or a stack that
   * falls behind shows in the latency.
   */
  async arrive (i: number, dueAt: number, answered: (answer: Answer) => void): Promise<void> {
    const buyer = this.#buyers[this.#turn++ % this.#buyers.length]!
    const kind = CYCLE[i % CYCLE.length]!
    let from: number | undefined = dueAt
    const timed = async (kind: Kind, expected: number, send: () => Promise<HttpReply>): Promise<HttpReply> => {
      const start = from ?? performance.now()
      from = undefined
      const reply = await send()
      answered({ kind, status: reply.status, from: start, answeredAt: performance.now() })
      if (reply.status !== expected) this.#unexpected(kind, reply.status)
      return reply
    }
    // Every command with a key of its own, as the web pages send them: idempotency_keys fills as in production.
    const command = (method: string, path: string, body?: unknown, token = buyer.token) =>
      this.#client.request(method, path, { token, body, headers: { 'idempotency-key': randomUUID() } })

    switch (kind) {
      case 'book': {
        const { eventId, seatIds } = await this.#supply.take(1)
        const reply = await timed('book', 201, () => command('POST', `/v1/events/${eventId}/bookings`, { seatIds }))
        this.#booked(reply, buyer)
        return
      }
      case 'hold': {
        const { eventId, seatIds } = await this.#supply.take(2)
        await timed('hold', 201, () => command('POST', `/v1/events/${eventId}/holds`, { seatIds, ttlSeconds: this.#holdTtlS }))
        return
      }
      case 'checkout': {
        const { eventId, seatIds } = await this.#supply.take(2)
        const hold = await timed('checkout', 201, () => command('POST', `/v1/events/${eventId}/holds`, { seatIds }))
        const holdId = hold.status === 201 ? (JSON.parse(hold.body) as { holdId: string }).holdId : undefined
        if (!holdId) return
        this.#booked(await timed('confirm', 201, () => command('POST', `/v1/holds/${holdId}/confirm`)), buyer)
        return
      }
      case 'cancel': {
        const booking = this.#anyKept()
        if (booking) {
          this.kept.delete(booking.id)
          const reply = await timed('cancel', 200, () => command('DELETE', `/v1/bookings/${booking.id}`, undefined, booking.token))
          if (reply.status === 200) this.cancelled.push(booking.id)
          else if (reply.status >= 400 && reply.status < 500) this.kept.set(booking.id, booking)
          else this.uncertain++
          return
        }
        // Nothing booked yet: a read in its place, so the rate stays as offered.
        break
      }
    }
    await timed('read', 200, () => this.#client.request('GET', `/v1/events/${this.#supply.latestEventId}/seats?status=available&limit=100`))
  }

  #booked (reply: HttpReply, buyer: Buyer): void {
    if (reply.status === 201) {
      const id = (JSON.parse(reply.body) as { bookingId: string }).bookingId
      this.kept.set(id, { id, token: buyer.token })
    } else if (reply.status === 202 || reply.status === 0 || reply.status >= 500) {
      this.uncertain++
    }
  }

  /** One of the 64 oldest bookings kept, at random: buyers change their minds about past events too. */
  #anyKept (): Booking | undefined {
    if (this.kept.size === 0) return undefined
    let skip = Math.floor(Math.random() * Math.min(this.kept.size, 64))
    for (const booking of this.kept.values()) if (skip-- === 0) return booking
    return undefined
  }

  #unexpected (kind: Kind, status: number): void {
    const key = `${kind} ${status}`
    this.unexpected.set(key, (this.unexpected.get(key) ?? 0) + 1)
  }
}
