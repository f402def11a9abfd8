import { type CommandResult, type ConfirmHoldCommand, isRefusal } from '@seatline/contracts'
import { insertBooking } from '../booking-rows.ts'
import { lockActiveHold } from '../hold-rows.ts'
import type { CommandPlan } from '../command-plan.ts'
import { lockSeatRows, seatResources, writeSeats } from '../seat-rows.ts'

/** Turns the buyer's active hold into a booking of the same seats. */
export function confirmHold (command: ConfirmHoldCommand): CommandPlan {
  const { eventId, seatIds, userId, holdId } = command
  return {
    resources: seatResources(eventId, seatIds),
    async apply (trx, fences): Promise<CommandResult> {
      const hold = await lockActiveHold(trx, holdId, userId, 'HOLD_EXPIRED')
      if (isRefusal(hold)) return hold
      await lockSeatRows(trx, hold.event_id, hold.seat_ids, fences)
      const booking = await insertBooking(trx, { eventId: hold.event_id, userId, seatIds: hold.seat_ids })
      await writeSeats(trx, hold.event_id, hold.seat_ids, fences, { status: 'booked', bookingId: booking.bookingId })
      await trx.updateTable('holds').set({ status: 'confirmed', booking_id: booking.bookingId }).where('id', '=', holdId).execute()
      return { ok: true, kind: 'booking', booking }
    },
  }
}
