import { type CancelBookingCommand, type CommandResult, refuse, isRefusal } from '@seatline/contracts'
import { sectionResource } from '@seatline/lock'
import type { CommandPlan } from '../command-plan.ts'
import { lockSeatRows, seatResources, writeSeats } from '../seat-rows.ts'
import { adjustRemaining, lockSection } from '../section-rows.ts'

/** Cancels the owner's booking; its seats or quantity are bookable again at once. */
export function cancelBooking (command: CancelBookingCommand): CommandPlan {
  const { eventId, seatIds, sectionId, bookingId, userId } = command
  return {
    resources: sectionId ? [sectionResource(eventId, sectionId)] : seatResources(eventId, seatIds),
    async apply (trx, fences): Promise<CommandResult> {
      const booking = await trx.selectFrom('bookings').selectAll().where('id', '=', bookingId).forUpdate().executeTakeFirst()
      if (!booking) return refuse('BOOKING_NOT_FOUND', `booking ${bookingId} does not exist`)
      if (booking.user_id !== userId) return refuse('NOT_BOOKING_OWNER', `booking ${bookingId} belongs to another buyer`)
      if (booking.status === 'cancelled') return refuse('ALREADY_CANCELLED', `booking ${bookingId} was already cancelled`)

      if (booking.section_id) {
        const section = await lockSection(trx, eventId, booking.section_id, fences)
        if (isRefusal(section)) throw new Error(`booking ${bookingId} names a missing section`)
        await adjustRemaining(trx, eventId, booking.section_id, booking.quantity ?? 0, fences)
      } else {
        await lockSeatRows(trx, eventId, seatIds, fences)
        await trx.updateTable('booking_seats').set({ active: false }).where('booking_id', '=', bookingId).execute()
        await writeSeats(trx, eventId, seatIds, fences, { status: 'available' })
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
    },
  }
}
