import { CreateEventBody, EventDetail } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { validationFailed } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

export const EVENT_BODY_LIMIT = 4 * 1024 * 1024

/** Organisers create events: seats by id, general-admission sections by capacity, or both. */
const eventCreation: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services

  app.post('/v1/events', {
    bodyLimit: EVENT_BODY_LIMIT,
    schema: {
      body: CreateEventBody,
      response: replies({ 201: EventDetail }),
      tags: ['events'],
      summary: 'Create an event',
      description: 'Seats by id, general-admission sections by capacity, or both. Problems: 400 VALIDATION_FAILED, 413 PAYLOAD_TOO_LARGE (over 4 MiB).',
    },
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
}

export default eventCreation
