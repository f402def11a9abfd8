import { EventParams, isUuid, Ticket } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProblemError } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'
import { ticketView } from '../../lib/ticket-view.ts'
import { eventNotFound } from '../public/events.ts'

/** A buyer's place in an event's waiting room: join it, read it. */
const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events, room } = app.services

  async function saleOf (eventId: string) {
    const sale = isUuid(eventId) ? await events.saleSettings(eventId) : undefined
    if (!sale) throw eventNotFound(eventId)
    if (!sale.waitingRoom) throw new ProblemError('NO_WAITING_ROOM', `event ${eventId} has no waiting room: buy directly`)
    return sale
  }

  app.post('/v1/events/:eventId/queue', {
    schema: {
      params: EventParams,
      response: replies({ 200: Ticket, 201: Ticket }),
      tags: ['queue'],
      summary: 'Join an event\'s waiting room',
      description: '201 with a ticket on the first join; 200 and the same ticket after (one place per buyer). Before the opening, everyone who joins is ' +
        'shuffled into a random order; later joiners queue behind in the order they came. A buyer whose admission ran out joins again at the back (201). ' +
        'Problems: 404 EVENT_NOT_FOUND, 409 NO_WAITING_ROOM, 409 SALE_CLOSED, 409 SOLD_OUT.',
    },
  }, async (request, reply) => {
    const { eventId } = request.params
    const sale = await saleOf(eventId)
    const now = Date.now()
    if (sale.closesAt && now >= sale.closesAt.getTime()) {
      throw new ProblemError('SALE_CLOSED', `the sale closed at ${sale.closesAt.toISOString()}`, { closesAt: sale.closesAt.toISOString() })
    }
    // A room settled for good may have let its keys go: its answer is Postgres's.
    if (sale.settled) throw new ProblemError('SOLD_OUT', 'the sale is sold out: nothing is left that could come back', { remaining: 0 })
    const { outcome, ticket } = await room.join(eventId, request.userId, now < sale.opensAt.getTime(), now)
    if (outcome === 'sold-out') throw new ProblemError('SOLD_OUT', 'the sale is sold out: nothing is left that could come back', { remaining: 0 })
    if (outcome === 'closed') throw new ProblemError('SALE_CLOSED', 'the sale has closed')
    const view = ticketView(ticket!, sale)
    return reply.code(outcome === 'existing' ? 200 : 201).header('location', `/v1/events/${eventId}/queue`).send(view)
  })

  app.get('/v1/events/:eventId/queue', {
    schema: {
      params: EventParams,
      response: replies({ 200: Ticket }),
      tags: ['queue'],
      summary: 'Read my place in an event\'s waiting room',
      description: 'Problems: 404 EVENT_NOT_FOUND, 404 QUEUE_TICKET_NOT_FOUND (not joined), 409 NO_WAITING_ROOM.',
    },
  }, async (request) => {
    const { eventId } = request.params
    const sale = await saleOf(eventId)
    const ticket = await room.ticketOf(eventId, request.userId)
    if (!ticket) throw new ProblemError('QUEUE_TICKET_NOT_FOUND', `you have not joined the waiting room of event ${eventId}`)
    return ticketView(ticket, sale)
  })
}

export default queueRoutes
