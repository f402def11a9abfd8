import { Ticket, TicketParams } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProblemError } from '../../lib/problem-error.ts'
import { eventStreamReply, replies } from '../../lib/reply-schemas.ts'
import { holdStreamSlot } from '../../lib/stream-slots.ts'

/** Past this much unsent output a client is taken to have stopped reading. */
const MAX_BUFFERED_BYTES = 100_000

function ticketNotFound (ticketId: string): ProblemError {
  return new ProblemError('QUEUE_TICKET_NOT_FOUND', `no queue ticket ${ticketId.slice(0, 64)}`)
}

/**
 * `GET /v1/queue/:ticketId/stream`: a ticket's place, live. No token: browsers' EventSource
 * sends no header, so the unguessable ticket id is the credential.
 */
const queueStream: FastifyPluginAsyncTypebox = async (app) => {
  const { events, room, streams, tickets } = app.services

  app.get('/v1/queue/:ticketId/stream', {
    schema: {
      params: TicketParams,
      response: replies({
        200: eventStreamReply('The ticket whenever it changes, until a final status; comments (`:`) are heartbeats.', { ticket: Ticket }, { ids: false }),
      }),
      tags: ['queue'],
      summary: 'Follow a queue ticket live',
      description: 'text/event-stream of `ticket` messages (the ticket, on every change; its position at most once a second) and heartbeats; ' +
        'closed after a final status (expired, sold-out, closed). Problems (before the stream): 404 QUEUE_TICKET_NOT_FOUND; ' +
        '429 RATE_LIMITED when the client address has STREAMS_PER_ADDRESS streams open on this gateway (queue tickets and maps together), ' +
        '503 OVERLOADED when the gateway has STREAMS_MAX open; both with Retry-After.',
    },
  }, async (request, reply) => {
    const { ticketId } = request.params
    // First: a client at its cap costs no read.
    holdStreamSlot(streams, request, reply)
    const ticket = await room.ticket(ticketId)
    const sale = ticket && await events.saleSettings(ticket.eventId)
    if (!ticket || !sale) throw ticketNotFound(ticketId)
    reply.hijack()
    const res = reply.raw
    res.useChunkedEncodingByDefault = false
    res.writeHead(200, {
      ...reply.getHeaders() as Record<string, string>,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      'x-accel-buffering': 'no',
    })
    res.socket?.setNoDelay(true)
    const unsubscribe = tickets.subscribe(ticket, sale, {
      write: (chunk) => {
        res.write(chunk)
        return res.writableLength < MAX_BUFFERED_BYTES
      },
      end: () => { res.end() },
    })
    // A client that left during the reads above has closed already: its 'close' will not come again.
    if (request.raw.socket.destroyed) unsubscribe()
    else request.raw.once('close', unsubscribe)
  })

  app.addHook('preClose', async () => { tickets.close() })
}

export default queueStream
