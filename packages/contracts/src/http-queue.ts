import Type from 'typebox'
import { Timestamp, Uuid } from './http-common.ts'

export const TicketStatus = Type.Union([
  Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('expired'), Type.Literal('sold-out'), Type.Literal('closed'),
])
export type TicketStatus = Type.Static<typeof TicketStatus>

/** A buyer's place in an event's waiting room. */
export const Ticket = Type.Object({
  ticketId: Type.String({ description: 'unguessable: the stream URL needs only this' }),
  eventId: Uuid,
  status: TicketStatus,
  joinedAt: Timestamp,
  opensAt: Timestamp,
  position: Type.Optional(Type.Integer({ minimum: 1, description: '1 = next; absent until the sale opens' })),
  ahead: Type.Optional(Type.Integer({ minimum: 0 })),
  estimatedWaitSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  admittedAt: Type.Optional(Timestamp),
  admittedUntil: Type.Optional(Timestamp),
  seatsAvailable: Type.Integer({ minimum: 0, description: 'places neither booked nor held, as of the last admission step' }),
})
export type Ticket = Type.Static<typeof Ticket>

export const TicketParams = Type.Object({ ticketId: Type.String() })
