import { refuse, type Refusal } from '@seatline/contracts'
import { sql } from 'kysely'
import type { Trx } from './commands/command-handler.ts'

export interface ActiveHold {
  id: string
  event_id: string
  seat_ids: string[]
}

/**
 * Row-locks a hold and checks it can still be acted on by this user, in the contract's order:
 * unknown, someone else's, no longer active, expired. Expiry is judged by the clock now, not at
 * the transaction's start: a booking of the same buyer that ran just before may have counted the
 * hold as expired (`seatline_buyer_places`), and the hold must then not come back to life.
 */
export async function lockActiveHold (trx: Trx, holdId: string, userId: string, expiredCode: 'HOLD_EXPIRED' | 'HOLD_NOT_ACTIVE'): Promise<ActiveHold | Refusal> {
  const hold = await trx.selectFrom('holds')
    .select(['id', 'event_id', 'user_id', 'seat_ids', 'status', 'expires_at'])
    .select(sql<string>`seatline_hold_status_at(status, expires_at, clock_timestamp())`.as('state'))
    .where('id', '=', holdId).forUpdate().executeTakeFirst()
  if (!hold) return refuse('HOLD_NOT_FOUND', `hold ${holdId} does not exist`)
  if (hold.user_id !== userId) return refuse('NOT_HOLD_OWNER', `hold ${holdId} belongs to another buyer`)
  if (hold.state === 'expired') return refuse(expiredCode, `hold ${holdId} expired at ${hold.expires_at.toISOString()}`)
  if (hold.state !== 'active') return refuse('HOLD_NOT_ACTIVE', `hold ${holdId} is already ${hold.state}`)
  return hold
}
