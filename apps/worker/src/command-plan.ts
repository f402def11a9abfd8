import type { CommandResult } from '@seatline/contracts'
import type { Database } from '@seatline/db'
import type { Transaction } from 'kysely'

export type Trx = Transaction<Database>
/** Fencing number per locked resource, as drawn by this holder. */
export type Fences = ReadonlyMap<string, number>

/** What a command needs locked, and its checks and changes once those locks are held. */
export interface CommandPlan {
  resources: string[]
  /** Runs inside a transaction; the runner replays a recorded result and records the new one. */
  apply (trx: Trx, fences: Fences): Promise<CommandResult>
}
