import type { BookSeatsCommand, CommandResult, RefusedSeat } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import { seatResource, type ResourceLocks } from '@seatline/lock'
import { sql, type Transaction } from 'kysely'
import { randomUUID } from 'node:crypto'
import { assertFresh } from '../fencing.ts'
import { priorResult, recordResult } from '../request-record.ts'

interface SeatRow {
  seat_id: string
  status: 'available' | 'held' | 'booked'
  fence: string
  seconds_left: number | null
}

/** Books reserved seats, all or nothing, under the Redis locks of every seat. */
export async function bookSeats (db: Db, locks: ResourceLocks, command: BookSeatsCommand): Promise<CommandResult> {
  const held = await locks.acquire(command.seatIds.map((seatId) => seatResource(command.eventId, seatId)))
  try {
    const fences = new Map<string, number>()
    for (const seatId of command.seatIds) fences.set(seatId, held.fences.get(seatResource(command.eventId, seatId))!)
    return await db.transaction().execute((trx) => bookSeatsInTransaction(trx, command, fences))
  } finally {
    await held.release()
  }
}

export async function bookSeatsInTransaction (
  trx: Transaction<Database>,
  command: BookSeatsCommand,
  fences: ReadonlyMap<string, number>
): Promise<CommandResult> {
  const prior = await priorResult(trx, command.requestId)
  if (prior) return prior

  const { eventId, seatIds, userId, requestId } = command
  // An expired hold is available the moment it expires, whether or not the sweeper has run.
  const { rows: seats } = await sql<SeatRow>`
    select seat_id, fence,
           case when status = 'held' and hold_expires_at <= now() then 'available' else status end as status,
           ceil(extract(epoch from hold_expires_at - now()))::int as seconds_left
      from seats
     where event_id = ${eventId} and seat_id = any(${seatIds}::text[])
     order by seat_id
       for update`.execute(trx)

  assertFresh(seats.map((s) => ({ key: s.seat_id, fence: s.fence })), fences)

  const result = await decide(trx, command, seats)
  if (result.ok) {
    const bookingId = result.booking.bookingId
    await trx.insertInto('bookings')
      .values({ id: bookingId, event_id: eventId, user_id: userId, status: 'confirmed', created_at: result.booking.createdAt })
      .execute()
    await trx.insertInto('booking_seats')
      .values(seatIds.map((seatId) => ({ booking_id: bookingId, event_id: eventId, seat_id: seatId })))
      .execute()
    await sql`
      update seats
         set status = 'booked', booking_id = ${bookingId}, hold_id = null, hold_expires_at = null, fence = f.fence
        from unnest(${seatIds}::text[], ${seatIds.map((s) => fences.get(s)!)}::bigint[]) as f(seat_id, fence)
       where seats.event_id = ${eventId} and seats.seat_id = f.seat_id`.execute(trx)
  }
  await recordResult(trx, requestId, result)
  return result
}

async function decide (trx: Transaction<Database>, command: BookSeatsCommand, seats: SeatRow[]): Promise<CommandResult> {
  const { eventId, seatIds, userId } = command
  if (seats.length < seatIds.length) {
    const event = await trx.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
    if (!event) return { ok: false, code: 'EVENT_NOT_FOUND', detail: `event ${eventId} does not exist` }
    const found = new Set(seats.map((s) => s.seat_id))
    const missing = seatIds.filter((s) => !found.has(s))
    return { ok: false, code: 'SEAT_NOT_FOUND', detail: `no seat ${missing.join(', ')} in event ${eventId}`, seatIds: missing }
  }
  const refused: RefusedSeat[] = seats
    .filter((s) => s.status !== 'available')
    .map((s) => s.status === 'held'
      ? { seatId: s.seat_id, status: 'held', retryAfterSeconds: Math.max(1, s.seconds_left ?? 1) }
      : { seatId: s.seat_id, status: 'booked' })
  if (refused.length > 0) {
    const names = refused.map((s) => `${s.seatId} (${s.status})`).join(', ')
    return { ok: false, code: 'SEATS_UNAVAILABLE', detail: `not available: ${names}`, seats: refused }
  }
  return {
    ok: true,
    kind: 'booking',
    booking: {
      bookingId: randomUUID(),
      eventId,
      userId,
      status: 'confirmed',
      seatIds,
      createdAt: new Date().toISOString(),
    },
  }
}
