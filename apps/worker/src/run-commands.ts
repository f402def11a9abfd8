import type { BookSeatsCommand, Command, CommandResult } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import type { ResourceLocks } from '@seatline/lock'
import type { Fences, Trx } from './command-plan.ts'
import { commandPlan, commandResources } from './command-router.ts'
import { bookSeatsMany } from './commands/book-seats.ts'
import { priorResult, recordResult } from './request-record.ts'

export interface CommandContext {
  db: Db
  locks: ResourceLocks
}

/**
 * Runs one partition's commands in their order, under one set of Redis locks and in one
 * transaction: a batch costs the round trips and the commit of a single command. Each command
 * replays its recorded result if it already ran, so a retried job changes nothing twice.
 */
export async function runCommands (context: CommandContext, commands: Command[]): Promise<CommandResult[]> {
  const held = await context.locks.acquire(commands.flatMap(commandResources))
  try {
    return await runTogether(context.db, commands, held.fences)
  } catch (error) {
    if (commands.length === 1) throw error
    // One command's fault must not sink its neighbours: one transaction each, still in order.
    // The first that fails again fails the job; its retry replays the ones before it.
    const results: CommandResult[] = []
    for (const command of commands) results.push(...await runTogether(context.db, [command], held.fences))
    return results
  } finally {
    await held.release()
  }
}

export async function runCommand (context: CommandContext, command: Command): Promise<CommandResult> {
  const [result] = await runCommands(context, [command])
  return result!
}

function isBookSeats (command: Command): command is BookSeatsCommand {
  return command.type === 'book-seats'
}

async function runTogether (db: Db, commands: Command[], fences: Fences): Promise<CommandResult[]> {
  // The hot path: bookings alone are one statement, which is its own transaction.
  if (commands.every(isBookSeats)) return bookSeatsMany(db, commands, fences)
  return db.transaction().execute(async (trx) => {
    const results: CommandResult[] = []
    let bookings: BookSeatsCommand[] = []
    const flushBookings = async () => {
      if (bookings.length > 0) results.push(...await bookSeatsMany(trx, bookings, fences))
      bookings = []
    }
    for (const command of commands) {
      if (isBookSeats(command)) {
        bookings.push(command)
        continue
      }
      await flushBookings()
      results.push(await runPlanned(trx, command, fences))
    }
    await flushBookings()
    return results
  })
}

async function runPlanned (trx: Trx, command: Exclude<Command, BookSeatsCommand>, fences: Fences): Promise<CommandResult> {
  const prior = await priorResult(trx, command.requestId)
  if (prior) return prior
  const result = await commandPlan(command).apply(trx, fences)
  await recordResult(trx, command, result)
  return result
}
