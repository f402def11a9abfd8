import { EventParams, isUuid, LiveMessageData } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { eventStreamReply, replies } from '../../lib/reply-schemas.ts'
import { holdStreamSlot } from '../../lib/stream-slots.ts'
import { eventNotFound } from './events.ts'

/** Past this much unsent output a client is taken to have stopped reading. */
const MAX_BUFFERED_BYTES = 1_000_000

/** `GET /v1/events/:eventId/stream`: the event's live seat map, as Server-Sent Events. */
const eventStream: FastifyPluginAsyncTypebox = async (app) => {
  const { events, live, streams } = app.services

  app.get('/v1/events/:eventId/stream', {
    schema: {
      params: EventParams,
      response: replies({
        200: eventStreamReply('The event\'s seat changes as they commit, until the connection closes; comments (`:`) keep it open.', LiveMessageData, { ids: true }),
      }),
      tags: ['events'],
      summary: 'Follow an event\'s seat map live',
      description: 'text/event-stream of `seats`, `sections`, `counts` and `reset` messages, each with an id to resume from ' +
        '(Last-Event-ID). Open it, then read the seat list; per seat keep the higher version. Problems (before the stream): 404 EVENT_NOT_FOUND; ' +
        '429 RATE_LIMITED when the client address has STREAMS_PER_ADDRESS streams open on this gateway (maps and queue tickets together), ' +
        '503 OVERLOADED when the gateway has STREAMS_MAX open; both with Retry-After.',
    },
  }, async (request, reply) => {
    const { eventId } = request.params
    // First: a client at its cap costs no read.
    holdStreamSlot(streams, request, reply)
    if (!isUuid(eventId) || !(await events.exists(eventId))) throw eventNotFound(eventId)
    const lastEventId = request.headers['last-event-id']
    reply.hijack()
    const res = reply.raw
    // The body runs until the connection closes, so each message is one plain socket write,
    // not a chunk with its own framing: thousands of clients get every flush.
    res.useChunkedEncodingByDefault = false
    res.writeHead(200, {
      ...reply.getHeaders() as Record<string, string>,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      // Proxies (nginx) must pass each message on as it comes.
      'x-accel-buffering': 'no',
    })
    res.socket?.setNoDelay(true)
    const unsubscribe = live.subscribe(eventId, typeof lastEventId === 'string' ? lastEventId : undefined, {
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

  // Open streams would hold the server open: end them, and clients reconnect elsewhere.
  app.addHook('preClose', async () => { live.close() })
}

export default eventStream
