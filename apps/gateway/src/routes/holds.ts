import { DEFAULT_HOLD_TTL_SECONDS, EventParams, HoldParams, HoldSeatsBody, isUuid } from '@seatline/contracts'
import { seatGroupKey } from '@seatline/queue'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { ProblemError } from '../lib/problem-error.ts'
import { submitCommand } from '../lib/submit-command.ts'

function holdNotFound (holdId: string): ProblemError {
  return new ProblemError('HOLD_NOT_FOUND', `hold ${holdId} does not exist`)
}

const holdRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, holds, commands } = app.services

  app.post('/v1/events/:eventId/holds', {
    onRequest: app.authenticate,
    schema: { params: EventParams, body: HoldSeatsBody, tags: ['commands'] },
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
    const { seatIds, ttlSeconds = DEFAULT_HOLD_TTL_SECONDS } = request.body
    const command = { type: 'hold-seats' as const, requestId: randomUUID(), userId: request.userId, eventId, seatIds, ttlSeconds }
    return submitCommand(commands, request, reply, command, seatGroupKey(eventId, seatIds))
  })

  app.get('/v1/holds/:holdId', { onRequest: app.authenticate, schema: { params: HoldParams, tags: ['holds'] } }, async (request) => {
    const { holdId } = request.params
    const hold = isUuid(holdId) ? await holds.findOwned(request.userId, holdId) : undefined
    if (!hold) throw holdNotFound(holdId)
    return hold
  })

  // Ownership never changes, so it is checked here, before anything is queued; the worker
  // checks it again with the state it locks.
  async function ownHold (holdId: string, userId: string) {
    const hold = isUuid(holdId) ? await holds.findRef(holdId) : undefined
    if (!hold) throw holdNotFound(holdId)
    if (hold.userId !== userId) throw new ProblemError('NOT_HOLD_OWNER', `hold ${holdId} belongs to another buyer`)
    return hold
  }

  app.post('/v1/holds/:holdId/confirm', { onRequest: app.authenticate, schema: { params: HoldParams, tags: ['commands'] } }, async (request, reply) => {
    const { holdId } = request.params
    const hold = await ownHold(holdId, request.userId)
    const command = { type: 'confirm-hold' as const, requestId: randomUUID(), userId: request.userId, eventId: hold.eventId, holdId, seatIds: hold.seatIds }
    return submitCommand(commands, request, reply, command, seatGroupKey(hold.eventId, hold.seatIds))
  })

  app.delete('/v1/holds/:holdId', { onRequest: app.authenticate, schema: { params: HoldParams, tags: ['commands'] } }, async (request, reply) => {
    const { holdId } = request.params
    const hold = await ownHold(holdId, request.userId)
    const command = { type: 'release-hold' as const, requestId: randomUUID(), userId: request.userId, eventId: hold.eventId, holdId, seatIds: hold.seatIds }
    return submitCommand(commands, request, reply, command, seatGroupKey(hold.eventId, hold.seatIds))
  })
}

export default holdRoutes
