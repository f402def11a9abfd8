import type { Command, Refusal } from '@seatline/contracts'
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
 * whatever partitions they run on, and two jobs can never wait on each other's buyers.
 */
export async function lockBuyers (executor: Executor, commands: readonly Command[]): Promise<void> {
  const buyers = commands.filter((c) => COUNTED.has(c.type)).map((c) => ({ eventId: c.eventId, userId: c.userId }))
  if (buyers.length === 0) return
  await sql`select seatline_lock_buyers(${JSON.stringify(buyers)}::jsonb)`.execute(executor)
}

/**
 * Why the buyer may not take `places` more now (the sale's window, its pause, the waiting room's
 * admission the command carries, the buyer's limit), by the rule in SQL that the booking
 * function applies too (`seatline_sale_refusal`).
 */
export async function saleRefusal (trx: Trx, eventId: string, userId: string, places: number, admittedUntil?: string): Promise<Refusal | undefined> {
  const { rows } = await sql<{ refusal: Refusal | null }>`select seatline_sale_refusal(${eventId}, ${userId}, ${places}, ${admittedUntil ?? null}::timestamptz) as refusal`.execute(trx)
  return rows[0]?.refusal ?? undefined
}
