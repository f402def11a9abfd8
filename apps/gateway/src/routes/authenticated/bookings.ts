import { Booking, BookingBody, BookingPage, BookingParams, type Command, EventParams, isUuid, ListBookingsQuery } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { decodeCursor, toPage } from '../../lib/cursor.ts'
import { admissionFor } from '../../lib/admission.ts'
import { ProblemError, validationFailed } from '../../lib/problem-error.ts'
import { commandReplies, replies } from '../../lib/reply-schemas.ts'
import { eventNotFound } from '../public/events.ts'

function bookingNotFound (bookingId: string): ProblemError {
  return new ProblemError('BOOKING_NOT_FOUND', `booking ${bookingId} does not exist`)
}

const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, bookings, commands, room } = app.services

  app.post('/v1/events/:eventId/bookings', {
    schema: {
      params: EventParams,
      body: BookingBody,
      response: commandReplies({ 201: Booking }),
      tags: ['commands'],
      summary: 'Book seats or a general-admission quantity',
      description: 'Problems: 403 NOT_ADMITTED (a waiting room\'s event, without a current admission); 404 EVENT_NOT_FOUND, SEAT_NOT_FOUND, ' +
        'SECTION_NOT_FOUND; 409 SEATS_UNAVAILABLE, SOLD_OUT, SALE_NOT_OPEN, SALE_CLOSED, SALE_PAUSED, BUYER_LIMIT_REACHED.',
    },
  }, async (request, reply) => {
    const { eventId } = request.params
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const admittedUntil = await admissionFor(events, room, eventId, request.userId)
    const base = { requestId: randomUUID(), userId: request.userId, eventId, ...(admittedUntil ? { admittedUntil } : {}) }
    const body = request.body
    const command: Command = 'sectionId' in body
      ? { ...base, type: 'book-section', sectionId: body.sectionId, quantity: body.quantity }
      : { ...base, type: 'book-seats', seatIds: body.seatIds }
    return commands.submit(request, reply, command)
  })

  app.delete('/v1/bookings/:bookingId', {
    schema: {
      params: BookingParams,
      response: commandReplies({ 200: Booking }),
      tags: ['commands'],
      summary: 'Cancel a booking',
      description: 'Problems: 403 NOT_BOOKING_OWNER, 404 BOOKING_NOT_FOUND, 409 ALREADY_CANCELLED.',
    },
  }, async (request, reply) => {
    const { bookingId } = request.params
    const booking = isUuid(bookingId) ? await bookings.findRef(bookingId) : undefined
    if (!booking) throw bookingNotFound(bookingId)
    if (booking.userId !== request.userId) throw new ProblemError('NOT_BOOKING_OWNER', `booking ${bookingId} belongs to another buyer`)
    const { eventId, sectionId, seatIds } = booking
    const command: Command = { type: 'cancel-booking', requestId: randomUUID(), userId: request.userId, eventId, bookingId, sectionId, seatIds }
    return commands.submit(request, reply, command)
  })

  app.get('/v1/bookings', { schema: { querystring: ListBookingsQuery, response: replies({ 200: BookingPage }), tags: ['bookings'], summary: 'List my bookings', description: 'Problems: 400 VALIDATION_FAILED.' } }, async (request) => {
    const { eventId, status, limit, cursor } = request.query
    const after = decodeCursor(cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const filter: { eventId?: string, status?: 'confirmed' | 'cancelled' } = {}
    if (eventId) filter.eventId = eventId
    if (status) filter.status = status
    const rows = await bookings.list(request.userId, filter, limit, after)
    return toPage(rows, limit, (b) => b.bookingId)
  })

  app.get('/v1/bookings/:bookingId', { schema: { params: BookingParams, response: replies({ 200: Booking }), tags: ['bookings'], summary: 'Read one of my bookings', description: 'Problems: 404 BOOKING_NOT_FOUND.' } }, async (request) => {
    const { bookingId } = request.params
    const booking = isUuid(bookingId) ? await bookings.findOwned(request.userId, bookingId) : undefined
    if (!booking) throw bookingNotFound(bookingId)
    return booking
  })
}

export default bookingRoutes
