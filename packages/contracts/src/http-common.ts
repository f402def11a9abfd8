import Type from 'typebox'
import { SEAT_ID_PATTERN } from './ids.ts'

export const Uuid = Type.String({ format: 'uuid' })
export const SeatId = Type.String({ pattern: SEAT_ID_PATTERN, minLength: 1, maxLength: 16 })
export const Timestamp = Type.String({ format: 'date-time' })

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
