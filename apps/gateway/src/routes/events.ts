import { CreateEventBody, EventParams, isUuid, ListEventsQuery, ListSeatsQuery } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, toPage } from '../lib/cursor.ts'
import { ProblemError, validationFailed } from '../lib/problem-error.ts'

export const EVENT_BODY_LIMIT = 4 * 1024 * 1024

function eventNotFound (eventId: string): ProblemError {
  return new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
}

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services

  app.post('/v1/events', {
    bodyLimit: EVENT_BODY_LIMIT,
    onRequest: app.authenticate,
    schema: { body: CreateEventBody, tags: ['events'] },
  }, async (request, reply) => {
    const { seats, sections } = request.body
    if (!seats && !sections) throw validationFailed([{ path: 'body', message: 'needs seats, sections or both' }])
    if (seats && new Set(seats).size !== seats.length) {
      const seen = new Set<string>()
      const duplicates = [...new Set(seats.filter((s) => seen.has(s) || !seen.add(s)))]
      throw validationFailed([{ path: 'body/seats', message: `has duplicate seat ids: ${duplicates.slice(0, 10).join(', ')}` }])
    }
    const event = await events.create(request.userId, request.body)
    return reply.code(201).header('location', `/v1/events/${event.id}`).send(event)
  })

  app.get('/v1/events', { schema: { querystring: ListEventsQuery, tags: ['events'] } }, async (request) => {
    const after = decodeCursor(request.query.cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const rows = await events.list(request.query.limit, after)
    return toPage(rows, request.query.limit, (e) => e.id)
  })

  app.get('/v1/events/:eventId', { schema: { params: EventParams, tags: ['events'] } }, async (request) => {
    const { eventId } = request.params
    const event = isUuid(eventId) ? await events.detail(eventId) : undefined
    if (!event) throw eventNotFound(eventId)
    return event
  })

  app.get('/v1/events/:eventId/seats', { schema: { params: EventParams, querystring: ListSeatsQuery, tags: ['events'] } }, async (request) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const { status, limit, cursor } = request.query
    const rows = await events.seats(eventId, status, limit, decodeCursor(cursor))
    return toPage(rows, limit, (s) => s.seatId)
  })
}

export default eventRoutes
