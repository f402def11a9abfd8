import type { CommandResult, HoldSeatsCommand } from '@seatline/contracts'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { CommandPlan } from '../command-plan.ts'
import { lockSeatRows, missingSeats, seatResources, unavailableSeats, writeSeats } from '../seat-rows.ts'

/** Holds seats for a buyer while they pay, all or nothing, until the hold expires. */
export function holdSeats (command: HoldSeatsCommand): CommandPlan {
  const { eventId, seatIds, userId, ttlSeconds } = command
  return {
    resources: seatResources(eventId, seatIds),
    async apply (trx, fences): Promise<CommandResult> {
      const rows = await lockSeatRows(trx, eventId, seatIds, fences)
      const refusal = (await missingSeats(trx, eventId, seatIds, rows)) ?? unavailableSeats(rows)
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
      await writeSeats(trx, eventId, seatIds, fences, { status: 'held', holdId, holdExpiresAt: hold.expires_at })
      return { ok: true, kind: 'hold', hold: { holdId, eventId, seatIds, expiresAt: hold.expires_at.toISOString() } }
    },
  }
}
