import { isInfrastructureFault } from '@seatline/config'
import type { Command, CommandResult } from '@seatline/contracts'
import type { RequestRecords } from '@seatline/db'
import { type CommandDispatcher, commandGroupKey, type DispatchOutcome, neverSent, OverloadedError } from '@seatline/queue'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { commandReply } from './command-reply.ts'
import type { CommandsInFlight } from './commands-in-flight.ts'
import { idempotencyClaim } from './idempotency.ts'
import type { KnownUnavailable } from './known-unavailable.ts'
import { ProblemError } from './problem-error.ts'
import { recordWhenPossible } from './record-when-possible.ts'

export interface CommandSubmitterOptions {
  dispatcher: CommandDispatcher
  records: RequestRecords
  unavailable: KnownUnavailable
  inFlight: CommandsInFlight
  waitMs: number
}

function wantsAsync (request: FastifyRequest): boolean {
  return /\brespond-async\b/i.test(String(request.headers.prefer ?? ''))
}

function queueUnreachable (requestId?: string): ProblemError {
  return new ProblemError('UNAVAILABLE', 'the booking queue cannot be reached; nothing was changed, try again',
    requestId ? { requestId } : {}, { 'retry-after': '2' })
}

/**
 * The gateway's half of every command: take the request's place in line, record it (or find
 * the first request under its idempotency key), send it, wait (bounded) for the worker's answer
 * and reply with it, or with 202 and a URL to poll.
 */
export class CommandSubmitter {
  readonly #options: CommandSubmitterOptions

  constructor (options: CommandSubmitterOptions) {
    this.#options = options
  }

  /** Shutting down: see CommandDispatcher.drain. */
  drain (ms: number): void {
    this.#options.dispatcher.drain(ms)
  }

  /** Call as the request arrives: its place in line is taken before anything is awaited. */
  async submit (request: FastifyRequest, reply: FastifyReply, given: Command) {
    const { dispatcher, records, unavailable, inFlight } = this.#options
    const command: Command = { ...given, reqId: request.id }
    if (!inFlight.take(command.userId)) {
      throw new ProblemError('RATE_LIMITED', `you have ${inFlight.perUser} commands waiting for their answers already; nothing was changed, wait for one`, {}, { 'retry-after': '1' })
    }
    let ticket
    try {
      ticket = dispatcher.reserve(commandGroupKey(command))
    } catch (error) {
      inFlight.release(command.userId)
      if (!(error instanceof OverloadedError)) throw error
      throw new ProblemError('OVERLOADED', 'too many commands are waiting for these seats; nothing was changed, try again shortly', {}, { 'retry-after': '1' })
    }
    let sent = false
    try {
      const waitMs = wantsAsync(request) ? 0 : this.#options.waitMs
      const claim = idempotencyClaim(request)
      // Requests for what is known to be gone are answered without the queue: a plain one at
      // once; a keyed or async one once its record holds the refusal, to replay or poll.
      const known = unavailable.refusal(command)
      if (known && !claim && waitMs > 0) return sendResult(reply, known)
      const acceptance = await records.accept(command, claim, waitMs <= 0)
      if (acceptance.kind === 'key-reused') {
        throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request in the last 24 hours')
      }
      const duplicate = acceptance.kind === 'duplicate' ? acceptance.record : undefined
      if (duplicate?.result) return sendResult(reply, duplicate.result)
      if (known && !duplicate && await records.recordRefusal(command, known)) return waitMs > 0 ? sendResult(reply, known) : accepted(reply, command)

      const toRun = duplicate?.command ?? command
      let outcome: DispatchOutcome
      sent = true
      try {
        outcome = await ticket.send(toRun, { waitMs, alone: Boolean(claim) })
      } catch (error) {
        request.log.warn({ err: error, requestId: toRun.requestId }, 'could not enqueue command')
        if (neverSent(error)) {
          // A recorded command may have been sent again from its record meanwhile (Redis lost
          // its data): giving it up settles, under the record's row lock, which of the two counts.
          if (duplicate || !(claim || waitMs <= 0)) throw queueUnreachable()
          let ran: CommandResult | undefined
          try {
            ran = await records.recordGaveUp(toRun)
          } catch {
            // Still pending: it will run once re-sent, so "nothing was changed" would be untrue.
            dispatcher.sendWhenBack(toRun)
            return accepted(reply, toRun)
          }
          if (ran) return sendResult(reply, ran)
          throw queueUnreachable()
        }
        // The connection broke with the job on the wire: Redis may have queued it. Its record
        // says pending; the worker completes it if it is there, the sweeper re-sends it if not.
        try {
          await records.recordPending(toRun)
        } catch {
          throw new ProblemError('UNAVAILABLE', 'the command may or may not have been queued; retry it with an Idempotency-Key, or look at your bookings',
            {}, { 'retry-after': '2' })
        }
        dispatcher.sendWhenBack(toRun)
        return accepted(reply, toRun)
      }
      // The answer may have been recorded while its event went by unseen (a reconnect), or
      // before its batch's job failed for good: ask the record.
      let result: CommandResult | undefined
      try {
        result = outcome.state === 'completed' ? outcome.result : (waitMs > 0 ? (await records.findOwned(toRun.userId, toRun.requestId))?.result ?? undefined : undefined)
        // Answering before the worker has: make sure there is a record to poll.
        if (!result && waitMs > 0) await records.recordPending(toRun)
      } catch (error) {
        // The command is queued and will run once Postgres is back: "nothing was changed" would
        // be untrue. The answer is pending; a plain request's record is written once Postgres
        // takes it (keyed and async ones have theirs from the start).
        if (!isInfrastructureFault(error)) throw error
        request.log.warn({ err: error, requestId: toRun.requestId }, 'queued command, its record unreadable for now')
        if (!claim && waitMs > 0) recordWhenPossible(records, toRun, request.log)
        return accepted(reply, toRun)
      }
      if (outcome.state === 'failed' && (!result || (!result.ok && result.code === 'UNAVAILABLE'))) throw queueUnreachable(toRun.requestId)
      if (!result) return accepted(reply, toRun)
      unavailable.observe(toRun, result)
      return sendResult(reply, result)
    } finally {
      if (!sent) ticket.cancel()
      inFlight.release(command.userId)
    }
  }
}

function accepted (reply: FastifyReply, command: Command) {
  return reply.code(202).header('location', `/v1/requests/${command.requestId}`).send({ requestId: command.requestId, status: 'pending' })
}

function sendResult (reply: FastifyReply, result: CommandResult) {
  const answer = commandReply(result)
  if (answer.problem) return reply.problem(answer.problem, answer.headers)
  return reply.code(answer.status).headers(answer.headers).send(answer.body)
}
