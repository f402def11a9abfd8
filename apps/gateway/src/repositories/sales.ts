import type { OrganiserBooking, SaleStatus, SalesReport } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { sql } from 'kysely'
import type { WaitingRoom } from '@seatline/queue'
import type { EventsRepository } from './events.ts'

type Status = 'confirmed' | 'cancelled'

export interface OrganiserBookingRow extends OrganiserBooking {
  /** The section's price per place, for the CSV; null for reserved seats and free sections. */
  priceCents: number | null
}

interface Row {
  id: string
  event_id: string
  user_id: string
  status: Status
  section_id: string | null
  quantity: number | null
  created_at: Date
  email: string
  price_cents: number | null
  seat_ids: string[] | null
}

function toBooking (row: Row): OrganiserBookingRow {
  const booking: OrganiserBookingRow = {
    bookingId: row.id,
    eventId: row.event_id,
    userId: row.user_id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    buyerEmail: row.email,
    priceCents: row.price_cents,
  }
  if (row.section_id) {
    booking.sectionId = row.section_id
    booking.quantity = row.quantity ?? 0
  } else {
    booking.seatIds = row.seat_ids ?? []
  }
  return booking
}

/** Pages read while streaming the CSV: big enough to be few queries, small enough to hold. */
const CSV_PAGE = 2_000

/** What only an event's organiser sees: the sales report and the bookings with buyers' emails. */
export class SalesRepository {
  readonly #db: Db
  readonly #events: EventsRepository
  readonly #room: WaitingRoom

  constructor (db: Db, events: EventsRepository, room: WaitingRoom) {
    this.#db = db
    this.#events = events
    this.#room = room
  }

  async report (eventId: string): Promise<SalesReport | undefined> {
    const event = await this.#db.selectFrom('events').select(['id', 'admit_per_minute'])
      .select(sql<SaleStatus>`seatline_sale_status(id, sale_opens_at, sale_closes_at, sale_paused)`.as('status'))
      .where('id', '=', eventId).executeTakeFirst()
    if (!event) return undefined
    const [seats, totals, sections] = await Promise.all([
      this.#events.counts(eventId),
      this.#db.selectFrom('bookings')
        .select(sql<number>`count(*) filter (where status = 'confirmed')::int`.as('confirmed'))
        .select(sql<number>`count(*) filter (where status = 'cancelled')::int`.as('cancelled'))
        .select(sql<number>`count(distinct user_id) filter (where status = 'confirmed')::int`.as('buyers'))
        .where('event_id', '=', eventId).executeTakeFirstOrThrow(),
      this.#db.selectFrom('sections as s')
        .leftJoin('bookings as b', (join) => join.onRef('b.section_id', '=', 's.id').onRef('b.event_id', '=', 's.event_id').on('b.status', '=', 'confirmed'))
        .select(['s.id', 's.name', 's.capacity', 's.remaining', 's.price_cents'])
        .select(sql<number>`coalesce(sum(b.quantity), 0)::int`.as('sold'))
        .where('s.event_id', '=', eventId)
        .groupBy('s.id').orderBy('s.name').orderBy('s.id').execute(),
    ])
    const bySection = sections.map((s) => ({
      id: s.id,
      name: s.name,
      capacity: s.capacity,
      remaining: s.remaining,
      sold: s.sold,
      revenueCents: s.sold * (s.price_cents ?? 0),
    }))
    const waitingRoom = event.admit_per_minute ? { ...await this.#room.counts(eventId), admitPerMinute: event.admit_per_minute } : undefined
    return {
      eventId,
      ...(waitingRoom ? { waitingRoom } : {}),
      status: event.status,
      seats,
      sections: bySection,
      bookings: { confirmed: totals.confirmed, cancelled: totals.cancelled },
      buyers: totals.buyers,
      revenueCents: bySection.reduce((sum, s) => sum + s.revenueCents, 0),
    }
  }

  /**
   * An event's bookings, oldest first, after the booking `after` (a booking of this event; any
   * other id gives an empty page). Its (created_at, id) is compared at full precision in SQL.
   */
  async page (eventId: string, status: Status | undefined, limit: number, after: string | undefined): Promise<OrganiserBookingRow[]> {
    let query = this.#db.selectFrom('bookings as b')
      .innerJoin('users as u', 'u.id', 'b.user_id')
      .leftJoin('sections as s', 's.id', 'b.section_id')
      .select(['b.id', 'b.event_id', 'b.user_id', 'b.status', 'b.section_id', 'b.quantity', 'b.created_at', 'u.email', 's.price_cents'])
      .select(sql<string[] | null>`(select array_agg(bs.seat_id order by bs.seat_id) from booking_seats bs where bs.booking_id = b.id)`.as('seat_ids'))
      .where('b.event_id', '=', eventId)
      .orderBy('b.created_at').orderBy('b.id').limit(limit + 1)
    if (status) query = query.where('b.status', '=', status)
    if (after) {
      query = query.where(({ eb, refTuple, selectFrom }) => eb(
        refTuple('b.created_at', 'b.id'), '>',
        selectFrom('bookings as c').select(['c.created_at', 'c.id']).where('c.id', '=', after).where('c.event_id', '=', eventId) as never
      ))
    }
    return (await query.execute()).map(toBooking)
  }

  /** Every booking of the event, a page at a time: never more than one page in memory. */
  async * all (eventId: string, status: Status | undefined): AsyncGenerator<OrganiserBookingRow[]> {
    let after: string | undefined
    for (;;) {
      const rows = await this.page(eventId, status, CSV_PAGE, after)
      const page = rows.slice(0, CSV_PAGE)
      if (page.length > 0) yield page
      if (rows.length <= CSV_PAGE) return
      after = page.at(-1)!.bookingId
    }
  }
}
