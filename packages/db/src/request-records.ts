import type { Command, CommandResult } from '@seatline/contracts'
import { sql, type Transaction } from 'kysely'
import type { Db } from './connect.ts'
import type { Database } from './schema.ts'

type Executor = Db | Transaction<Database>

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

/** A second run of a command found its result recorded already: its own effects must roll back. */
export class RecordedTwiceError extends Error {
  override name = 'RecordedTwiceError'
}

const GAVE_UP: CommandResult = { ok: false, code: 'UNAVAILABLE', detail: 'the command could not be processed; nothing was changed, try again' }

export interface RequestRecordsOptions {
  /** How long an idempotency key is honoured (RETENTION_SECONDS); an older one is a new request. */
  retentionSeconds?: number
}

/**
 * The durable record of accepted commands, and its one owner. The gateway writes a pending row
 * only when it must answer before the result exists (a 202, an idempotency key); the run then
 * completes it, in the transaction of its effects. A command that makes something (a booking, a
 * hold) makes it under its request id, so a plain request needs no row: an earlier run is found
 * by what it made (migration T08). The rules live in SQL (`seatline_prior_result`,
 * `seatline_finish_command`), shared with the booking function.
 */
export class RequestRecords {
  readonly #db: Db
  readonly #retentionSeconds: number

  constructor (db: Db, { retentionSeconds = 86_400 }: RequestRecordsOptions = {}) {
    this.#db = db
    this.#retentionSeconds = retentionSeconds
  }

  /**
   * Accepts a new command, or, when its idempotency key was used within the retention, finds
   * the first request under that key instead. Concurrent duplicates queue on the key's row, so
   * exactly one of them is new. An older key is let go here, whether or not the workers'
   * retention has deleted it yet, so that expiry does not wait for their next tick.
   */
  async accept (command: Command, claim: IdempotencyClaim | undefined, recordNow: boolean): Promise<Acceptance> {
    if (!claim) {
      if (recordNow) await this.recordPending(command)
      return { kind: 'new' }
    }
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('idempotency_keys')
        .where('user_id', '=', command.userId).where('key', '=', claim.key)
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${this.#retentionSeconds})`)
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
      await this.recordPending(command, trx)
      return { kind: 'new' as const }
    })
  }

  /**
   * Records a command as pending, unless it is recorded already; a command that already ran
   * without a record (a plain request's booking) is recorded with what it made, at once.
   */
  async recordPending (command: Command, executor: Executor = this.#db): Promise<void> {
    await sql`select seatline_record_pending(${JSON.stringify(command)}::jsonb)`.execute(executor)
  }

  /** Only the owner's: another user's request is indistinguishable from a missing one. */
  async findOwned (userId: string, requestId: string): Promise<RequestRecord | undefined> {
    const row = await this.#db.selectFrom('requests').select(['id', 'status', 'command', 'result'])
      .where('id', '=', requestId).where('user_id', '=', userId).executeTakeFirst()
    return row ? toRecord(row) : undefined
  }

  /**
   * Commands still pending after `olderThanMs`, oldest first: their job may have been lost
   * (Redis lost its data, a gateway died before sending it), so they are sent again.
   */
  async pendingOlderThan (olderThanMs: number, limit: number): Promise<Command[]> {
    const rows = await this.#db.selectFrom('requests').select('command')
      .where('status', '=', 'pending')
      .where('created_at', '<=', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
      .orderBy('created_at').limit(limit).execute()
    return rows.map((r) => r.command as Command)
  }

  /**
   * The result of a command that already ran (a retried job, a stalled one run again): its
   * record, or what it made; else undefined. Locks the request's row, so two runs of one command
   * take turns; a command that makes something locks what it changes first, so that a run that
   * waited for another sees its work.
   */
  async prior (trx: Transaction<Database>, command: Command): Promise<CommandResult | undefined> {
    const { rows } = await sql<{ result: CommandResult | null }>`select seatline_prior_result(${JSON.stringify(command)}::jsonb) as result`.execute(trx)
    return rows[0]?.result ?? undefined
  }

  /** Finishes a command with its effects: its record completed or written, if it has one to have. */
  async record (trx: Transaction<Database>, command: Command, result: CommandResult): Promise<void> {
    const { rows } = await sql<{ done: boolean }>`select seatline_finish_command(${JSON.stringify(command)}::jsonb, ${JSON.stringify(result)}::jsonb) as done`.execute(trx)
    if (!rows[0]!.done) throw new RecordedTwiceError(`request ${command.requestId} was recorded by another run`)
  }

  /**
   * Out of retries on an infrastructure fault, or never enqueued: nothing was committed. The
   * poller learns so, and the idempotency key is let go, so that the client's retry with it runs
   * the command afresh; a run of it still queued somewhere replays this and changes nothing.
   * A command whose result is recorded already (it ran before its batch's job failed, or was
   * re-sent from its pending record and ran) keeps it: that result is returned, to be told.
   */
  async recordGaveUp (command: Command): Promise<CommandResult | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      // A run that made something, without a record (a plain request): that is its answer.
      const ran = await this.prior(trx, command)
      if (ran) {
        await this.#write(trx, command, ran)
        return ran
      }
      if (await this.#write(trx, command, GAVE_UP)) {
        await trx.deleteFrom('idempotency_keys').where('request_id', '=', command.requestId).execute()
        return undefined
      }
      return await this.prior(trx, command)
    })
  }

  /**
   * A refusal the gateway gives on its own (what it knows is gone), written as a new command's
   * result so that a retry under its key replays it and a poll reads it; false if the record
   * had a result already.
   */
  async recordRefusal (command: Command, refusal: CommandResult): Promise<boolean> {
    return this.#write(this.#db, command, refusal)
  }

  async #write (executor: Executor, command: Command, result: CommandResult): Promise<boolean> {
    const { rows } = await sql<{ written: boolean }>`
      select seatline_record_result(${JSON.stringify(command)}::jsonb, ${JSON.stringify(result)}::jsonb) as written`.execute(executor)
    return rows[0]!.written
  }
}

function toRecord (row: { id: string, status: RequestRecord['status'], command: unknown, result: unknown }): RequestRecord {
  return { id: row.id, status: row.status, command: row.command as Command, result: row.result as CommandResult | null }
}
