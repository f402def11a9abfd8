import type { Command, CommandResult } from '@seatline/contracts'
import type { Db } from '@seatline/db'

export interface RequestRecord {
  id: string
  status: 'pending' | 'succeeded' | 'failed'
  result: CommandResult | null
}

/** The durable record of every accepted command, written before its job is enqueued. */
export class RequestsRepository {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  async create (command: Command): Promise<void> {
    await this.#db.insertInto('requests')
      .values({ id: command.requestId, user_id: command.userId, command: JSON.stringify(command) })
      .execute()
  }

  /** Undoes `create` when the job could not be enqueued: the command was never accepted. */
  async discard (requestId: string): Promise<void> {
    await this.#db.deleteFrom('requests').where('id', '=', requestId).where('status', '=', 'pending').execute()
  }

  async findOwned (userId: string, requestId: string): Promise<RequestRecord | undefined> {
    const row = await this.#db.selectFrom('requests').select(['id', 'status', 'result'])
      .where('id', '=', requestId).where('user_id', '=', userId).executeTakeFirst()
    return row ? { id: row.id, status: row.status, result: row.result as CommandResult | null } : undefined
  }
}
