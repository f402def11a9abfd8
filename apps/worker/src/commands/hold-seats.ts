import type { HoldSeatsCommand } from '@seatline/contracts'
import { sql } from 'kysely'
import { holdCapRefusal, saleRefusal } from '../sale-rules.ts'
import { lockSeats, seatResources, seatsRefusal, writeSeats } from '../seat-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Holds seats for a buyer while they pay, all or nothing, until the hold expires. */
export const holdSeats = oneAtATime<HoldSeatsCommand>(
  ({ eventId, seatIds }) => seatResources(eventId, seatIds),
  async (trx, { requestId, eventId, seatIds, userId, ttlSeconds, admittedUntil }, fence, _locked, { holdSeatsPerUser }) => {
    const refusal = await saleRefusal(trx, eventId, userId, seatIds.length, admittedUntil) ??
      await holdCapRefusal(trx, eventId, userId, seatIds.length, holdSeatsPerUser) ??
      await seatsRefusal(trx, eventId, seatIds)
    if (refusal) return refusal
    // The hold's id is its request's; expiry on the database's clock, the one every read uses.
    const hold = await trx.insertInto('holds').values({
      id: requestId,
      event_id: eventId,
      user_id: userId,
      seat_ids: seatIds,
      status: 'active',
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    }).returning('expires_at').executeTakeFirstOrThrow()
    await writeSeats(trx, eventId, seatIds, fence, { status: 'held', holdId: requestId, holdExpiresAt: hold.expires_at })
    return { ok: true, kind: 'hold', hold: { holdId: requestId, eventId, seatIds, expiresAt: hold.expires_at.toISOString() } }
  },
  (trx, { eventId, seatIds }, fence) => lockSeats(trx, eventId, seatIds, fence)
)
