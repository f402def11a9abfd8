import { BookingBody, BookingParams, type Command, EventParams, isUuid, ListBookingsQuery } from '@seatline/contracts'
import { seatGroupKey, sectionGroupKey } from '@seatline/queue'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { decodeCursor, toPage } from '../lib/cursor.ts'
import { ProblemError, validationFailed } from '../lib/problem-error.ts'
import { submitCommand } from '../lib/submit-command.ts'

const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, bookings } = app.services

  app.post('/v1/events/:eventId/bookings', {
    onRequest: app.authenticate,
    schema: { params: EventParams, body: BookingBody, tags: ['commands'] },
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) {
      throw new ProblemError('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
    }
    const base = { requestId: randomUUID(), userId: request.userId, eventId }
    const body = request.body
    // A general-admission section is one group, so its bookings run in arrival order.
    const [command, groupKey]: [Command, string] = 'sectionId' in body
      ? [{ ...base, type: 'book-section', sectionId: body.sectionId, quantity: body.quantity }, sectionGroupKey(eventId, body.sectionId)]
      : [{ ...base, type: 'book-seats', seatIds: body.seatIds }, seatGroupKey(eventId, body.seatIds)]
    return submitCommand(app.services.commands, request, reply, command, groupKey)
  })

  app.delete('/v1/bookings/:bookingId', { onRequest: app.authenticate, schema: { params: BookingParams, tags: ['commands'] } }, async (request, reply) => {
    const { bookingId } = request.params
    const booking = isUuid(bookingId) ? await bookings.findRef(bookingId) : undefined
    if (!booking) throw new ProblemError('BOOKING_NOT_FOUND', `booking ${bookingId} does not exist`)
    if (booking.userId !== request.userId) throw new ProblemError('NOT_BOOKING_OWNER', `booking ${bookingId} belongs to another buyer`)
    const { eventId, sectionId, seatIds } = booking
    const command: Command = { type: 'cancel-booking', requestId: randomUUID(), userId: request.userId, eventId, bookingId, sectionId, seatIds }
    const groupKey = sectionId ? sectionGroupKey(eventId, sectionId) : seatGroupKey(eventId, seatIds)
    return submitCommand(app.services.commands, request, reply, command, groupKey)
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
