import { type CancelBookingCommand, isRefusal, refuse, sectionResource } from '@seatline/contracts'
import { UnrecoverableError } from 'bullmq'
import { lockSeats, seatResources, writeSeats } from '../seat-rows.ts'
import { adjustRemaining, lockSection } from '../section-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Cancels the owner's booking; its seats or quantity are bookable again at once. */
export const cancelBooking = oneAtATime<CancelBookingCommand>(
  ({ eventId, sectionId, seatIds }) => sectionId ? [sectionResource(eventId, sectionId)] : seatResources(eventId, seatIds),
  async (trx, { eventId, seatIds, bookingId, userId }, fence) => {
    const booking = await trx.selectFrom('bookings').selectAll().where('id', '=', bookingId).forUpdate().executeTakeFirst()
    if (!booking) return refuse('BOOKING_NOT_FOUND', `booking ${bookingId} does not exist`)
    if (booking.user_id !== userId) return refuse('NOT_BOOKING_OWNER', `booking ${bookingId} belongs to another buyer`)
    if (booking.status === 'cancelled') return refuse('ALREADY_CANCELLED', `booking ${bookingId} was already cancelled`)

    if (booking.section_id) {
      const section = await lockSection(trx, eventId, booking.section_id, fence)
      // A broken invariant, not a passing fault: retrying cannot help.
      if (isRefusal(section)) throw new UnrecoverableError(`booking ${bookingId} names a missing section`)
      await adjustRemaining(trx, booking.section_id, booking.quantity ?? 0, fence)
    } else {
      await lockSeats(trx, eventId, seatIds, fence)
      await trx.updateTable('booking_seats').set({ active: false }).where('booking_id', '=', bookingId).execute()
      await writeSeats(trx, eventId, seatIds, fence, { status: 'available' })
    }
    const cancelled = await trx.updateTable('bookings').set({ status: 'cancelled', cancelled_at: new Date() })
      .where('id', '=', bookingId).returning('created_at').executeTakeFirstOrThrow()
    return {
      ok: true,
      kind: 'cancellation',
      booking: {
        bookingId,
        eventId,
        userId,
        status: 'cancelled',
        ...(booking.section_id ? { sectionId: booking.section_id, quantity: booking.quantity ?? 0 } : { seatIds }),
        createdAt: cancelled.created_at.toISOString(),
      },
    }
  }
)
