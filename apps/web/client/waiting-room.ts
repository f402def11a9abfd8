/**
 * A waiting room's ticket, as the buyer's page follows it: its words (no DOM, so they read the
 * same wherever they are shown), and its stream, GET /v1/queue/:ticketId/stream.
 *
 * The browser's EventSource reconnects by itself after a dropped connection; the server closes
 * the stream after a final status (expired, sold-out, closed), and the stream is closed here as
 * soon as that status arrives, so the browser never reconnects to a stream that has nothing more
 * to say. A stream refused for good (the ticket is gone) is reported once, not retried here.
 */
import type { Ticket, TicketStatus, WaitingRoom } from './api.ts'
import { formatMoment } from './sale.ts'

/** After one of these the ticket never changes again: its stream is over. */
export const FINAL_STATUSES: ReadonlySet<TicketStatus> = new Set(['expired', 'sold-out', 'closed'])

export const isFinal = (ticket: Ticket): boolean => FINAL_STATUSES.has(ticket.status)

/** An estimated wait in plain words: "any moment", "under a minute", "about 3 min", "about 1 h 20 min". */
export function waitWords (seconds: number): string {
  if (seconds <= 5) return 'any moment'
  if (seconds < 60) return 'under a minute'
  const minutes = Math.ceil(seconds / 60)
  if (minutes < 60) return `about ${minutes} min`
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return `about ${h} h${m ? ` ${m} min` : ''}`
}

/** "600 buyers a minute, 10 minutes each to shop". */
export function roomWords (room: WaitingRoom): string {
  const minutes = room.admissionSeconds / 60
  const shop = Number.isInteger(minutes) ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${room.admissionSeconds} seconds`
  return `${room.admitPerMinute.toLocaleString('en')} buyer${room.admitPerMinute === 1 ? '' : 's'} a minute, ${shop} each to shop`
}

/** The ticket's status as a headline. */
export function ticketHeadline (ticket: Ticket, now: number): string {
  switch (ticket.status) {
    case 'waiting':
      if (ticket.position === undefined) {
        return Date.parse(ticket.opensAt) > now ? 'You are in the queue, waiting for the opening' : 'You are in the queue: your place is being drawn'
      }
      return ticket.position === 1 ? 'You are next in the queue' : 'You are in the queue'
    case 'admitted': return 'It is your turn: choose your seats'
    case 'expired': return 'Your time to shop has run out'
    case 'sold-out': return 'Sold out'
    case 'closed': return 'The sale has closed'
  }
}

/** What the ticket means for the buyer, a sentence under the headline. */
export function ticketExplanation (ticket: Ticket, now: number): string {
  switch (ticket.status) {
    case 'waiting':
      if (ticket.position === undefined && Date.parse(ticket.opensAt) > now) {
        return `Waiting for the opening at ${formatMoment(ticket.opensAt)} — your place will be drawn at random among early arrivals, so there was no need to rush. Keep this page open; it follows the line by itself.`
      }
      return 'Buyers are let in a few at a time, in line order. Keep this page open: when it is your turn the seat map opens here.'
    case 'admitted': return 'Hold or book before the time runs out. Seats you hold in time can still be confirmed after it.'
    case 'expired': return 'Your turn is over. Seats you held in time can still be confirmed until the hold ends; to buy more, join the queue again (at the back).'
    case 'sold-out': return 'Every seat has been sold or is taken. Nothing is left, so there is no need to wait.'
    case 'closed': return 'The sale closed before your turn came; nothing more can be bought.'
  }
}

export type FollowMode = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'lost'

export interface TicketFollow {
  close (): void
}

export interface FollowHandlers {
  onTicket: (ticket: Ticket) => void
  onMode: (mode: FollowMode) => void
}

/** Follows a ticket's stream until it says a final status (or `close`); it starts out connecting. */
export function followTicket (ticketId: string, handlers: FollowHandlers): TicketFollow {
  const es = new EventSource(`/v1/queue/${encodeURIComponent(ticketId)}/stream`)
  let over = false
  const end = (mode: FollowMode) => {
    if (over) return
    over = true
    es.close()
    handlers.onMode(mode)
  }
  es.addEventListener('ticket', (e) => {
    if (over) return
    let ticket: Ticket
    try {
      ticket = JSON.parse((e as MessageEvent<string>).data) as Ticket
    } catch {
      return
    }
    if (ticket.ticketId !== ticketId) return
    handlers.onTicket(ticket)
    // The server ends the stream after a final status: closing it first keeps the browser from reconnecting.
    if (isFinal(ticket)) end('ended')
  })
  es.onopen = () => { if (!over) handlers.onMode('live') }
  es.onerror = () => {
    if (over) return
    // CLOSED: refused for good (the ticket is gone); else the browser is reconnecting by itself.
    if (es.readyState === EventSource.CLOSED) end('lost')
    else handlers.onMode('reconnecting')
  }
  return { close: () => { if (!over) { over = true; es.close() } } }
}
