import Type from 'typebox'
import { SEAT_ID_PATTERN, UUID_PATTERN } from './ids.ts'

export const Uuid = Type.String({ format: 'uuid', pattern: UUID_PATTERN })
export const SeatId = Type.String({ pattern: SEAT_ID_PATTERN, minLength: 1, maxLength: 16 })
export const Timestamp = Type.String({ format: 'date-time' })

/**
 * A date-time a client sends, within what Postgres stores: a year from 0001 and an offset within
 * ±15:59 (ajv's date-time also takes year 0000 and offsets up to ±23:59).
 */
export const TimestampInput = Type.String({ format: 'date-time', pattern: '^(?!0000)\\d{4}-.*(?:[zZ]|[+-](?:0\\d|1[0-5])(?::?[0-5]\\d)?)$' })

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
}, { additionalProperties: true, $id: 'Problem' })

export const PageQuery = {
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}

export function page<T extends Type.TSchema> (item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })
}
