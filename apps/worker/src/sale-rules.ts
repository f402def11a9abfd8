import { type Command, type Refusal, refuse } from '@seatline/contracts'
import { sql } from 'kysely'
import type { Executor, Trx } from './commands/command-handler.ts'

/**
 * Commands that change what a buyer has in an event: taking seats, and confirming a hold (which
 * must not race a booking that saw the hold expire). Releases and cancellations only give back.
 */
const COUNTED: ReadonlySet<Command['type']> = new Set(['book-seats', 'book-section', 'hold-seats', 'confirm-hold'])

/**
 * Locks the buyer row of every counted command whose event has a buyer limit, in one fixed order
 * (`seatline_lock_buyers`), before the job touches any seat: one buyer's commands take turns
 * whatever partitions they run on, and two jobs can never wait on each other's buyers. With a
 * cap on held seats (`capsHolds`), a hold's buyer is locked on any event, for the same reason.
 */
export async function lockBuyers (executor: Executor, commands: readonly Command[], { capsHolds = false } = {}): Promise<void> {
  const buyers = commands.filter((c) => COUNTED.has(c.type))
    .map((c) => ({ eventId: c.eventId, userId: c.userId, ...(capsHolds && c.type === 'hold-seats' ? { holds: true } : {}) }))
  if (buyers.length === 0) return
  await sql`select seatline_lock_buyers(${JSON.stringify(buyers)}::jsonb)`.execute(executor)
}

/**
 * Why the buyer may not take `places` more now (the sale's window, its pause, the waiting room's
 * admission the command carries, the buyer's limit), by the rule in SQL that the booking
 * function applies too (`seatline_sale_refusal`).
 */
/**
 * Why the buyer may not hold `places` more seats in the event: they would hold more than `cap`
 * at once (0: no cap). Independent of the organiser's limit, which counts bookings too: one free
 * account must not hold a whole sale. Call it with the buyer's row locked (`lockBuyers`).
 */
export async function holdCapRefusal (trx: Trx, eventId: string, userId: string, places: number, cap: number): Promise<Refusal | undefined> {
  if (cap <= 0) return undefined
  const { rows } = await sql<{ held: number }>`select seatline_held_places(${eventId}, ${userId}) as held`.execute(trx)
  const held = rows[0]!.held
  if (held + places <= cap) return undefined
  return refuse('BUYER_LIMIT_REACHED', `at most ${cap} seats held at once per account in one event: you hold ${held}, this asks for ${places} more; confirm or release a hold first`,
    { limit: cap, current: held })
}

export async function saleRefusal (trx: Trx, eventId: string, userId: string, places: number, admittedUntil?: string): Promise<Refusal | undefined> {
  const { rows } = await sql<{ refusal: Refusal | null }>`select seatline_sale_refusal(${eventId}, ${userId}, ${places}, ${admittedUntil ?? null}::timestamptz) as refusal`.execute(trx)
  return rows[0]?.refusal ?? undefined
}
