import type { Command } from '@seatline/contracts'
import type { RequestRecords } from '@seatline/db'
import type { FastifyBaseLogger } from 'fastify'

const RETRY_EVERY_MS = 500
/** Longer than any outage the worker rides out: its jobs would have given up by then. */
const GIVE_UP_AFTER_MS = 10 * 60_000

/**
 * A 202 promises a record to poll, and a plain request has none until its answer is late. When
 * Postgres cannot take the record as the 202 is sent, it is written as soon as Postgres is back;
 * a run that finished meanwhile is found by what it made, a refusal by the sweeper's re-send.
 */
export function recordWhenPossible (records: RequestRecords, command: Command, log: FastifyBaseLogger): void {
  const startedAt = Date.now()
  const attempt = () => {
    records.recordPending(command).then(
      () => log.info({ requestId: command.requestId, afterMs: Date.now() - startedAt }, 'late record of an accepted command written'),
      (error: unknown) => {
        if (Date.now() - startedAt < GIVE_UP_AFTER_MS) {
          setTimeout(attempt, RETRY_EVERY_MS).unref()
          return
        }
        log.error({ err: error, requestId: command.requestId }, 'the record of an accepted command could not be written: its poll URL answers 404')
      })
  }
  attempt()
}
