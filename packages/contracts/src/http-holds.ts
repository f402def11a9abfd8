import Type from 'typebox'
import { MAX_SEATS_PER_COMMAND } from './ids.ts'
import { SeatId, Timestamp, Uuid } from './http-common.ts'

export const HoldSeatsBody = Type.Object({
  seatIds: Type.Array(SeatId, { minItems: 1, maxItems: MAX_SEATS_PER_COMMAND, uniqueItems: true }),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 900 })),
}, { additionalProperties: false })
export type HoldSeatsBody = Type.Static<typeof HoldSeatsBody>

export const DEFAULT_HOLD_TTL_SECONDS = 60

export const Hold = Type.Object({
  holdId: Uuid,
  eventId: Uuid,
  seatIds: Type.Array(Type.String()),
  expiresAt: Timestamp,
})
export type Hold = Type.Static<typeof Hold>

export const HoldView = Type.Object({
  holdId: Uuid,
  eventId: Uuid,
  seatIds: Type.Array(Type.String()),
  expiresAt: Timestamp,
  status: Type.Union([Type.Literal('active'), Type.Literal('confirmed'), Type.Literal('released'), Type.Literal('expired')]),
  bookingId: Type.Optional(Uuid),
})
export type HoldView = Type.Static<typeof HoldView>

export const HoldParams = Type.Object({ holdId: Type.String() })
