import Type from 'typebox'
import { MAX_SEATS_PER_COMMAND } from './ids.ts'
import { PageQuery, SeatId, Timestamp, Uuid, page } from './http-common.ts'

export const BookSeatsBody = Type.Object({
  seatIds: Type.Array(SeatId, { minItems: 1, maxItems: MAX_SEATS_PER_COMMAND, uniqueItems: true }),
}, { additionalProperties: false })
export type BookSeatsBody = Type.Static<typeof BookSeatsBody>

export const BookSectionBody = Type.Object({
  sectionId: Uuid,
  quantity: Type.Integer({ minimum: 1, maximum: MAX_SEATS_PER_COMMAND }),
}, { additionalProperties: false })
export type BookSectionBody = Type.Static<typeof BookSectionBody>

/** Reserved seats or a general-admission quantity; a body with both is refused. */
export const BookingBody = Type.Union([BookSeatsBody, BookSectionBody])
export type BookingBody = Type.Static<typeof BookingBody>

export const BookingStatus = Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')])

export const Booking = Type.Object({
  bookingId: Uuid,
  eventId: Uuid,
  userId: Uuid,
  status: BookingStatus,
  seatIds: Type.Optional(Type.Array(Type.String())),
  sectionId: Type.Optional(Uuid),
  quantity: Type.Optional(Type.Integer()),
  createdAt: Timestamp,
})
export type Booking = Type.Static<typeof Booking>

export const BookingPage = page(Booking)

export const ListBookingsQuery = Type.Object({
  eventId: Type.Optional(Uuid),
  status: Type.Optional(BookingStatus),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  ...PageQuery,
}, { additionalProperties: false })

export const BookingParams = Type.Object({ bookingId: Type.String() })

export const PendingRequest = Type.Object({
  requestId: Uuid,
  status: Type.Literal('pending'),
})

export const RequestStatus = Type.Object({
  requestId: Uuid,
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Unknown()),
})
export type RequestStatus = Type.Static<typeof RequestStatus>

export const RequestParams = Type.Object({ requestId: Type.String() })
