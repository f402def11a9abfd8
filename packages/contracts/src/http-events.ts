import Type from 'typebox'
import { MAX_SEATS_PER_EVENT } from './ids.ts'
import { PageQuery, SeatId, Timestamp, TimestampInput, Uuid, page } from './http-common.ts'
import { Sale, SaleInput } from './http-sales.ts'

export const SectionInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  capacity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  priceCents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
}, { additionalProperties: false })

export const CreateEventBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  startsAt: Type.Optional(TimestampInput),
  seats: Type.Optional(Type.Array(SeatId, { minItems: 1, maxItems: MAX_SEATS_PER_EVENT })),
  sections: Type.Optional(Type.Array(SectionInput, { minItems: 1, maxItems: 100 })),
  sale: Type.Optional(SaleInput),
}, { additionalProperties: false })
export type CreateEventBody = Type.Static<typeof CreateEventBody>

/**
 * Grows with every change of a seat or section (a seat's hold expiring included): a live map
 * merging the stream with a list read keeps, per seat, the higher version.
 */
export const Version = Type.Integer({ minimum: 0, description: 'grows with every change; keep the higher' })

export const SeatStatus = Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('booked')])
export type SeatStatus = Type.Static<typeof SeatStatus>

export const Section = Type.Object({
  id: Uuid,
  name: Type.String(),
  capacity: Type.Integer(),
  remaining: Type.Integer(),
  priceCents: Type.Union([Type.Integer(), Type.Null()]),
  version: Version,
})
export type Section = Type.Static<typeof Section>

export const SeatCounts = Type.Object({
  total: Type.Integer(),
  available: Type.Integer(),
  held: Type.Integer(),
  booked: Type.Integer(),
})
export type SeatCounts = Type.Static<typeof SeatCounts>

export const EventDetail = Type.Object({
  id: Uuid,
  name: Type.String(),
  startsAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  seats: SeatCounts,
  sections: Type.Array(Section),
  sale: Sale,
})
export type EventDetail = Type.Static<typeof EventDetail>

export const EventSummary = Type.Object({
  id: Uuid,
  name: Type.String(),
  startsAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  sale: Sale,
})
export type EventSummary = Type.Static<typeof EventSummary>

export const EventPage = page(EventSummary)

export const ListEventsQuery = Type.Object({
  organiser: Type.Optional(Type.Literal('me', { description: 'only the events the caller organises (needs a token)' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  ...PageQuery,
}, { additionalProperties: false })

export const EventParams = Type.Object({ eventId: Type.String() })

export const SeatView = Type.Object({
  seatId: Type.String(),
  status: SeatStatus,
  holdExpiresAt: Type.Optional(Timestamp),
  version: Version,
})
export type SeatView = Type.Static<typeof SeatView>

export const SeatPage = page(SeatView)

export const ListSeatsQuery = Type.Object({
  status: Type.Optional(SeatStatus),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  ...PageQuery,
}, { additionalProperties: false })
