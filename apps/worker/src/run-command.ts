import type { Command, CommandResult } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import type { ResourceLocks } from '@seatline/lock'
import type { Transaction } from 'kysely'
import { priorResult, recordResult } from './request-record.ts'

export type Trx = Transaction<Database>
/** Fencing number per locked resource, as drawn by this holder. */
export type Fences = ReadonlyMap<string, number>

export interface CommandContext {
  db: Db
  locks: ResourceLocks
}

/**
 * The shape every command shares: take the Redis locks of its resources, then in one
 * transaction return the recorded result if the command already ran, or do the work and record
 * its result beside its effects; release the locks whatever happens.
 */
export async function runLocked (
  context: CommandContext,
  command: Command,
  resources: string[],
  work: (trx: Trx, fences: Fences) => Promise<CommandResult>
): Promise<CommandResult> {
  const held = await context.locks.acquire(resources)
  try {
    return await context.db.transaction().execute(async (trx) => {
      const prior = await priorResult(trx, command.requestId)
      if (prior) return prior
      const result = await work(trx, held.fences)
      await recordResult(trx, command, result)
      return result
    })
  } finally {
    await held.release()
  }
}
