import type { Ticket } from '@seatline/contracts'
import type { StoredTicket } from '@seatline/queue'
import type { SaleSettings } from '../repositories/events.ts'

/**
 * A ticket as the contract shows it. `rank` is the ticket's place (0 = next) when it is known:
 * read now, or counted down from an earlier read by the admissions since (the streams).
 * Places are shown only once the sale has opened: before, the early joiners' order is a shuffle
 * that is still taking in newcomers.
 */
export function ticketView (ticket: StoredTicket, sale: SaleSettings, rank = ticket.rank, now = Date.now()): Ticket {
  const view: Ticket = {
    ticketId: ticket.ticketId,
    eventId: ticket.eventId,
    status: ticket.status,
    joinedAt: new Date(ticket.joinedAt).toISOString(),
    opensAt: sale.opensAt.toISOString(),
    seatsAvailable: ticket.seatsAvailable,
  }
  if (ticket.status === 'waiting' && rank !== undefined && now >= sale.opensAt.getTime()) {
    const ahead = Math.max(0, rank)
    view.position = ahead + 1
    view.ahead = ahead
    if (sale.waitingRoom) view.estimatedWaitSeconds = Math.ceil((ahead * 60) / sale.waitingRoom.admitPerMinute)
  }
  if (ticket.admittedAt !== undefined) view.admittedAt = new Date(ticket.admittedAt).toISOString()
  if (ticket.admittedUntil !== undefined) view.admittedUntil = new Date(ticket.admittedUntil).toISOString()
  return view
}
