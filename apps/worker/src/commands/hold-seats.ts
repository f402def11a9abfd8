import type { HoldSeatsCommand } from '@seatline/contracts'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { saleRefusal } from '../sale-rules.ts'
import { lockSeats, seatResources, seatsRefusal, writeSeats } from '../seat-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Holds seats for a buyer while they pay, all or nothing, until the hold expires. */
export const holdSeats = oneAtATime<HoldSeatsCommand>(
  ({ eventId, seatIds }) => seatResources(eventId, seatIds),
  async (trx, { eventId, seatIds, userId, ttlSeconds }, fence) => {
    await lockSeats(trx, eventId, seatIds, fence)
    const refusal = await saleRefusal(trx, eventId, userId, seatIds.length) ?? await seatsRefusal(trx, eventId, seatIds)
    if (refusal) return refusal
    const holdId = randomUUID()
    // Expiry on the database's clock, the same clock every read compares it with.
    const hold = await trx.insertInto('holds').values({
      id: holdId,
      event_id: eventId,
      user_id: userId,
      seat_ids: seatIds,
      status: 'active',
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    }).returning('expires_at').executeTakeFirstOrThrow()
    await writeSeats(trx, eventId, seatIds, fence, { status: 'held', holdId, holdExpiresAt: hold.expires_at })
    return { ok: true, kind: 'hold', hold: { holdId, eventId, seatIds, expiresAt: hold.expires_at.toISOString() } }
  }
)
