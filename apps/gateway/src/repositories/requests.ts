import type { Command, CommandResult } from '@seatline/contracts'
import type { Database, Db } from '@seatline/db'
import { sql, type Transaction } from 'kysely'

export interface RequestRecord {
  id: string
  status: 'pending' | 'succeeded' | 'failed'
  command: Command
  result: CommandResult | null
}

export interface IdempotencyClaim {
  key: string
  /** Hash of method, path and body: the same key with another request is refused. */
  fingerprint: string
}

export type Acceptance =
  | { kind: 'new' }
  | { kind: 'duplicate', record: RequestRecord }
  | { kind: 'key-reused' }

/** The durable record of every accepted command, written before its job is enqueued. */
export class RequestsRepository {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  /**
   * Accepts a new command, or, when its idempotency key was used in the last 24 hours, finds
   * the first request under that key instead. Concurrent duplicates queue on the key's row, so
   * exactly one of them is new. A command is written down here when it carries a key or will be
   * answered with 202 (`recordNow`); otherwise the worker writes its record with its result,
   * which spares the booking path a round trip.
   */
  async accept (command: Command, claim: IdempotencyClaim | undefined, recordNow: boolean): Promise<Acceptance> {
    if (!claim) {
      if (recordNow) await this.#insert(this.#db, command)
      return { kind: 'new' }
    }
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('idempotency_keys')
        .where('user_id', '=', command.userId).where('key', '=', claim.key)
        .where('created_at', '<', sql<Date>`now() - interval '24 hours'`)
        .execute()
      const claimed = await trx.insertInto('idempotency_keys')
        .values({ user_id: command.userId, key: claim.key, fingerprint: claim.fingerprint, request_id: command.requestId })
        .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
        .returning('request_id').executeTakeFirst()
      if (!claimed) {
        const first = await trx.selectFrom('idempotency_keys as k').innerJoin('requests as r', 'r.id', 'k.request_id')
          .select(['k.fingerprint', 'r.id', 'r.status', 'r.command', 'r.result'])
          .where('k.user_id', '=', command.userId).where('k.key', '=', claim.key).executeTakeFirstOrThrow()
        if (first.fingerprint !== claim.fingerprint) return { kind: 'key-reused' as const }
        return { kind: 'duplicate' as const, record: toRecord(first) }
      }
      await this.#insert(trx, command)
      return { kind: 'new' as const }
    })
  }

  /** Records a command as pending, unless the worker has recorded it already. */
  async recordPending (command: Command): Promise<void> {
    await this.#insert(this.#db, command)
  }

  async #insert (executor: Db | Transaction<Database>, command: Command): Promise<void> {
    await executor.insertInto('requests')
      .values({ id: command.requestId, user_id: command.userId, command: JSON.stringify(command) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }

  /** Undoes `accept` when the job could not be enqueued: the command was never accepted. */
  async discard (requestId: string): Promise<void> {
    await this.#db.deleteFrom('requests').where('id', '=', requestId).where('status', '=', 'pending').execute()
  }

  async findOwned (userId: string, requestId: string): Promise<RequestRecord | undefined> {
    const row = await this.#db.selectFrom('requests').select(['id', 'status', 'command', 'result'])
      .where('id', '=', requestId).where('user_id', '=', userId).executeTakeFirst()
    return row ? toRecord(row) : undefined
  }
}

function toRecord (row: { id: string, status: RequestRecord['status'], command: unknown, result: unknown }): RequestRecord {
  return { id: row.id, status: row.status, command: row.command as Command, result: row.result as CommandResult | null }
}
