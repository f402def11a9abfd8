import { type CommandResult, isRefusal, type ReleaseHoldCommand } from '@seatline/contracts'
import { lockActiveHold } from '../hold-rows.ts'
import type { CommandPlan } from '../command-plan.ts'
import { lockSeatRows, seatResources, writeSeats } from '../seat-rows.ts'

/** Gives a hold's seats back at once, before it would have expired. */
export function releaseHold (command: ReleaseHoldCommand): CommandPlan {
  const { eventId, seatIds, userId, holdId } = command
  return {
    resources: seatResources(eventId, seatIds),
    async apply (trx, fences): Promise<CommandResult> {
      const hold = await lockActiveHold(trx, holdId, userId, 'HOLD_NOT_ACTIVE')
      if (isRefusal(hold)) return hold
      await lockSeatRows(trx, hold.event_id, hold.seat_ids, fences)
      await writeSeats(trx, hold.event_id, hold.seat_ids, fences, { status: 'available' })
      await trx.updateTable('holds').set({ status: 'released' }).where('id', '=', holdId).execute()
      return { ok: true, kind: 'release', holdId }
    },
  }
}
