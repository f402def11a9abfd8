/**
 * What `GET /v1/events/:eventId/stream` sends, as Server-Sent Events: the `event:` name and
 * its JSON `data:`. Each message has an `id:` a client sends back as Last-Event-ID.
 */
import type { SeatView } from './http-events.ts'

/** A seat's new state: the same shape as in the seat list. */
export type SeatChange = SeatView

export interface SectionChange {
  sectionId: string
  remaining: number
  version: number
}

export interface LiveMessages {
  seats: { eventId: string, changes: SeatChange[] }
  sections: { eventId: string, changes: SectionChange[] }
  counts: { eventId: string, seats: { total: number, available: number, held: number, booked: number } }
  /** Changes may have been missed: read the seat list (and the event) again. */
  reset: { eventId: string }
}

export type LiveEventName = keyof LiveMessages
