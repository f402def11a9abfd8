import type { Command } from '@seatline/contracts'
import { PROBLEM_CONTENT_TYPE } from '@seatline/contracts'
import type { CommandDispatcher } from '@seatline/queue'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RequestsRepository } from '../repositories/requests.ts'
import { commandReply } from './command-reply.ts'
import { ProblemError } from './problem-error.ts'

export interface SubmitDeps {
  dispatcher: CommandDispatcher
  requests: RequestsRepository
  waitMs: number
}

function wantsAsync (request: FastifyRequest): boolean {
  return /\brespond-async\b/i.test(String(request.headers.prefer ?? ''))
}

/**
 * The gateway's half of every command: record it, enqueue it on its group's partition, wait
 * (bounded) for the worker's answer and reply with it, or with 202 and a URL to poll.
 */
export async function submitCommand (deps: SubmitDeps, request: FastifyRequest, reply: FastifyReply, command: Command, groupKey: string) {
  await deps.requests.create(command)
  const waitMs = wantsAsync(request) ? 0 : deps.waitMs
  let outcome
  try {
    outcome = await deps.dispatcher.dispatch(command, groupKey, waitMs)
  } catch (error) {
    request.log.warn({ err: error, requestId: command.requestId }, 'could not enqueue command')
    await deps.requests.discard(command.requestId).catch(() => {})
    throw new ProblemError('UNAVAILABLE', 'the booking queue cannot be reached; nothing was changed, try again', {}, { 'retry-after': '2' })
  }

  let result = outcome.state === 'completed' ? outcome.result : undefined
  if (outcome.state === 'failed') {
    throw new ProblemError('UNAVAILABLE', 'the command could not be processed; nothing was changed, try again', { requestId: command.requestId }, { 'retry-after': '2' })
  }
  if (!result && waitMs > 0) {
    // The answer may have been recorded while its event went missing (a reconnect): ask the record.
    result = (await deps.requests.findOwned(command.userId, command.requestId))?.result ?? undefined
  }
  if (!result) {
    return reply.code(202).header('location', `/v1/requests/${command.requestId}`)
      .send({ requestId: command.requestId, status: 'pending' })
  }
  const answer = commandReply(result)
  reply.code(answer.status).headers(answer.headers)
  if (answer.problem) reply.type(PROBLEM_CONTENT_TYPE)
  return reply.send(answer.body)
}
