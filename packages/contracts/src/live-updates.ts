/**
 * What `GET /v1/events/:eventId/stream` sends, as Server-Sent Events: the `event:` name and
 * its JSON `data:`. Each message has an `id:` a client sends back as Last-Event-ID.
 */
import Type from 'typebox'
import { Uuid } from './http-common.ts'
import { SeatCounts, SeatView, Version } from './http-events.ts'

/** A seat's new state: the same shape as in the seat list. */
export const SeatChange = SeatView
export type SeatChange = SeatView

export const SectionChange = Type.Object({
  sectionId: Uuid,
  remaining: Type.Integer(),
  version: Version,
})
export type SectionChange = Type.Static<typeof SectionChange>

/** Each message's `data`, by its `event` name (the schemas also describe the stream in the OpenAPI document). */
export const LiveMessageData = {
  seats: Type.Object({ eventId: Uuid, changes: Type.Array(SeatChange) }),
  sections: Type.Object({ eventId: Uuid, changes: Type.Array(SectionChange) }),
  counts: Type.Object({ eventId: Uuid, seats: SeatCounts }),
  reset: Type.Object({ eventId: Uuid }, { description: 'Changes may have been missed: read the seat list (and the event) again.' }),
}

export type LiveMessages = { [E in keyof typeof LiveMessageData]: Type.Static<typeof LiveMessageData[E]> }

export type LiveEventName = keyof LiveMessages
