import { createEvent, seatNames, type Buyer, type Target } from './target.ts'

export const SEATS_PER_EVENT = 100_000

export interface SeatPool {
  eventIds: string[]
  size: number
  /** The i-th fresh seat; each index names a different seat. */
  seat (i: number): { eventId: string, seatId: string }
}

/** Enough large events (100,000 seats each, the contract's maximum) for `count` distinct seats. */
export async function seatPool (target: Target, owner: Buyer, count: number): Promise<SeatPool> {
  const eventIds: string[] = []
  for (let made = 0; made < count; made += SEATS_PER_EVENT) {
    eventIds.push((await createEvent(target, owner, { seats: seatNames(Math.min(SEATS_PER_EVENT, count - made)) })).id)
  }
  return {
    eventIds,
    size: count,
    seat: (i) => ({ eventId: eventIds[Math.floor(i / SEATS_PER_EVENT) % eventIds.length]!, seatId: `S${(i % SEATS_PER_EVENT) + 1}` }),
  }
}
