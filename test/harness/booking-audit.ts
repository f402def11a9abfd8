import type { Db } from '@seatline/db'
import { sql } from 'kysely'

export interface BookingAudit {
  /** Seats with more than one active booking: must be empty. */
  doubled: string[]
  /** Booking ids some client was told (201) that the database does not hold: must be empty. */
  lost: string[]
  /** Active bookings per seat, as the database holds them. */
  bookedSeats: Map<string, string>
  /** Requests still pending in the database. */
  pending: number
}

/** After a fault: every answered booking in the database exactly once, no seat sold twice. */
export async function auditBookings (db: Db, eventId: string, toldBookingIds: Iterable<string>): Promise<BookingAudit> {
  const active = await db.selectFrom('booking_seats').select(['seat_id', 'booking_id'])
    .where('event_id', '=', eventId).where('active', '=', true).execute()
  const perSeat = new Map<string, string[]>()
  for (const row of active) perSeat.set(row.seat_id, [...perSeat.get(row.seat_id) ?? [], row.booking_id])
  const held = new Set((await db.selectFrom('bookings').select('id').where('event_id', '=', eventId).where('status', '=', 'confirmed').execute()).map((b) => b.id))
  const pending = await db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'pending').where(sql<string>`command ->> 'eventId'`, '=', eventId).executeTakeFirstOrThrow()
  return {
    doubled: [...perSeat].filter(([, ids]) => ids.length > 1).map(([seat]) => seat),
    lost: [...new Set(toldBookingIds)].filter((id) => !held.has(id)),
    bookedSeats: new Map([...perSeat].map(([seat, ids]) => [seat, ids[0]!])),
    pending: Number(pending.n),
  }
}
