import type { HoldView } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import { sql } from 'kysely'

/** Who holds what: the facts a command needs before it is queued, which never change. */
export interface HoldRef {
  userId: string
  eventId: string
  seatIds: string[]
}

export class HoldsRepository {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  async findRef (holdId: string): Promise<HoldRef | undefined> {
    const row = await this.#db.selectFrom('holds').select(['user_id', 'event_id', 'seat_ids']).where('id', '=', holdId).executeTakeFirst()
    return row ? { userId: row.user_id, eventId: row.event_id, seatIds: row.seat_ids } : undefined
  }

  /** The owner's view; an active hold past its expiry reads as expired (`seatline_hold_status`). */
  async findOwned (userId: string, holdId: string): Promise<HoldView | undefined> {
    const row = await this.#db.selectFrom('holds')
      .select(['id', 'event_id', 'seat_ids', 'expires_at', 'booking_id'])
      .select(sql<HoldView['status']>`seatline_hold_status(status, expires_at)`.as('status'))
      .where('id', '=', holdId).where('user_id', '=', userId).executeTakeFirst()
    if (!row) return undefined
    const view: HoldView = {
      holdId: row.id,
      eventId: row.event_id,
      seatIds: row.seat_ids,
      expiresAt: row.expires_at.toISOString(),
      status: row.status,
    }
    if (row.booking_id) view.bookingId = row.booking_id
    return view
  }
}
