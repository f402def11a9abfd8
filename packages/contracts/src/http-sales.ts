import Type from 'typebox'
import { Booking, BookingStatus } from './http-bookings.ts'
import { PageQuery, Timestamp, TimestampInput, Uuid, page } from './http-common.ts'

/** A date-time, or null to clear it: one schema, so a bad value gets one clear message. */
const TimestampOrNull = Type.Unsafe<string | null>({ ...TimestampInput, type: ['string', 'null'] })

export const MAX_SEATS_PER_BUYER = 100

/** Places one buyer may have in an event (active holds plus confirmed bookings), or null for no limit. */
const LimitOrNull = Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1, maximum: MAX_SEATS_PER_BUYER })

export const DEFAULT_ADMISSION_SECONDS = 600

export const WaitingRoomSettings = Type.Object({
  admitPerMinute: Type.Integer({ minimum: 1, maximum: 100_000 }),
  admissionSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 3600, description: 'default 600' })),
}, { additionalProperties: false })

const WaitingRoomOrNull = Type.Union([WaitingRoomSettings, Type.Null()])

/** What an organiser may set about the sale when creating an event; every field has a default. */
export const SaleInput = Type.Object({
  opensAt: Type.Optional(TimestampInput),
  closesAt: Type.Optional(TimestampOrNull),
  maxSeatsPerBuyer: Type.Optional(LimitOrNull),
  paused: Type.Optional(Type.Boolean()),
  waitingRoom: Type.Optional(WaitingRoomOrNull),
}, { additionalProperties: false })
export type SaleInput = Type.Static<typeof SaleInput>

/** A change to an event: what is given changes, what is left out stays; null clears. */
export const PatchEventBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  startsAt: Type.Optional(TimestampOrNull),
  sale: Type.Optional(SaleInput),
}, { additionalProperties: false })
export type PatchEventBody = Type.Static<typeof PatchEventBody>

export const SaleStatus = Type.Union([
  Type.Literal('scheduled'), Type.Literal('open'), Type.Literal('paused'), Type.Literal('closed'), Type.Literal('sold-out'),
], { description: 'closed (past closesAt), sold-out (nothing left that could come back), paused, scheduled (before opensAt), else open' })
export type SaleStatus = Type.Static<typeof SaleStatus>

/** The sale as every event read shows it. */
export const Sale = Type.Object({
  opensAt: Timestamp,
  closesAt: Type.Union([Timestamp, Type.Null()]),
  maxSeatsPerBuyer: Type.Union([Type.Integer(), Type.Null()]),
  paused: Type.Boolean(),
  waitingRoom: Type.Union([Type.Object({ admitPerMinute: Type.Integer(), admissionSeconds: Type.Integer() }), Type.Null()]),
  status: SaleStatus,
})
export type Sale = Type.Static<typeof Sale>

const Count = Type.Integer({ minimum: 0 })

export const SalesReport = Type.Object({
  eventId: Uuid,
  status: SaleStatus,
  seats: Type.Object({ total: Count, available: Count, held: Count, booked: Count }),
  sections: Type.Array(Type.Object({
    id: Uuid,
    name: Type.String(),
    capacity: Count,
    remaining: Count,
    sold: Count,
    revenueCents: Count,
  })),
  bookings: Type.Object({ confirmed: Count, cancelled: Count }),
  buyers: Type.Integer({ minimum: 0, description: 'buyers with at least one confirmed booking' }),
  revenueCents: Type.Integer({ minimum: 0, description: 'confirmed bookings of priced sections: priceCents × quantity' }),
  waitingRoom: Type.Optional(Type.Object({
    waiting: Count,
    admitted: Type.Integer({ minimum: 0, description: 'admissions running now' }),
    expired: Type.Integer({ minimum: 0, description: 'admissions that ran out and were not renewed by joining again' }),
    soldOut: Type.Integer({ minimum: 0, description: 'tickets told the sale is sold out' }),
    admitPerMinute: Type.Integer(),
  })),
})
export type SalesReport = Type.Static<typeof SalesReport>

/** A booking as its event's organiser sees it: with the buyer's email. */
export const OrganiserBooking = Type.Object({
  ...Booking.properties,
  buyerEmail: Type.String(),
})
export type OrganiserBooking = Type.Static<typeof OrganiserBooking>

export const OrganiserBookingPage = page(OrganiserBooking)

export const ListEventBookingsQuery = Type.Object({
  status: Type.Optional(BookingStatus),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  ...PageQuery,
}, { additionalProperties: false })

/** The CSV's columns, in order: the contract's header row. */
export const BOOKINGS_CSV_COLUMNS = ['bookingId', 'status', 'buyerEmail', 'seatIds', 'sectionId', 'quantity', 'priceCents', 'createdAt'] as const
