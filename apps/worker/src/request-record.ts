import type { CommandResult } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import type { Transaction } from 'kysely'
import type { Database } from '@seatline/db'

type Trx = Transaction<Database>

/**
 * Locks the command's request row for this transaction. If the command already ran (a retry
 * after a crash, a stalled job run twice) its stored result is returned and nothing changes:
 * this is what makes every command idempotent by its request id.
 */
export async function priorResult (trx: Trx, requestId: string): Promise<CommandResult | undefined> {
  const row = await trx.selectFrom('requests').select(['status', 'result'])
    .where('id', '=', requestId).forUpdate().executeTakeFirst()
  if (row && row.status !== 'pending') return row.result as CommandResult
  return undefined
}

/** Stores the command's result in the same transaction as its effects. */
export async function recordResult (trx: Trx | Db, requestId: string, result: CommandResult): Promise<void> {
  await trx.updateTable('requests')
    .set({ status: result.ok ? 'succeeded' : 'failed', result: JSON.stringify(result), completed_at: new Date() })
    .where('id', '=', requestId)
    .where('status', '=', 'pending')
    .execute()
}
