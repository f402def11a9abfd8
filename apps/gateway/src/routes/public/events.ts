import { EventDetail, EventPage, EventParams, isUuid, ListEventsQuery, ListSeatsQuery, SEAT_ID_PATTERN, SeatPage } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, toPage } from '../../lib/cursor.ts'
import { ProblemError, validationFailed } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'
import { sendSerialized, serializeOnce } from '../../lib/serialized-reply.ts'
import { SharedReads } from '../../lib/shared-reads.ts'

const SEAT_ID = new RegExp(SEAT_ID_PATTERN)

export function eventNotFound (eventId: string): ProblemError {
  return new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
}

/** What anyone may read about events and their seats. */
const eventReads: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services
  // Every live map reads the event and its seat list as it opens: thousands at once in a sale.
  // They share reads and the bytes of each answer (see SharedReads for why none is stale).
  const details = new SharedReads<Buffer | undefined>()
  const seatPages = new SharedReads<Buffer>()

  app.get('/v1/events', {
    schema: {
      querystring: ListEventsQuery,
      response: replies({ 200: EventPage }),
      tags: ['events'],
      summary: 'List events',
      description: 'Newest first. With `organiser=me`, only the caller\'s own events, which needs a token. ' +
        'Problems: 400 VALIDATION_FAILED (a bad limit or cursor), 401 UNAUTHENTICATED (organiser=me without a valid token).',
      security: [{}, { bearerAuth: [] }],
    },
  }, async (request) => {
    // The one public route that may need a token: only to say whose events "me" are.
    if (request.query.organiser === 'me') await app.authenticate(request)
    const after = decodeCursor(request.query.cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const rows = await events.list(request.query.limit, after, request.query.organiser === 'me' ? request.userId : undefined)
    return toPage(rows, request.query.limit, (e) => e.id)
  })

  app.get('/v1/events/:eventId', { schema: { params: EventParams, response: replies({ 200: EventDetail }), tags: ['events'], summary: 'Read an event', description: 'Problems: 404 EVENT_NOT_FOUND.' } }, async (request, reply) => {
    const { eventId } = request.params
    const event = isUuid(eventId)
      ? await details.read(eventId, async () => {
        const detail = await events.detail(eventId)
        return detail && serializeOnce(reply, detail)
      })
      : undefined
    if (!event) throw eventNotFound(eventId)
    return sendSerialized(reply, event)
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
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const { status, limit, cursor } = request.query
    const after = decodeCursor(cursor)
    if (after !== undefined && !SEAT_ID.test(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const page = await seatPages.read(`${eventId} ${status ?? ''} ${limit} ${after ?? ''}`, async () => {
      const rows = await events.seats(eventId, status, limit, after)
      return serializeOnce(reply, toPage(rows, limit, (s) => s.seatId))
    })
    return sendSerialized(reply, page)
  })
}

export default eventReads
