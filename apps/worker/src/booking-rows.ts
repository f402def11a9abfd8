import type { Booking } from '@seatline/contracts'
import type { Trx } from './commands/command-handler.ts'

/** A booking's id is the id of the request that makes it: an earlier run is found by it. */
export type NewBooking =
  | { id: string, eventId: string, userId: string, seatIds: string[] }
  | { id: string, eventId: string, userId: string, sectionId: string, quantity: number }

/** Inserts a confirmed booking (and its seat rows, whose unique index forbids a double). */
export async function insertBooking (trx: Trx, booking: NewBooking): Promise<Booking> {
  const { id } = booking
  const section = 'sectionId' in booking ? booking : undefined
  const row = await trx.insertInto('bookings').values({
    id,
    event_id: booking.eventId,
    user_id: booking.userId,
    status: 'confirmed',
    section_id: section?.sectionId ?? null,
    // Its places: the buyer limit and the sales report count them from here.
    quantity: 'seatIds' in booking ? booking.seatIds.length : booking.quantity,
  }).returning('created_at').executeTakeFirstOrThrow()
  const result: Booking = { bookingId: id, eventId: booking.eventId, userId: booking.userId, status: 'confirmed', createdAt: row.created_at.toISOString() }
  if (section) {
    result.sectionId = section.sectionId
    result.quantity = section.quantity
  } else if ('seatIds' in booking) {
    await trx.insertInto('booking_seats')
      .values(booking.seatIds.map((seatId) => ({ booking_id: id, event_id: booking.eventId, seat_id: seatId })))
      .execute()
    result.seatIds = booking.seatIds
  }
  return result
}
