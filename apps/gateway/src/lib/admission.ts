import type { WaitingRoom } from '@seatline/queue'
import type { EventsRepository } from '../repositories/events.ts'
import { ProblemError } from './problem-error.ts'
import { ticketView } from './ticket-view.ts'

/**
 * A command that takes seats, on an event with a waiting room, needs the buyer's admission: it
 * is looked up here (one Redis call) and carried by the command, whose transaction refuses it
 * once it has ended. Without one: 403 NOT_ADMITTED, with where the buyer's ticket stands.
 * Returns the admission's end (ISO), or undefined for an event without a waiting room.
 */
export async function admissionFor (events: EventsRepository, room: WaitingRoom, eventId: string, userId: string): Promise<string | undefined> {
  const sale = await events.saleSettings(eventId)
  if (!sale?.waitingRoom) return undefined
  const ticket = await room.ticketOf(eventId, userId)
  if (ticket?.status === 'admitted') return new Date(ticket.admittedUntil!).toISOString()
  const view = ticket && ticketView(ticket, sale)
  const detail = !view
    ? 'this event has a waiting room: join the queue (POST /v1/events/:eventId/queue) and wait to be admitted'
    : view.status === 'waiting'
      ? `you are in the queue${view.position ? ` at position ${view.position}` : ''}: wait to be admitted`
      : `your queue ticket is ${view.status}`
  throw new ProblemError('NOT_ADMITTED', detail, { ticketStatus: view?.status ?? null, ...(view?.position ? { position: view.position } : {}) })
}
