import { BookingParams, BookSeatsBody, EventParams, isUuid, ListBookingsQuery } from '@seatline/contracts'
import { seatGroupKey } from '@seatline/queue'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { decodeCursor, toPage } from '../lib/cursor.ts'
import { ProblemError, validationFailed } from '../lib/problem-error.ts'
import { submitCommand } from '../lib/submit-command.ts'

const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, bookings } = app.services

  app.post('/v1/events/:eventId/bookings', {
    onRequest: app.authenticate,
    schema: { params: EventParams, body: BookSeatsBody, tags: ['commands'] },
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) {
      throw new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
    }
    const { seatIds } = request.body
    const command = { type: 'book-seats' as const, requestId: randomUUID(), userId: request.userId, eventId, seatIds }
    return submitCommand(app.services.commands, request, reply, command, seatGroupKey(eventId, seatIds))
  })

  app.get('/v1/bookings', { onRequest: app.authenticate, schema: { querystring: ListBookingsQuery, tags: ['bookings'] } }, async (request) => {
    const { eventId, status, limit, cursor } = request.query
    const after = decodeCursor(cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const filter: { eventId?: string, status?: 'confirmed' | 'cancelled' } = {}
    if (eventId) filter.eventId = eventId
    if (status) filter.status = status
    const rows = await bookings.list(request.userId, filter, limit, after)
    return toPage(rows, limit, (b) => b.bookingId)
  })

  app.get('/v1/bookings/:bookingId', { onRequest: app.authenticate, schema: { params: BookingParams, tags: ['bookings'] } }, async (request) => {
    const { bookingId } = request.params
    const booking = isUuid(bookingId) ? await bookings.findOwned(request.userId, bookingId) : undefined
    if (!booking) throw new ProblemError('BOOKING_NOT_FOUND', `booking ${bookingId} does not exist`)
    return booking
  })
}

export default bookingRoutes
