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
 * unknown, someone else's, no longer active, expired (by `seatline_hold_status`).
 */
export async function lockActiveHold (trx: Trx, holdId: string, userId: string, expiredCode: 'HOLD_EXPIRED' | 'HOLD_NOT_ACTIVE'): Promise<ActiveHold | Refusal> {
  const hold = await trx.selectFrom('holds')
    .select(['id', 'event_id', 'user_id', 'seat_ids', 'status', 'expires_at'])
    .select(sql<string>`seatline_hold_status(status, expires_at)`.as('state'))
    .where('id', '=', holdId).forUpdate().executeTakeFirst()
  if (!hold) return refuse('HOLD_NOT_FOUND', `hold ${holdId} does not exist`)
  if (hold.user_id !== userId) return refuse('NOT_HOLD_OWNER', `hold ${holdId} belongs to another buyer`)
  if (hold.state === 'expired') return refuse(expiredCode, `hold ${holdId} expired at ${hold.expires_at.toISOString()}`)
  if (hold.state !== 'active') return refuse('HOLD_NOT_ACTIVE', `hold ${holdId} is already ${hold.state}`)
  return hold
}
