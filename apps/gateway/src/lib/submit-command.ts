import { type Command, type CommandResult, PROBLEM_CONTENT_TYPE } from '@seatline/contracts'
import type { ArrivalOrder, CommandDispatcher, DispatchOutcome, Turn } from '@seatline/queue'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RequestsRepository } from '../repositories/requests.ts'
import { commandReply } from './command-reply.ts'
import { idempotencyClaim } from './idempotency.ts'
import type { KnownUnavailable } from './known-unavailable.ts'
import { ProblemError } from './problem-error.ts'

export interface SubmitDeps {
  dispatcher: CommandDispatcher
  arrivals: ArrivalOrder
  unavailable: KnownUnavailable
  requests: RequestsRepository
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
 * The gateway's half of every command: record it (or find the first request under its
 * idempotency key), enqueue it on its group's partition, wait (bounded) for the worker's answer
 * and reply with it, or with 202 and a URL to poll.
 */
export async function submitCommand (deps: SubmitDeps, request: FastifyRequest, reply: FastifyReply, command: Command, groupKey: string) {
  const turn = deps.arrivals.take(groupKey)
  try {
    return await recordAndDispatch(deps, request, reply, command, groupKey, turn)
  } finally {
    turn.done()
  }
}

async function recordAndDispatch (deps: SubmitDeps, request: FastifyRequest, reply: FastifyReply, command: Command, groupKey: string, turn: Turn) {
  const waitMs = wantsAsync(request) ? 0 : deps.waitMs
  const claim = idempotencyClaim(request)
  // Plain requests for what is known to be gone are answered at once; keyed or async ones
  // promise a record to replay or poll, so they take the whole path.
  const known = !claim && waitMs > 0 ? deps.unavailable.refusal(command) : undefined
  if (known) return sendResult(reply, known)
  const acceptance = await deps.requests.accept(command, claim, waitMs <= 0)
  if (acceptance.kind === 'key-reused') {
    throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request in the last 24 hours')
  }
  const duplicate = acceptance.kind === 'duplicate' ? acceptance.record : undefined
  if (duplicate?.result) return sendResult(reply, duplicate.result)

  const toRun = duplicate?.command ?? command
  const lookUp = async () => (await deps.requests.findOwned(toRun.userId, toRun.requestId))?.result ?? undefined
  let outcome: DispatchOutcome
  try {
    outcome = await deps.dispatcher.dispatch(toRun, { groupKey, waitMs, turn, recorded: duplicate ? lookUp : undefined, alone: Boolean(claim) })
  } catch (error) {
    request.log.warn({ err: error, requestId: toRun.requestId }, 'could not enqueue command')
    if (!duplicate) await deps.requests.discard(toRun.requestId).catch(() => {})
    throw queueUnreachable()
  }
  // The answer may have been recorded while its event went by unseen (a reconnect), or before
  // its batch's job failed for good: ask the record.
  const result: CommandResult | undefined = outcome.state === 'completed' ? outcome.result : (waitMs > 0 ? await lookUp() : undefined)
  if (outcome.state === 'failed' && (!result || (!result.ok && result.code === 'UNAVAILABLE'))) throw queueUnreachable(toRun.requestId)
  if (result) deps.unavailable.observe(toRun, result)
  if (!result) {
    // Answering before the worker has: make sure there is a record to poll.
    if (waitMs > 0) await deps.requests.recordPending(toRun)
    return reply.code(202).header('location', `/v1/requests/${toRun.requestId}`)
      .send({ requestId: toRun.requestId, status: 'pending' })
  }
  return sendResult(reply, result)
}

function sendResult (reply: FastifyReply, result: CommandResult) {
  const answer = commandReply(result)
  reply.code(answer.status).headers(answer.headers)
  if (answer.problem) reply.type(PROBLEM_CONTENT_TYPE)
  return reply.send(answer.body)
}
