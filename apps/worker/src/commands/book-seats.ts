import type { BookSeatsCommand, CommandResult } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import { sql, type Transaction } from 'kysely'
import { StaleFenceError } from '../fencing.ts'
import type { CommandContext, Fences } from '../run-command.ts'
import { seatResources } from '../seat-rows.ts'

const STALE_FENCE = 'SL409'

/**
 * Books reserved seats, all or nothing. The hottest command runs as one Postgres function
 * (migrations/…-book-seats-function.ts): one round trip instead of eight, and it records its
 * result in the same statement, so a retried job replays it.
 */
export async function bookSeats (context: CommandContext, command: BookSeatsCommand): Promise<CommandResult> {
  const held = await context.locks.acquire(seatResources(command.eventId, command.seatIds))
  try {
    return await bookSeatsTransaction(context.db, command, held.fences)
  } finally {
    await held.release()
  }
}

export async function bookSeatsTransaction (executor: Db | Transaction<Database>, command: BookSeatsCommand, fences: Fences): Promise<CommandResult> {
  const { requestId, userId, eventId, seatIds } = command
  const fenceList = seatResources(eventId, seatIds).map((r) => fences.get(r) ?? 0)
  try {
    const { rows } = await sql<{ result: CommandResult }>`
      select seatline_book_seats(${requestId}, ${userId}, ${eventId}, ${seatIds}::text[], ${fenceList}::bigint[]) as result`.execute(executor)
    return rows[0]!.result
  } catch (error) {
    if ((error as { code?: string }).code === STALE_FENCE) throw new StaleFenceError((error as Error).message)
    throw error
  }
}
