import { type ConfirmHoldCommand, isRefusal } from '@seatline/contracts'
import { insertBooking } from '../booking-rows.ts'
import { lockActiveHold } from '../hold-rows.ts'
import { lockSeats, seatResources, writeSeats } from '../seat-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Turns the buyer's active hold into a booking of the same seats. */
export const confirmHold = oneAtATime<ConfirmHoldCommand>(
  ({ eventId, seatIds }) => seatResources(eventId, seatIds),
  async (trx, { requestId, userId, holdId }, fence) => {
    const hold = await lockActiveHold(trx, holdId, userId, 'HOLD_EXPIRED')
    if (isRefusal(hold)) return hold
    const booking = await insertBooking(trx, { id: requestId, eventId: hold.event_id, userId, seatIds: hold.seat_ids })
    await writeSeats(trx, hold.event_id, hold.seat_ids, fence, { status: 'booked', bookingId: booking.bookingId })
    await trx.updateTable('holds').set({ status: 'confirmed', booking_id: booking.bookingId }).where('id', '=', holdId).execute()
    return { ok: true, kind: 'booking', booking }
  },
  // The hold's seats (carried by the command): an earlier run of this confirm changed them.
  (trx, { eventId, seatIds }, fence) => lockSeats(trx, eventId, seatIds, fence)
)
