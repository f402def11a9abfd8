import type { BookSeatsCommand, CommandResult } from '@seatline/contracts'
import { RecordedTwiceError } from '@seatline/db'
import { sql } from 'kysely'
import { STALE_FENCE_SQLSTATE, StaleFenceError } from '../fencing.ts'
import { seatResources } from '../seat-rows.ts'
import type { CommandHandler, Executor } from './command-handler.ts'

const RECORDED_TWICE_SQLSTATE = 'SL410'

function rethrow (error: unknown): never {
  const code = (error as { code?: string }).code
  if (code === STALE_FENCE_SQLSTATE) throw new StaleFenceError((error as Error).message)
  if (code === RECORDED_TWICE_SQLSTATE) throw new RecordedTwiceError((error as Error).message)
  throw error
}

/**
 * Books reserved seats, all or nothing. The hottest command is one Postgres function
 * (`seatline_book_seats`, migration T03): replay, lock, fence check, refusal, booking and record
 * in one round trip; a run of them in a batch is one statement too.
 */
export async function bookSeatsMany (executor: Executor, commands: BookSeatsCommand[], fence: number): Promise<CommandResult[]> {
  try {
    if (commands.length === 1) {
      const { rows } = await sql<{ result: CommandResult }>`
        select seatline_book_seats(${JSON.stringify(commands[0])}::jsonb, ${fence}) as result`.execute(executor)
      return [rows[0]!.result]
    }
    const { rows } = await sql<{ results: CommandResult[] }>`
      select seatline_book_seats_many(${JSON.stringify(commands)}::jsonb, ${fence}) as results`.execute(executor)
    return rows[0]!.results
  } catch (error) {
    rethrow(error)
  }
}

export const bookSeats: CommandHandler<BookSeatsCommand> = {
  resources: (command) => seatResources(command.eventId, command.seatIds),
  run: (executor, commands, { fence }) => bookSeatsMany(executor, commands, fence),
  atomic: true,
}
