import { Booking, DEFAULT_HOLD_TTL_SECONDS, EventParams, Hold, HoldParams, HoldSeatsBody, HoldView, isUuid } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { admissionFor } from '../../lib/admission.ts'
import { ProblemError } from '../../lib/problem-error.ts'
import { commandReplies, replies } from '../../lib/reply-schemas.ts'
import { eventNotFound } from '../public/events.ts'

function holdNotFound (holdId: string): ProblemError {
  return new ProblemError('HOLD_NOT_FOUND', `hold ${holdId} does not exist`)
}

const holdRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, holds, commands, room } = app.services

  app.post('/v1/events/:eventId/holds', {
    schema: {
      params: EventParams,
      body: HoldSeatsBody,
      response: commandReplies({ 201: Hold }),
      tags: ['commands'],
      summary: 'Hold seats for a while',
      description: 'Problems: 403 NOT_ADMITTED (a waiting room\'s event, without a current admission); 404 EVENT_NOT_FOUND, SEAT_NOT_FOUND; ' +
        '409 SEATS_UNAVAILABLE, SALE_NOT_OPEN, SALE_CLOSED, SALE_PAUSED, BUYER_LIMIT_REACHED.',
    },
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const { seatIds, ttlSeconds = DEFAULT_HOLD_TTL_SECONDS } = request.body
    const admittedUntil = await admissionFor(events, room, eventId, request.userId)
    const command = { type: 'hold-seats' as const, requestId: randomUUID(), userId: request.userId, eventId, seatIds, ttlSeconds, ...(admittedUntil ? { admittedUntil } : {}) }
    return commands.submit(request, reply, command)
  })

  app.get('/v1/holds/:holdId', { schema: { params: HoldParams, response: replies({ 200: HoldView }), tags: ['holds'], summary: 'Read one of my holds', description: 'Problems: 404 HOLD_NOT_FOUND.' } }, async (request) => {
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

  app.post('/v1/holds/:holdId/confirm', {
    schema: {
      params: HoldParams,
      response: commandReplies({ 201: Booking }),
      tags: ['commands'],
      summary: 'Confirm a hold into a booking',
      description: 'Problems: 403 NOT_HOLD_OWNER, 404 HOLD_NOT_FOUND, 409 HOLD_NOT_ACTIVE, 410 HOLD_EXPIRED.',
    },
  }, async (request, reply) => {
    const { holdId } = request.params
    const hold = await ownHold(holdId, request.userId)
    const command = { type: 'confirm-hold' as const, requestId: randomUUID(), userId: request.userId, eventId: hold.eventId, holdId, seatIds: hold.seatIds }
    return commands.submit(request, reply, command)
  })

  app.delete('/v1/holds/:holdId', {
    schema: {
      params: HoldParams,
      response: commandReplies({ 204: Type.Null({ description: 'Released; no body' }) }),
      tags: ['commands'],
      summary: 'Release a hold',
      description: 'Answers 204 No Content once released. Problems: 403 NOT_HOLD_OWNER, 404 HOLD_NOT_FOUND, 409 HOLD_NOT_ACTIVE.',
    },
  }, async (request, reply) => {
    const { holdId } = request.params
    const hold = await ownHold(holdId, request.userId)
    const command = { type: 'release-hold' as const, requestId: randomUUID(), userId: request.userId, eventId: hold.eventId, holdId, seatIds: hold.seatIds }
    return commands.submit(request, reply, command)
  })
}

export default holdRoutes
