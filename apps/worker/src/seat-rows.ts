import { refuse, type RefusedSeat, type Refusal } from '@seatline/contracts'
import { seatResource } from '@seatline/lock'
import { sql } from 'kysely'
import { assertFresh } from './fencing.ts'
import type { Fences, Trx } from './command-plan.ts'

export interface SeatRow {
  seat_id: string
  /** available | held | booked, with an expired hold already read as available. */
  status: 'available' | 'held' | 'booked'
  hold_id: string | null
  booking_id: string | null
  fence: string
  seconds_left: number | null
}

/**
 * Reads and row-locks the seats, and refuses to go on if a newer lock holder has written any of
 * them. An expired hold reads as available the moment it expires, whether or not it was tidied.
 */
export async function lockSeatRows (trx: Trx, eventId: string, seatIds: readonly string[], fences: Fences): Promise<SeatRow[]> {
  const { rows } = await sql<SeatRow>`
    select seat_id, fence, hold_id, booking_id,
           case when status = 'held' and hold_expires_at <= now() then 'available' else status end as status,
           ceil(extract(epoch from hold_expires_at - now()))::int as seconds_left
      from seats
     where event_id = ${eventId} and seat_id = any(${seatIds}::text[])
     order by seat_id
       for update`.execute(trx)
  assertFresh(rows.map((r) => ({ key: seatResource(eventId, r.seat_id), fence: r.fence })), fences)
  return rows
}

/** EVENT_NOT_FOUND or SEAT_NOT_FOUND when some asked-for seats have no row. */
export async function missingSeats (trx: Trx, eventId: string, seatIds: readonly string[], rows: SeatRow[]): Promise<Refusal | undefined> {
  if (rows.length === seatIds.length) return undefined
  const event = await trx.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
  if (!event) return refuse('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
  const found = new Set(rows.map((r) => r.seat_id))
  const missing = seatIds.filter((s) => !found.has(s))
  return refuse('SEAT_NOT_FOUND', `no seat ${missing.join(', ')} in event ${eventId}`, { seatIds: missing })
}

/** SEATS_UNAVAILABLE listing each seat that is not available, with when a held one frees up. */
export function unavailableSeats (rows: SeatRow[]): Refusal | undefined {
  const refused: RefusedSeat[] = rows
    .filter((r) => r.status !== 'available')
    .map((r) => r.status === 'held'
      ? { seatId: r.seat_id, status: 'held', retryAfterSeconds: Math.max(1, r.seconds_left ?? 1) }
      : { seatId: r.seat_id, status: 'booked' })
  if (refused.length === 0) return undefined
  return refuse('SEATS_UNAVAILABLE', `not available: ${refused.map((s) => `${s.seatId} (${s.status})`).join(', ')}`, { seats: refused })
}

export interface SeatChange {
  status: 'available' | 'held' | 'booked'
  holdId?: string | null
  holdExpiresAt?: Date | null
  bookingId?: string | null
}

/** Sets the seats' state and writes each seat's fencing number, in one statement. */
export async function writeSeats (trx: Trx, eventId: string, seatIds: readonly string[], fences: Fences, change: SeatChange): Promise<void> {
  const fenceList = seatIds.map((s) => fences.get(seatResource(eventId, s))!)
  await sql`
    update seats
       set status = ${change.status}, hold_id = ${change.holdId ?? null}, hold_expires_at = ${change.holdExpiresAt ?? null},
           booking_id = ${change.bookingId ?? null}, fence = f.fence
      from unnest(${seatIds}::text[], ${fenceList}::bigint[]) as f(seat_id, fence)
     where seats.event_id = ${eventId} and seats.seat_id = f.seat_id`.execute(trx)
}

export function seatResources (eventId: string, seatIds: readonly string[]): string[] {
  return seatIds.map((s) => seatResource(eventId, s))
}
