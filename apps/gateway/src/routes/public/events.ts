import { EventDetail, EventPage, EventParams, isUuid, ListEventsQuery, ListSeatsQuery, SEAT_ID_PATTERN, SeatPage } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, toPage } from '../../lib/cursor.ts'
import { ProblemError, validationFailed } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

export function eventNotFound (eventId: string): ProblemError {
  return new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
}

/** What anyone may read about events and their seats. */
const eventReads: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services

  app.get('/v1/events', { schema: { querystring: ListEventsQuery, response: replies({ 200: EventPage }), tags: ['events'], summary: 'List events', description: 'Problems: 400 VALIDATION_FAILED (a bad limit or cursor).' } }, async (request) => {
    const after = decodeCursor(request.query.cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const rows = await events.list(request.query.limit, after)
    return toPage(rows, request.query.limit, (e) => e.id)
  })

  app.get('/v1/events/:eventId', { schema: { params: EventParams, response: replies({ 200: EventDetail }), tags: ['events'], summary: 'Read an event', description: 'Problems: 404 EVENT_NOT_FOUND.' } }, async (request) => {
    const { eventId } = request.params
    const event = isUuid(eventId) ? await events.detail(eventId) : undefined
    if (!event) throw eventNotFound(eventId)
    return event
  })

  app.get('/v1/events/:eventId/seats', {
    schema: {
      params: EventParams,
      querystring: ListSeatsQuery,
      response: replies({ 200: SeatPage }),
      tags: ['events'],
      summary: 'List an event\'s seats',
      description: 'Problems: 400 VALIDATION_FAILED, 404 EVENT_NOT_FOUND.',
    },
  }, async (request) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const { status, limit, cursor } = request.query
    const after = decodeCursor(cursor)
    if (after !== undefined && !new RegExp(SEAT_ID_PATTERN).test(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const rows = await events.seats(eventId, status, limit, after)
    return toPage(rows, limit, (s) => s.seatId)
  })
}

export default eventReads
