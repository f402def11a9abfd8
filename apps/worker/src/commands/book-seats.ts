import type { BookSeatsCommand, CommandResult } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import { sql, type Transaction } from 'kysely'
import type { Fences } from '../command-plan.ts'
import { StaleFenceError } from '../fencing.ts'
import { seatResources } from '../seat-rows.ts'

type Executor = Db | Transaction<Database>

const STALE_FENCE = 'SL409'

function rethrowStale (error: unknown): never {
  if ((error as { code?: string }).code === STALE_FENCE) throw new StaleFenceError((error as Error).message)
  throw error
}

function fencesOf (command: BookSeatsCommand, fences: Fences): number[] {
  return seatResources(command.eventId, command.seatIds).map((r) => fences.get(r) ?? 0)
}

/**
 * Books reserved seats, all or nothing. The hottest command runs as one Postgres function
 * (migrations/…-book-seats-function.ts): one round trip instead of eight, and it records its
 * result in the same statement, so a retried job replays it.
 */
export async function bookSeatsTransaction (executor: Executor, command: BookSeatsCommand, fences: Fences): Promise<CommandResult> {
  const { requestId, userId, eventId, seatIds } = command
  try {
    const { rows } = await sql<{ result: CommandResult }>`
      select seatline_book_seats(${requestId}, ${userId}, ${eventId}, ${seatIds}::text[], ${fencesOf(command, fences)}::bigint[]) as result`.execute(executor)
    return rows[0]!.result
  } catch (error) {
    rethrowStale(error)
  }
}

/** Many bookings, in order, each as `bookSeatsTransaction` would run it: one statement for all. */
export async function bookSeatsMany (executor: Executor, commands: BookSeatsCommand[], fences: Fences): Promise<CommandResult[]> {
  if (commands.length === 1) return [await bookSeatsTransaction(executor, commands[0]!, fences)]
  const batch = commands.map((c) => ({ requestId: c.requestId, userId: c.userId, eventId: c.eventId, seatIds: c.seatIds, fences: fencesOf(c, fences) }))
  try {
    const { rows } = await sql<{ results: CommandResult[] }>`
      select seatline_book_seats_many(${JSON.stringify(batch)}::jsonb) as results`.execute(executor)
    return rows[0]!.results
  } catch (error) {
    rethrowStale(error)
  }
}
