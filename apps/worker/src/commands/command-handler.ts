import type { Command, CommandResult } from '@seatline/contracts'
import type { Database, Db, RequestRecords } from '@seatline/db'
import type { Transaction } from 'kysely'

export type Trx = Transaction<Database>
export type Executor = Db | Trx

export interface RunContext {
  /** Fencing number of the job's lock set: every write carries it. */
  fence: number
  records: RequestRecords
  /** Seats one account may hold in one event at a time; 0 is no cap. */
  holdSeatsPerUser: number
}

/** How one kind of command runs: what it locks, and its checks and changes once locked. */
export interface CommandHandler<C extends Command> {
  resources (command: C): string[]
  /**
   * Runs consecutive commands of this kind in order; each replays its recorded result if it ran
   * before, else records the new one with its effects. Inside the job's transaction, unless
   * `atomic` says the run is a single statement and the job has nothing else.
   */
  run (executor: Executor, commands: C[], context: RunContext): Promise<CommandResult[]>
  atomic?: boolean
}

/**
 * A handler for commands written as a few statements in TypeScript: each command in turn,
 * inside the job's transaction, between the replay check and the record of its result. A command
 * that makes something locks the rows it will change first (`lock`), so that a run that waited
 * for an earlier run of the same command finds its work and replays it; what `lock` returns is
 * handed to `apply`.
 */
export function oneAtATime<C extends Command, L = void> (
  resources: (command: C) => string[],
  apply: (trx: Trx, command: C, fence: number, locked: L, context: RunContext) => Promise<CommandResult>,
  lock?: (trx: Trx, command: C, fence: number) => Promise<L>
): CommandHandler<C> {
  return {
    resources,
    async run (executor, commands, context) {
      const { fence, records } = context
      if (!executor.isTransaction) throw new Error('these commands run inside a transaction')
      const trx = executor as Trx
      const results: CommandResult[] = []
      for (const command of commands) {
        const locked = await lock?.(trx, command, fence) as L
        const prior = await records.prior(trx, command)
        if (prior) {
          results.push(prior)
          continue
        }
        const result = await apply(trx, command, fence, locked, context)
        await records.record(trx, command, result)
        results.push(result)
      }
      return results
    },
  }
}
