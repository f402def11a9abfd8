import type { BookSeatsCommand, CommandResult } from '@seatline/contracts'
import { insertBooking } from '../booking-rows.ts'
import { type CommandContext, type Fences, runLocked, type Trx } from '../run-command.ts'
import { lockSeatRows, missingSeats, seatResources, unavailableSeats, writeSeats } from '../seat-rows.ts'

/** Books reserved seats, all or nothing. */
export function bookSeats (context: CommandContext, command: BookSeatsCommand): Promise<CommandResult> {
  return runLocked(context, command, seatResources(command.eventId, command.seatIds), (trx, fences) => bookSeatsInTransaction(trx, command, fences))
}

export async function bookSeatsInTransaction (trx: Trx, command: BookSeatsCommand, fences: Fences): Promise<CommandResult> {
  const { eventId, seatIds, userId } = command
  const rows = await lockSeatRows(trx, eventId, seatIds, fences)
  const refusal = (await missingSeats(trx, eventId, seatIds, rows)) ?? unavailableSeats(rows)
  if (refusal) return refusal
  const booking = await insertBooking(trx, { eventId, userId, seatIds })
  await writeSeats(trx, eventId, seatIds, fences, { status: 'booked', bookingId: booking.bookingId })
  return { ok: true, kind: 'booking', booking }
}
