import { isRefusal, type ReleaseHoldCommand } from '@seatline/contracts'
import { lockActiveHold } from '../hold-rows.ts'
import { lockSeats, seatResources, writeSeats } from '../seat-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Gives a hold's seats back at once, before it would have expired. */
export const releaseHold = oneAtATime<ReleaseHoldCommand>(
  ({ eventId, seatIds }) => seatResources(eventId, seatIds),
  async (trx, { userId, holdId }, fence) => {
    const hold = await lockActiveHold(trx, holdId, userId, 'HOLD_NOT_ACTIVE')
    if (isRefusal(hold)) return hold
    await lockSeats(trx, hold.event_id, hold.seat_ids, fence)
    await writeSeats(trx, hold.event_id, hold.seat_ids, fence, { status: 'available' })
    await trx.updateTable('holds').set({ status: 'released' }).where('id', '=', holdId).execute()
    return { ok: true, kind: 'release', holdId }
  }
)
