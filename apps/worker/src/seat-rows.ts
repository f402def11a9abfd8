import { type CommandResult, seatResource } from '@seatline/contracts'
import { sql } from 'kysely'
import type { Trx } from './commands/command-handler.ts'
import { assertFresh } from './fencing.ts'

/**
 * Row-locks the seats in seat order (as every command does, so none can deadlock) and refuses to
 * go on if a newer lock holder has written any of them.
 */
export async function lockSeats (trx: Trx, eventId: string, seatIds: readonly string[], fence: number): Promise<void> {
  const rows = await trx.selectFrom('seats').select(['seat_id', 'fence'])
    .where('event_id', '=', eventId).where('seat_id', 'in', [...seatIds])
    .orderBy('seat_id').forUpdate().execute()
  assertFresh(rows.map((r) => ({ key: seatResource(eventId, r.seat_id), fence: r.fence })), fence)
}

/** Why these seats cannot be had, by the one rule in SQL (`seatline_seats_refusal`), or undefined. */
export async function seatsRefusal (trx: Trx, eventId: string, seatIds: readonly string[]): Promise<CommandResult | undefined> {
  const { rows } = await sql<{ refusal: CommandResult | null }>`select seatline_seats_refusal(${eventId}, ${[...seatIds]}::text[]) as refusal`.execute(trx)
  return rows[0]?.refusal ?? undefined
}

export interface SeatChange {
  status: 'available' | 'held' | 'booked'
  holdId?: string | null
  holdExpiresAt?: Date | null
  bookingId?: string | null
}

/** Sets the seats' state and writes the lock set's fencing number, in one statement. */
export async function writeSeats (trx: Trx, eventId: string, seatIds: readonly string[], fence: number, change: SeatChange): Promise<void> {
  await trx.updateTable('seats')
    .set({ status: change.status, hold_id: change.holdId ?? null, hold_expires_at: change.holdExpiresAt ?? null, booking_id: change.bookingId ?? null, fence })
    .where('event_id', '=', eventId).where('seat_id', 'in', [...seatIds])
    .execute()
}

export function seatResources (eventId: string, seatIds: readonly string[]): string[] {
  return seatIds.map((s) => seatResource(eventId, s))
}
