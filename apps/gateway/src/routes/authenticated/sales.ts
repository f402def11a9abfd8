import { BOOKINGS_CSV_COLUMNS, EventParams, isUuid, ListEventBookingsQuery, OrganiserBookingPage, SalesReport } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Readable } from 'node:stream'
import { decodeCursor, toPage } from '../../lib/cursor.ts'
import { csvLine } from '../../lib/csv.ts'
import { validationFailed } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'
import type { OrganiserBookingRow } from '../../repositories/sales.ts'
import { eventNotFound } from '../public/events.ts'
import { notEventOrganiser } from './events.ts'

const CSV_TYPE = 'text/csv; charset=utf-8'

function wantsCsv (request: FastifyRequest): boolean {
  return /\btext\/csv\b/i.test(String(request.headers.accept ?? ''))
}

function csvRow (b: OrganiserBookingRow): string {
  return csvLine([b.bookingId, b.status, b.buyerEmail, b.seatIds?.join(' '), b.sectionId, b.quantity ?? b.seatIds?.length, b.priceCents, b.createdAt])
}

/** The organiser's views of their event: what sold, and to whom. Nobody else sees them. */
const salesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, sales } = app.services

  /** 404 for no such event, 403 for anyone but its organiser. */
  async function requireOrganiser (eventId: string, userId: string): Promise<void> {
    const organiser = isUuid(eventId) ? await events.organiserOf(eventId) : undefined
    if (!organiser) throw eventNotFound(eventId)
    if (organiser !== userId) throw notEventOrganiser(eventId)
  }

  app.get('/v1/events/:eventId/sales', {
    schema: {
      params: EventParams,
      response: replies({ 200: SalesReport }),
      tags: ['sales'],
      summary: 'The sales report of an event (organiser only)',
      description: 'Seat counts, sold places and revenue per section, bookings by status, buyers. Revenue counts confirmed bookings of priced sections. ' +
        'Problems: 403 NOT_EVENT_ORGANISER, 404 EVENT_NOT_FOUND.',
    },
  }, async (request) => {
    const { eventId } = request.params
    await requireOrganiser(eventId, request.userId)
    const report = await sales.report(eventId)
    if (!report) throw eventNotFound(eventId)
    return report
  })

  app.get('/v1/events/:eventId/bookings', {
    schema: {
      params: EventParams,
      querystring: ListEventBookingsQuery,
      response: replies({
        200: {
          description: 'A page of bookings, oldest first; with `Accept: text/csv`, every booking (of `status`, if given) as CSV, streamed, unpaginated.',
          content: {
            'application/json': { schema: OrganiserBookingPage },
            'text/csv': { schema: { type: 'string', description: `header row: ${BOOKINGS_CSV_COLUMNS.join(',')}; seatIds space-separated` } },
          },
        },
      }),
      tags: ['sales'],
      summary: 'The bookings of an event, with buyers\' emails (organiser only)',
      description: 'Problems: 400 VALIDATION_FAILED, 403 NOT_EVENT_ORGANISER, 404 EVENT_NOT_FOUND.',
    },
  }, async (request, reply) => {
    const { eventId } = request.params
    const { status, limit, cursor } = request.query
    await requireOrganiser(eventId, request.userId)
    if (wantsCsv(request)) {
      async function * lines () {
        yield csvLine(BOOKINGS_CSV_COLUMNS)
        for await (const page of sales.all(eventId, status)) yield page.map(csvRow).join('')
      }
      return reply.type(CSV_TYPE)
        .header('content-disposition', `attachment; filename="bookings-${eventId}.csv"`)
        .send(Readable.from(lines()))
    }
    const after = decodeCursor(cursor)
    if (after !== undefined && !isUuid(after)) throw validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this API gave out' }])
    const rows = await sales.page(eventId, status, limit, after)
    const page = toPage(rows.map(({ priceCents: _price, ...booking }) => booking), limit, (b) => b.bookingId)
    return reply.type('application/json; charset=utf-8').send(page)
  })
}

export default salesRoutes
