import { CreateEventBody, EventDetail, EventParams, isUuid, PatchEventBody } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EventChangeRefusal } from '../../repositories/events.ts'
import { ProblemError, validationFailed } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'
import { eventNotFound } from '../public/events.ts'

export const EVENT_BODY_LIMIT = 4 * 1024 * 1024

const CLOSES_BEFORE_OPENS = validationFailed([{ path: 'body/sale/closesAt', message: 'must be after opensAt (the moment of creation when opensAt is left out)' }])

export function notEventOrganiser (eventId: string): ProblemError {
  return new ProblemError('NOT_EVENT_ORGANISER', `only the organiser of event ${eventId} may do this`)
}

function changeRefused (eventId: string, refusal: EventChangeRefusal): ProblemError {
  switch (refusal) {
    case 'not-found': return eventNotFound(eventId)
    case 'not-organiser': return notEventOrganiser(eventId)
    case 'sale-already-open': return new ProblemError('SALE_ALREADY_OPEN', 'the sale has opened: its opening time can no longer move (pause it, or set closesAt)')
    case 'closes-before-opens': return CLOSES_BEFORE_OPENS
  }
}

/** Organisers create events (seats by id, general-admission sections, or both) and change them. */
const eventAdministration: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services

  app.post('/v1/events', {
    bodyLimit: EVENT_BODY_LIMIT,
    schema: {
      body: CreateEventBody,
      response: replies({ 201: EventDetail }),
      tags: ['events'],
      summary: 'Create an event',
      description: 'Seats by id, general-admission sections by capacity, or both, and the sale\'s settings (by default open at once, without limit). ' +
        'The caller becomes its organiser. Problems: 400 VALIDATION_FAILED, 413 PAYLOAD_TOO_LARGE (over 4 MiB), 429 RATE_LIMITED (past EVENTS_PER_USER_PER_DAY).',
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
    if (event === 'closes-before-opens') throw CLOSES_BEFORE_OPENS
    if ('quotaRetryAfterS' in event) {
      throw new ProblemError('RATE_LIMITED', `you have created as many events as one account may in 24 hours; try again in ${event.quotaRetryAfterS} s`, {}, { 'retry-after': String(event.quotaRetryAfterS) })
    }
    return reply.code(201).header('location', `/v1/events/${event.id}`).send(event)
  })

  app.patch('/v1/events/:eventId', {
    schema: {
      params: EventParams,
      body: PatchEventBody,
      response: replies({ 200: EventDetail }),
      tags: ['sales'],
      summary: 'Change an event and its sale (organiser only)',
      description: 'What is given changes; null clears closesAt, maxSeatsPerBuyer, waitingRoom and startsAt. Pausing stops holds and bookings, and admissions ' +
        'from the waiting room, at once; confirmations, releases and cancellations go on. Problems: 400 VALIDATION_FAILED, 403 NOT_EVENT_ORGANISER, 404 EVENT_NOT_FOUND, ' +
        '409 SALE_ALREADY_OPEN (moving opensAt once it has passed).',
    },
  }, async (request) => {
    const { eventId } = request.params
    if (!isUuid(eventId)) throw eventNotFound(eventId)
    const refusal = await events.change(eventId, request.userId, request.body)
    if (refusal) throw changeRefused(eventId, refusal)
    return (await events.detail(eventId))!
  })
}

export default eventAdministration
