import type { Command, CommandResult } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import type { Transaction } from 'kysely'

type Executor = Transaction<Database> | Db

/**
 * Locks the command's request row for this transaction. If the command already ran (a retry
 * after a crash, a stalled job run twice) its stored result is returned and nothing changes:
 * this is what makes every command idempotent by its request id.
 */
export async function priorResult (trx: Transaction<Database>, requestId: string): Promise<CommandResult | undefined> {
  const row = await trx.selectFrom('requests').select(['status', 'result'])
    .where('id', '=', requestId).forUpdate().executeTakeFirst()
  if (row && row.status !== 'pending') return row.result as CommandResult
  return undefined
}

/**
 * Stores the command's result in the same transaction as its effects. The gateway writes the
 * row first only when it has to answer before the result exists (202, idempotency keys), so
 * this may be the record's first write; a result already there is never replaced.
 */
export async function recordResult (executor: Executor, command: Command, result: CommandResult): Promise<boolean> {
  const status = result.ok ? 'succeeded' : 'failed'
  const written = await executor.insertInto('requests')
    .values({ id: command.requestId, user_id: command.userId, command: JSON.stringify(command), status, result: JSON.stringify(result), completed_at: new Date() })
    .onConflict((oc) => oc.column('id')
      .doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), result: eb.ref('excluded.result'), completed_at: eb.ref('excluded.completed_at') }))
      .where('requests.status', '=', 'pending'))
    .returning('id')
    .execute()
  return written.length > 0
}

/**
 * Out of retries on an infrastructure fault: nothing was committed. The poller learns so, and
 * the idempotency key is let go, so that the client's retry with it runs the command afresh.
 * A command whose result is recorded already (it ran before its batch's job failed) keeps it.
 */
export async function recordGaveUp (db: Db, command: Command): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const gaveUp = await recordResult(trx, command, { ok: false, code: 'UNAVAILABLE', detail: 'the command could not be processed; nothing was changed, try again' })
    if (gaveUp) await trx.deleteFrom('idempotency_keys').where('request_id', '=', command.requestId).execute()
  })
}
