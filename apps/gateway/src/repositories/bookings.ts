import type { Booking } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { sql } from 'kysely'

interface BookingRow {
  id: string
  event_id: string
  user_id: string
  status: 'confirmed' | 'cancelled'
  section_id: string | null
  quantity: number | null
  created_at: Date
  seat_ids: string[] | null
}

function toBooking (row: BookingRow): Booking {
  const booking: Booking = {
    bookingId: row.id,
    eventId: row.event_id,
    userId: row.user_id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  }
  if (row.section_id) {
    booking.sectionId = row.section_id
    booking.quantity = row.quantity ?? 0
  } else {
    booking.seatIds = row.seat_ids ?? []
  }
  return booking
}

export interface BookingFilter {
  eventId?: string
  status?: 'confirmed' | 'cancelled'
}

export class BookingsRepository {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  #select () {
    return this.#db.selectFrom('bookings as b')
      .select(['b.id', 'b.event_id', 'b.user_id', 'b.status', 'b.section_id', 'b.quantity', 'b.created_at'])
      .select(sql<string[] | null>`(select array_agg(bs.seat_id order by bs.seat_id) from booking_seats bs where bs.booking_id = b.id)`.as('seat_ids'))
  }

  /** The facts a cancel needs before it is queued: owner, event and what it booked. */
  async findRef (bookingId: string): Promise<{ userId: string, eventId: string, sectionId: string | null, seatIds: string[] } | undefined> {
    const row = await this.#select().where('b.id', '=', bookingId).executeTakeFirst()
    return row ? { userId: row.user_id, eventId: row.event_id, sectionId: row.section_id, seatIds: row.seat_ids ?? [] } : undefined
  }

  /** Only the owner's: another user's booking is indistinguishable from a missing one. */
  async findOwned (userId: string, bookingId: string): Promise<Booking | undefined> {
    const row = await this.#select().where('b.id', '=', bookingId).where('b.user_id', '=', userId).executeTakeFirst()
    return row ? toBooking(row) : undefined
  }

  async list (userId: string, filter: BookingFilter, limit: number, after: string | undefined): Promise<Booking[]> {
    let query = this.#select().where('b.user_id', '=', userId)
      .orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').limit(limit + 1)
    if (filter.eventId) query = query.where('b.event_id', '=', filter.eventId)
    if (filter.status) query = query.where('b.status', '=', filter.status)
    if (after) {
      query = query.where(({ eb, refTuple, selectFrom }) => eb(
        refTuple('b.created_at', 'b.id'), '<',
        selectFrom('bookings as c').select(['c.created_at', 'c.id']).where('c.id', '=', after) as never
      ))
    }
    return (await query.execute()).map(toBooking)
  }
}
