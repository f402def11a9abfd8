import type { Command, CommandResult } from '@seatline/contracts'
import type { Db, RequestRecords } from '@seatline/db'
import type { ResourceLocks } from '@seatline/lock'
import { UnrecoverableError } from 'bullmq'
import { type CommandHandler, handlerFor, type RunContext } from './commands/index.ts'
import { lockBuyers } from './sale-rules.ts'

export interface CommandContext {
  db: Db
  locks: ResourceLocks
  records: RequestRecords
  /** Seats one account may hold in one event at a time; 0 is no cap. */
  holdSeatsPerUser: number
  /** Told how long each job waited for its locks, in seconds. */
  onLocked? (seconds: number): void
}

/** Consecutive commands of one kind: a handler runs them together (bookings: one statement). */
interface Run {
  handler: CommandHandler<Command>
  commands: Command[]
}

function runsOf (commands: Command[]): Run[] {
  const runs: Run[] = []
  for (const command of commands) {
    const handler = handlerFor(command)
    const last = runs.at(-1)
    if (last?.handler === handler) last.commands.push(command)
    else runs.push({ handler, commands: [command] })
  }
  return runs
}

/**
 * Runs one job's commands in their order, under one set of Redis locks and in one transaction:
 * a batch costs the round trips and the commit of a single command. Each command replays its
 * recorded result if it already ran, so a retried job changes nothing twice.
 */
export async function runCommands (context: CommandContext, commands: Command[]): Promise<CommandResult[]> {
  const runs = runsOf(commands)
  const asked = performance.now()
  const held = await context.locks.acquire(runs.flatMap((run) => run.commands.flatMap((c) => run.handler.resources(c))))
  context.onLocked?.((performance.now() - asked) / 1000)
  const runContext = { fence: held.fence, records: context.records, holdSeatsPerUser: context.holdSeatsPerUser }
  try {
    return await runTogether(context.db, runs, runContext)
  } catch (error) {
    if (commands.length === 1 || error instanceof UnrecoverableError) throw error
    // One command's fault must not sink its neighbours: one transaction each, still in order.
    // The first that fails again fails the job; its retry replays the ones before it.
    const results: CommandResult[] = []
    for (const command of commands) results.push(...await runTogether(context.db, runsOf([command]), runContext))
    return results
  } finally {
    await held.release()
  }
}

async function runTogether (db: Db, runs: Run[], context: RunContext): Promise<CommandResult[]> {
  const [only] = runs
  if (runs.length === 1 && only!.handler.atomic) return only!.handler.run(db, only!.commands, context)
  return db.transaction().execute(async (trx) => {
    await lockBuyers(trx, runs.flatMap((run) => run.commands), { capsHolds: context.holdSeatsPerUser > 0 })
    const results: CommandResult[] = []
    for (const run of runs) results.push(...await run.handler.run(trx, run.commands, context))
    return results
  })
}
